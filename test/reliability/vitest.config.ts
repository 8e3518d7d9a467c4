// The reliability suite (`npm run test:reliability`): long runs apart from `npm test`.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  root: fileURLToPath(new URL("../..", import.meta.url)),
  test: {
    include: ["test/reliability/**/*.test.ts"],
    globalSetup: ["test/setup/rabbitmq.ts"],
    testTimeout: 600_000,
    hookTimeout: 180_000,
    // One file at a time: each starts its own mesh and loads it; in parallel they would
    // measure each other.
    maxWorkers: 1,
    fileParallelism: false,
    reporters: process.env.CI
      ? [
          "default",
          ["./test/setup/count-reporter.ts", { outputFile: ".tmp/counts-reliability.json" }],
          ["json", { outputFile: ".tmp/vitest-reliability.json" }],
        ]
      : ["default", "./test/setup/count-reporter.ts"],
  },
});
