/**
 * `amqp-mesh up --engine container-qdrouterd|container-skrouterd` as a user runs it: the
 * example mesh (a copy on reserved ports) as one router container per router, started through
 * the deploy's entrypoint with the infra programs' variables and secret files; `--once`'s
 * whole story holds (round trip, HTTP → functions → broker, a registry edit live and
 * reverted), the routers between them speak mutual TLS with the certificates that arrived as
 * secret files, and nothing is left running afterwards.
 * Runs when MESH_TARGET names a container engine (the router images copy the routers built
 * on this machine, which CI has not got).
 */
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { type ContainerEngine, isContainerEngine } from "../../cli/local/engine.ts";
import { RUN_LABEL } from "../../cli/local/router-containers.ts";
import { findPodman } from "../../infra/containers/podman.ts";
import { tempFolders } from "../integration/cli/copy-examples.ts";
import { examplesOnFreePorts } from "../integration/cli/free-port-project.ts";
import { forTheStory } from "../support/example-functions.ts";
import { deleteQueues } from "../support/rabbitmq.ts";
import { engine } from "./target.ts";

const BIN = fileURLToPath(new URL("../../cli/bin.js", import.meta.url));
const containerEngine: ContainerEngine | undefined =
  engine !== undefined && isContainerEngine(engine) ? engine : undefined;
const folders = tempFolders();
afterAll(() => folders.cleanup());

function up(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, "up", ...args],
      { timeout: 300_000, env: { ...process.env, RABBIT_PASSWORD: "guest" } },
      (error, stdout, stderr) =>
        resolve({ code: error === null ? 0 : Number(error.code ?? 1), stdout, stderr }),
    );
  });
}

describe.skipIf(containerEngine === undefined)(
  `up on router containers${containerEngine === undefined ? ' — needs MESH_TARGET {"engine": "container-qdrouterd" | "container-skrouterd"} (images of the routers built here)' : ""}`,
  () => {
    it("runs the example mesh as router containers: round trip, ingress, mutual TLS, clean stop", async () => {
      const project = await examplesOnFreePorts(folders);
      const queue = await forTheStory(project);
      const out = join(project, "out");
      const result = await up([project, "--engine", containerEngine!, "--once", "--out", out]);
      await deleteQueues(queue).catch(() => undefined);
      expect(result.stderr + result.stdout).not.toMatch(/^up: /m);
      expect(result.code, result.stdout).toBe(0);
      expect(result.stdout).toMatch(
        /round trip: \S+ \S+@aws-eu-edge-1 → \S+@azure-we-edge-2 accepted and received/,
      );
      expect(result.stdout).toMatch(/--once: all 5 steps held/);
      const logs = join(out, containerEngine!);
      // What the round trip needed was up over mutual TLS, each router known by the
      // certificate that reached it as a secret file: the producer's edge uplink and a link
      // across the clouds (either end of a connection logs the peer's name).
      const awsInteriors = (
        await Promise.all(
          ["aws-eu-interior-1", "aws-eu-interior-2"].map((id) =>
            readFile(join(logs, `${id}.log`), "utf8"),
          ),
        )
      ).join("\n");
      expect(awsInteriors).toMatch(
        /Connection Opened: .*encrypted=TLS\S* auth=EXTERNAL user=aws-eu-edge-1 /,
      );
      expect(awsInteriors).toMatch(
        /Connection Opened: .*encrypted=TLS\S* auth=EXTERNAL user=azure-we-interior-\d /,
      );
      // Stopped on SIGTERM: the router finished by itself, the container is gone.
      for (const router of ["aws-eu-interior-1", "azure-we-edge-2"])
        expect(await readFile(join(logs, `${router}.log`), "utf8")).toMatch(
          /Finalizing core module/,
        );
      const podman = await findPodman();
      const left = await podman.run([
        "ps",
        "--all",
        "--filter",
        `label=${RUN_LABEL}=${logs}`,
        "--format",
        "{{.Names}}",
      ]);
      expect(left.trim()).toBe("");
    }, 320_000);
  },
);
