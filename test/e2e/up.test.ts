import { describe, expect, it } from "vitest";
import { runCli } from "../integration/cli/run-cli.ts";

describe("amqp-mesh up (the README's main job)", () => {
  it("starts the example mesh on the emulator and proves a round trip across clouds", async () => {
    const result = await runCli(["up", "examples", "--once", "--out", "out/e2e-up"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/aws-eu-edge-1\s+edge\s+amqp:\/\/127\.0\.0\.1:17121/);
    expect(result.stdout).toMatch(
      /round trip: \S+ \S+@aws-eu-edge-1 → \S+@azure-we-edge-2 accepted and received/,
    );
    // --once stops the platform before it exits: no ingress URL or command for what is gone.
    expect(result.stdout).not.toMatch(/HTTP ingress: POST/);
  }, 60_000);
});
