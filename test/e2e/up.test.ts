/**
 * `amqp-mesh up --once`, the README's main job, on the emulator: the whole story, each step
 * asserted from what `up` printed — HTTP on the AWS ingress → the mesh → the trigger function
 * on the Azure side → its publish through RabbitMQ → the AWS side's function; a registry edit
 * live on every router and both ingresses; the edit reverted. On a copy of the example whose
 * ports are reserved for the test, while the example's own ports are held as a user's running
 * platform (`npm start`) holds them, with its own broker queue.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { validateProject } from "../../shared/registry/index.ts";
import { runCli } from "../integration/cli/run-cli.ts";
import { forTheStory } from "../support/example-functions.ts";
import { type HeldPorts, holdExamplePorts } from "../support/example-ports.ts";
import { copyProject, type ProjectCopy } from "../support/generated-routers.ts";
import { deleteQueues, IN_CI, probeRabbitMq } from "../support/rabbitmq.ts";

const rabbit = await probeRabbitMq();

describe.skipIf(!rabbit.reachable && !IN_CI)(
  `amqp-mesh up --once (the README's main job; RabbitMQ ${rabbit.reason || "reachable"})`,
  () => {
    let example: HeldPorts;
    let project: ProjectCopy;
    let queue = "";

    beforeAll(async () => {
      example = await holdExamplePorts();
      project = await copyProject("examples");
      queue = await forTheStory(project.dir);
    });
    afterAll(async () => {
      if (queue !== "") await deleteQueues(queue).catch(() => undefined);
      await project?.cleanup();
      await example?.release();
    });

    it("runs the whole story on the emulator, every step held, with the example's own ports taken", async () => {
      const topology = (await validateProject(project.dir)).topology!;
      const edgePort = topology.routers.find((r) => r.id === "aws-eu-edge-1")?.listeners.clients
        ?.port;
      expect(edgePort).not.toBe(17121);
      const before = await readFile(join(project.dir, "registry", "sales.yaml"), "utf8");

      const result = await runCli(
        ["up", project.dir, "--once", "--out", join(project.dir, "out")],
        undefined,
        { RABBIT_PASSWORD: "guest" },
      );
      const out = result.stdout;
      expect(result.stderr).toBe("");
      expect(result.code, out).toBe(0);
      // The start-up steps, each with its time.
      for (const step of [
        /✓ 8 routers started \(emulator\) \(\d+/,
        /✓ registry stores: S3rver \(AWS bucket\), Azurite \(Azure container\) \(\d+/,
        /✓ registry uploaded to both stores; config-sync brought every router to it \(\d+/,
        /✓ HTTP ingress of both clouds/,
        /✓ channel triggers \(bridge mode\)/,
      ])
        expect(out).toMatch(step);
      // The routers got their channels from config-sync, each cloud its own four.
      expect(out).toMatch(/config-sync aws: \d+ event\(s\), ok, 4 routers, [1-9]\d* operations/);
      expect(out).toMatch(/config-sync azure: \d+ event\(s\), ok, 4 routers, [1-9]\d* operations/);
      expect(out).toMatch(/aws-eu-edge-1: \d+ CREATE address/);
      expect(out).toMatch(/azure-we-interior-1: \d+ CREATE address, \d+ CREATE linkRoute/);
      expect(out).toMatch(
        /round trip: \S+ \S+@aws-eu-edge-1 → \S+@azure-we-edge-2 accepted and received/,
      );
      // The story.
      expect(out).toMatch(/✓ HTTP POST sales\/orders on the AWS ingress: 202 /);
      expect(out).toMatch(
        /✓ the mesh carries it to the trigger on the Azure side: order-invoicing ran on azure \(azure-we\), 1 message\(s\), 0 failed/,
      );
      expect(out).toMatch(
        /✓ its publish reaches a consumer: invoice inv-ord-\d+ reached invoice-sending on aws through billing\/invoices/,
      );
      expect(out).toMatch(
        /✓ registry edit: channel sales\/up-once-\w+ added → every router and both ingresses: synced in \d+ ms; address on 8\/8 routers; aws 202, azure 202/,
      );
      expect(out).toMatch(/aws-eu-edge-2: 1 CREATE address, 1 UPDATE vhost/);
      expect(out).toMatch(/channels: \+sales\/up-once-\w+; none removed/);
      expect(out).toMatch(/ingress and triggers: registry [0-9a-f]{12} → [0-9a-f]{12}/);
      expect(out).toMatch(
        /✓ registry edit reverted → gone from every router, 404 on both ingresses: synced in \d+ ms; on no router; aws 404, azure 404/,
      );
      expect(out).toMatch(/--once: all 5 steps held/);
      // --once stops the platform before it exits: no URL or command for what is gone.
      expect(out).not.toMatch(/http:\/\/|curl /);
      // The edit was made in the run's copy, never in the project.
      expect(await readFile(join(project.dir, "registry", "sales.yaml"), "utf8")).toBe(before);
    }, 120_000);
  },
);
