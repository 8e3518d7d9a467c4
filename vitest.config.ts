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
    // The closing count line counts a test its failed set-up left unrun as failed (vitest
    // says skipped); under CI written to .tmp/counts.json for .ci/run, with vitest's JSON.
    reporters: process.env.CI
      ? [
          "default",
          ["./test/setup/count-reporter.ts", { outputFile: ".tmp/counts.json" }],
          ["json", { outputFile: ".tmp/vitest.json" }],
        ]
      : ["default", "./test/setup/count-reporter.ts"],
  },
});
