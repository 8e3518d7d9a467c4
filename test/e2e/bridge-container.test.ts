/**
 * The bridge image (infra/bridge/) built here with podman and run as Fargate or Container Apps
 * would run it: configured only through its environment (the login's password as a mounted
 * secret file), on the host network, consuming a team's channel from an emulated edge router
 * that requires SASL PLAIN and invoking the real trigger Lambda handler through a local stand-in
 * of the Lambda Invoke API. Checked from the router's side: each delivery's outcome as the
 * router reported it to the producer, the dead letter that came through the router. A SIGTERM
 * while the function holds a message stops the bridge only after the function answered and
 * the message was settled by that answer; the container exits 0. A missing setting stops the
 * container before anything starts (exit 78, the variable named, no secret printed).
 *
 * Needs podman, runc and debootstrap (`.ci/run` installs them); the Debian base image is built
 * once per machine and kept, the bridge image is rebuilt from the sources on every run.
 */
import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { LocalMesh } from "../../emulator/index.ts";
import { createTriggerLambdaHandler } from "../../functions/aws/trigger/index.ts";
import { buildBridgeImage } from "../../infra/containers/images.ts";
import { findPodman, type Podman, podmanAvailable } from "../../infra/containers/podman.ts";
import { MeshClient } from "../../shared/amqp/index.ts";
import { channelPublisher, defineChannelHandler } from "../../shared/trigger/index.ts";
import {
  deadLetterReceiver,
  exampleRegistry,
  type Order,
  order,
  orderMessage,
  produce,
} from "../integration/trigger/harness.ts";
import { closeAllClients, connectClient } from "../support/amqp-client.ts";
import {
  type LambdaInvokeServer,
  startLambdaInvokeServer,
  TEST_CREDENTIALS,
  TEST_REGION,
} from "../support/lambda-invoke-server.ts";
import { startTestMesh, stopAllMeshes } from "../support/local-mesh.ts";
import { IN_CI } from "../support/rabbitmq.ts";
import { waitFor } from "../support/wait.ts";

process.env.POWERTOOLS_METRICS_DISABLED = "true";
const available = await podmanAvailable();
if (!available && IN_CI)
  throw new Error(
    "the bridge image test needs podman and runc (apt-get install podman runc debootstrap; .ci/run installs them)",
  );

/** This run's own tag: other checkouts on the machine build their own sources at the same time. */
const IMAGE = `localhost/amqp-mesh-bridge:test-${process.pid}`;
const PRINCIPAL = "billing-worker";
const PASSWORD = "TOPSECRET-bridge-password";
const FUNCTION = "order-invoicing";

let podman: Podman;
let mesh: LocalMesh;
let lambda: LambdaInvokeServer;
let publisher: MeshClient;
let secrets: string;
/** The function's answers: which orders fail, and a gate an order waits on. */
let failing = new Set<string>();
const gates = new Map<string, { entered: boolean; open: () => void; opened: boolean }>();
const running: Array<{ name: string; child: ChildProcess }> = [];

interface Container {
  name: string;
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
}

