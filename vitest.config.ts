import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: [
      "test/unit/**/*.test.ts",
      "test/integration/**/*.test.ts",
      "test/conformance/**/*.test.ts",
      "test/e2e/**/*.test.ts",
    ],
    globalSetup: ["test/setup/rabbitmq.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration suites bind real TCP ports and share one RabbitMQ; two workers fit 2 cores.
    maxWorkers: 2,
    // Under CI a JSON report too, from which .ci/run prints its closing count line.
    reporters: process.env.CI
      ? ["default", ["json", { outputFile: ".tmp/vitest.json" }]]
      : ["default"],
  },
});
