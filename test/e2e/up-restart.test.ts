/**
 * `amqp-mesh up --engine qdrouterd` supervises its routers as a container platform would: an
 * edge router's process killed (SIGKILL, as a crash) is reported at once, started again, and
 * config-sync's drift run gives it back its channels (it restarts with its start-up file
 * only); then an order posted to the AWS ingress — whose first edge router it is — reaches the
 * function on the Azure side again. For qdrouterd and skrouterd, each when it is on PATH (real routers run on a developer's
 * machine, not in CI: the describe line says which).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findOnPath } from "../../cli/local/tools.ts";
import { openManagement } from "../../shared/management/index.ts";
import { tempFolders } from "../integration/cli/copy-examples.ts";
import { examplesOnFreePorts } from "../integration/cli/free-port-project.ts";
import { forTheStory } from "../support/example-functions.ts";
import { deleteQueues } from "../support/rabbitmq.ts";
import { waitFor } from "../support/wait.ts";

const BIN = fileURLToPath(new URL("../../cli/bin.js", import.meta.url));
const ENGINES = ["qdrouterd", "skrouterd"] as const;
const onPath = new Map(
  await Promise.all(ENGINES.map(async (e) => [e, (await findOnPath(e)) !== undefined] as const)),
);

describe.each(ENGINES)("%s", (ENGINE) => {
  const folders = tempFolders();
  let out: string;
  let queue = "";
  let up: ChildProcess;
  let output = "";

  /** The pid of the router process reading this config file (Linux /proc). */
  async function routerPid(routerId: string): Promise<number | undefined> {
    const config = join(out, ENGINE, `${routerId}.json`);
    for (const entry of await readdir("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      const cmdline = await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
      if (cmdline.split("\0").includes(config)) return Number(entry);
    }
    return undefined;
  }

  async function addressesOn(routerId: string): Promise<string[]> {
    const url = new RegExp(`${routerId}\\s+edge\\s+(amqp://\\S+)`).exec(output)?.[1];
    if (url === undefined) throw new Error(`up printed no URL for ${routerId}`);
    const password = (await readFile(join(out, "sync-password"), "utf8")).trim();
    const session = await openManagement({
      url,
      sasl: { mechanism: "PLAIN", username: "amqp-mesh-sync", password },
    });
    try {
      return (await session.management.query("address")).map((a) => String(a.attributes.prefix));
    } finally {
      await session.close();
    }
  }

  describe.skipIf(!onPath.get(ENGINE))(
    `up --engine ${ENGINE}: a router killed is restarted and gets its channels back (${onPath.get(ENGINE) ? `${ENGINE} on PATH` : `skipped: ${ENGINE} is not on PATH`})`,
    () => {
      beforeAll(async () => {
        const project = await examplesOnFreePorts(folders);
        queue = await forTheStory(project);
        out = join(await folders.make(), "run");
        up = spawn(process.execPath, [BIN, "up", project, "--engine", ENGINE, "--out", out], {
          stdio: ["ignore", "pipe", "pipe"],
          env: { ...process.env, RABBIT_PASSWORD: "guest" },
        });
        const read = (chunk: Buffer) => {
          output += chunk.toString();
        };
        up.stdout?.on("data", read);
        up.stderr?.on("data", read);
        await waitFor(() => output.includes("local platform running") || up.exitCode !== null, {
          timeout: 120_000,
          what: "up to start on real routers",
        }).catch((error: unknown) => {
          throw new Error(`${(error as Error).message}; up printed:\n${output}`);
        });
        expect(output).toContain("local platform running");
      }, 130_000);

      afterAll(async () => {
        if (up !== undefined && up.exitCode === null) {
          const exited = new Promise((resolve) => up.once("exit", resolve));
          up.kill("SIGINT");
          await exited;
        }
        if (queue !== "") await deleteQueues(queue).catch(() => undefined);
        await folders.cleanup();
      });

      it("SIGKILL of aws-eu-edge-1: reported, restarted, synced again, and an order crosses the mesh", async () => {
        expect(await addressesOn("aws-eu-edge-1")).toContain("sales/orders");
        const before = await routerPid("aws-eu-edge-1");
        expect(before).toBeDefined();
        const since = output.length;
        process.kill(before!, "SIGKILL");
        await waitFor(() => /drift run aws: .*ok/.test(output.slice(since)), {
          timeout: 60_000,
          what: "the restart and its drift run",
        });
        const after = output.slice(since);
        expect(after).toMatch(
          new RegExp(`router aws-eu-edge-1 exited: ${ENGINE} exited \\(SIGKILL;`),
        );
        expect(after).toMatch(/restarting in 0\.5 s \(attempt 1\)/);
        expect(after).toMatch(/router aws-eu-edge-1 restarted/);
        expect(after).toMatch(/aws-eu-edge-1: \d+ CREATE address/);
        const restarted = await routerPid("aws-eu-edge-1");
        expect(restarted).toBeDefined();
        expect(restarted).not.toBe(before);
        expect(await addressesOn("aws-eu-edge-1")).toContain("sales/orders");

        // The printed curl, as a user pastes it: the order reaches order-invoicing again.
        const curl = output.split("\n").find((l) => l.trimStart().startsWith("curl "));
        expect(curl).toBeDefined();
        const orderAt = output.length;
        await waitFor(
          async () => {
            const shell = spawn("sh", ["-c", curl!.trim()], { stdio: ["ignore", "pipe", "pipe"] });
            let text = "";
            shell.stdout.on("data", (c: Buffer) => {
              text += c.toString();
            });
            await new Promise((resolve) => shell.once("exit", resolve));
            return /^HTTP\/1\.1 202/m.test(text);
          },
          { timeout: 30_000, what: "the AWS ingress to accept an order again" },
        );
        await waitFor(
          () => output.slice(orderAt).includes("function order-invoicing (azure) ← sales/orders"),
          { timeout: 20_000, what: "order-invoicing to run" },
        );
      }, 150_000);
    },
  );
});