function runBridgeContainer(env: Record<string, string>): Container {
  const name = `amqp-mesh-bridge-test-${process.pid}-${running.length}`;
  // Values travel in podman's environment (`--env NAME`), as a task definition's would.
  const child = podman.spawn(
    [
      "run",
      "--rm",
      "--name",
      name,
      "--network",
      "host",
      "--volume",
      `${secrets}:/run/amqp-mesh-secrets:ro,U`,
      ...Object.keys(env).flatMap((key) => ["--env", key]),
      IMAGE,
    ],
    { env, stdio: ["ignore", "pipe", "pipe"] },
  );
  running.push({ name, child });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d) => {
    stdout += d;
  });
  child.stderr?.on("data", (d) => {
    stderr += d;
  });
  const exited = once(child, "exit").then(([code]) => code as number | null);
  return { name, child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** The settings a deployment gives the bridge's container. */
function deployedEnvironment(extra: Record<string, string> = {}): Record<string, string> {
  return {
    MESH_BRIDGE_CHANNEL: "sales/orders",
    MESH_BRIDGE_LAMBDA: FUNCTION,
    MESH_BRIDGE_LAMBDA_ENDPOINT: lambda.url,
    MESH_BRIDGE_MAX_WAIT_MS: "5",
    MESH_BRIDGE_MAX_ATTEMPTS: "2",
    MESH_BRIDGE_RETRY_DELAY_MS: "10",
    MESH_URLS: mesh.router("edge").url,
    MESH_SASL_USERNAME: PRINCIPAL,
    MESH_SASL_PASSWORD_FILE: "/run/amqp-mesh-secrets/mesh-password",
    AWS_REGION: TEST_REGION,
    AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
    ...extra,
  };
}

beforeAll(async () => {
  if (!available) return;
  podman = await findPodman();
  await buildBridgeImage({ tag: IMAGE });
  secrets = await mkdtemp(join(tmpdir(), "amqp-mesh-bridge-secrets-"));
  await writeFile(join(secrets, "mesh-password"), PASSWORD, { mode: 0o600 });
  mesh = await startTestMesh({
    routers: [{ id: "edge" }],
    listener: { saslMechanisms: "PLAIN", authenticatePeer: true },
    users: new Map([
      [PRINCIPAL, PASSWORD],
      ["producer", "producer-password"],
    ]),
  });
  publisher = new MeshClient({
    urls: [mesh.router("edge").url],
    sasl: { mechanism: "PLAIN", username: "producer", password: "producer-password" },
  });
  const { catalog } = await exampleRegistry();
  const definition = defineChannelHandler<Order>({
    channel: "sales/orders",
    name: FUNCTION,
    async handler(batch) {
      const batchItemFailures: { itemIdentifier: string }[] = [];
      for (const m of batch) {
        const gate = gates.get(m.payload.orderId);
        if (gate !== undefined) {
          gate.entered = true;
          await new Promise<void>((resolve) => {
            gate.open = () => {
              gate.opened = true;
              resolve();
            };
          });
        }
        if (failing.has(m.payload.orderId)) batchItemFailures.push({ itemIdentifier: m.id });
      }
      return { batchItemFailures };
    },
  });
  lambda = await startLambdaInvokeServer({
    [FUNCTION]: createTriggerLambdaHandler(definition, {
      catalog,
      publish: channelPublisher(publisher, catalog),
      logger: new Logger({ serviceName: "bridge-container-test", logLevel: "SILENT" }),
      metrics: new Metrics({ namespace: "amqp-mesh-test", serviceName: FUNCTION }),
    }),
  });
}, 600_000);

afterEach(async () => {
  for (const { name, child } of running.splice(0))
    if (child.exitCode === null) await podman.run(["rm", "--force", "--time", "0", name]);
  await closeAllClients();
  failing = new Set();
  gates.clear();
});

afterAll(async () => {
  if (!available) return;
  await lambda?.close();
  await publisher?.close(100);
  await stopAllMeshes();
  if (secrets) await rm(secrets, { recursive: true, force: true });
  await podman.run(["rmi", "--force", IMAGE]).catch(() => undefined);
});

const login = { username: "producer", password: "producer-password" };

describe.skipIf(!available)(
  `the bridge image${available ? "" : " — podman is not installed (apt-get install podman runc debootstrap)"}`,
  { timeout: 120_000 },
  () => {
    it("runs the trigger configured only by its environment, settling by the function's answers, and stops on SIGTERM after the function answered", async () => {
      failing = new Set(["ord-2"]);
      const bridge = runBridgeContainer(deployedEnvironment());
      await waitFor(() => bridge.stdout().includes("ready"), {
        what: `the bridge to be ready (stderr: ${bridge.stderr()})`,
        timeout: 60_000,
      });
      const producer = await connectClient(mesh.router("edge").url, login);
      const dead = await deadLetterReceiver(producer);
      const outcomes = await produce(producer, "sales/orders", [
        orderMessage(order(1), "container-1"),
        orderMessage(order(2), "container-2"),
      ]);
      expect(outcomes.map((o) => o.outcome)).toEqual(["accepted", "accepted"]);
      await waitFor(() => dead.messages.length === 1, { what: "the dead letter" });
      expect(dead.messages[0]?.message.message_id).toBe("container-2");
      expect(dead.messages[0]?.message.application_properties?.["amqp-mesh-attempts"]).toBe(2);

      // A message the function is still working on when the task is told to stop.
      const gate = { entered: false, opened: false, open: () => {} };
      gates.set("ord-3", gate);
      let openWhenSettled: boolean | undefined;
      const held = produce(producer, "sales/orders", [orderMessage(order(3), "container-3")]).then(
        (results) => {
          openWhenSettled = gate.opened;
          return results;
        },
      );
      await waitFor(() => gate.entered, { what: "the function to hold ord-3" });
      await podman.run(["kill", "--signal", "TERM", bridge.name]);
      await waitFor(() => bridge.stdout().includes("SIGTERM: stopping"), {
        what: "the bridge to take the SIGTERM",
      });
      expect(openWhenSettled).toBeUndefined();
      gate.open();
      const [outcome] = await held;
      expect(outcome?.outcome).toBe("accepted");
      // Settled by the function's answer, not before it.
      expect(openWhenSettled).toBe(true);
      expect(await bridge.exited).toBe(0);
      expect(bridge.stdout()).toMatch(/received 3, accepted 2, dead-lettered 1/);
      expect(
        lambda.invocations.filter((i) => JSON.stringify(i.event).includes("ord-3")),
      ).toHaveLength(1);
      expect(bridge.stdout() + bridge.stderr()).not.toContain(PASSWORD);
    });

    it("refuses to start without its channel: exit 78 naming the variable, no secret printed", async () => {
      const env = deployedEnvironment();
      delete env.MESH_BRIDGE_CHANNEL;
      const bridge = runBridgeContainer(env);
      expect(await bridge.exited).toBe(78);
      expect(bridge.stderr()).toMatch(/amqp-mesh-bridge: MESH_BRIDGE_CHANNEL is not set/);
      expect(bridge.stdout() + bridge.stderr()).not.toContain(PASSWORD);
    });
  },
);
