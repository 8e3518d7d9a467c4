/**
 * `amqp-mesh up`, the README's main job, on a copy of the example whose ports are reserved
 * for the test, while the example's own ports are held as a user's running platform
 * (`npm start`) holds them: the test never binds a port a user's platform may hold.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { validateProject } from "../../shared/registry/index.ts";
import { runCli } from "../integration/cli/run-cli.ts";
import { type HeldPorts, holdExamplePorts } from "../support/example-ports.ts";
import { copyProject, type ProjectCopy } from "../support/generated-routers.ts";

describe("amqp-mesh up (the README's main job)", () => {
  let example: HeldPorts;
  let project: ProjectCopy;

  beforeAll(async () => {
    example = await holdExamplePorts();
    project = await copyProject("examples");
  });
  afterAll(async () => {
    await project?.cleanup();
    await example?.release();
  });

  it("starts the example mesh on the emulator and proves a round trip across clouds, with the example's own ports taken", async () => {
    const topology = (await validateProject(project.dir)).topology!;
    const edgePort = topology.routers.find((r) => r.id === "aws-eu-edge-1")?.listeners.clients
      ?.port;
    expect(edgePort).not.toBe(17121);

    const result = await runCli(["up", project.dir, "--once", "--out", join(project.dir, "out")]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      new RegExp(`aws-eu-edge-1\\s+edge\\s+amqp://127\\.0\\.0\\.1:${edgePort}\\b`),
    );
    expect(result.stdout).toMatch(
      /round trip: \S+ \S+@aws-eu-edge-1 → \S+@azure-we-edge-2 accepted and received/,
    );
    // --once stops the platform before it exits: no ingress URL or command for what is gone.
    expect(result.stdout).not.toMatch(/HTTP ingress: POST/);
  }, 60_000);
});
