import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: [
      "test/unit/**/*.test.ts",
      "test/integration/**/*.test.ts",
      "test/conformance/**/*.test.ts",
      "test/e2e/**/*.test.ts",
    ],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration suites bind real TCP ports and a shared RabbitMQ; two workers fit 2 cores.
    maxWorkers: 2,
  },
});
