/**
 * Dead-letter and queue depths as `status` and the console show them, read from the RabbitMQ
 * running here over AMQP 1.0 (no management plugin), with queues this test makes and
 * deletes: the example with billing/invoices and its dead-letter channel
 * billing/invoices.dead both broker channels on queues of their own. The oracle is
 * RabbitMQ's own count (`rabbitmqctl list_queues`). Reading never takes a message. A queue
 * the broker lacks, a broker that does not answer and a password that is not set each give
 * "unknown" with the reason. Under CI=true a missing RabbitMQ fails the file; elsewhere it
 * skips it.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MeshClient } from "../../../shared/amqp/index.ts";
import {
  formatMeshView,
  MeshObserver,
  type MeshView,
  type ObservedProject,
  readQueueDepths,
} from "../../../shared/observe/index.ts";
import type { ChannelRegistry } from "../../../shared/registry/index.ts";
import type { Topology } from "../../../shared/topology/index.ts";
import { releasePort, reservePort } from "../../support/free-port.ts";
import {
  deleteQueues,
  IN_CI,
  probeRabbitMq,
  RABBITMQ,
  requireRabbitMq,
} from "../../support/rabbitmq.ts";
import {
  loadExampleRegistry,
  loadExampleTopology,
} from "../../unit/router-config/example-project.ts";

const rabbit = await probeRabbitMq();
const run = promisify(execFile);
const PREFIX = `amqp-mesh-depth-${randomBytes(4).toString("hex")}`;
const QUEUE = `${PREFIX}-invoices`;
const DEAD = `${PREFIX}-invoices-dead`;

/** RabbitMQ's own count of each queue's ready messages (rabbitmqctl is slow: one call for all). */
async function rabbitCounts(): Promise<Map<string, number>> {
  const { stdout } = await run("rabbitmqctl", [
    "list_queues",
    "-q",
    "--no-table-headers",
    "name",
    "messages_ready",
  ]);
  const counts = new Map<string, number>();
  for (const line of stdout.split("\n")) {
    const [name, count] = line.trim().split(/\s+/);
    if (name !== undefined && name !== "") counts.set(name, Number(count));
  }
  return counts;
}

/** The example with both billing channels on queues of this run, on the broker given. */
function project(broker: { port: number }, queues = { invoices: QUEUE, dead: DEAD }) {
  const registry = loadExampleRegistry();
  const channels = registry.channels.map((c) =>
    c.address === "billing/invoices"
      ? { ...c, routing: { kind: "broker" as const, broker: "rabbit-eu", queue: queues.invoices } }
      : c.address === "billing/invoices.dead"
        ? { ...c, routing: { kind: "broker" as const, broker: "rabbit-eu", queue: queues.dead } }
        : c,
  );
  const topology = loadExampleTopology();
  const brokers = topology.brokers.map((b) => ({
    ...b,
    host: RABBITMQ.host,
    port: broker.port,
    sasl: {
      mechanism: "PLAIN" as const,
      username: RABBITMQ.username,
      password: { secretRef: "env:AMQP_MESH_TEST_RABBIT_PASSWORD" },
    },
  }));
  return {
    registry: { ...registry, channels } satisfies ChannelRegistry,
    topology: { ...topology, brokers } satisfies Topology,
  };
}

describe.skipIf(!rabbit.reachable && !IN_CI)("queue and dead-letter depths from RabbitMQ", () => {
  let client: MeshClient;
  let downPort: number;
  const observers: MeshObserver[] = [];

  /** One reading, the routers not running (a reserved port): only the brokers answer. */
  async function readOnce(
    observed: ObservedProject,
    secrets: (ref: string) => string | undefined = () => RABBITMQ.password,
  ): Promise<MeshView> {
    const observer = new MeshObserver({
      project: observed,
      routers: [{ id: "aws-eu-edge-1", url: `amqp://127.0.0.1:${downPort}` }],
      requestTimeoutMs: 1000,
      secrets,
    });
    observers.push(observer);
    return observer.readOnce();
  }
  const channel = (view: MeshView, address: string) =>
    view.channels.find((c) => c.address === address)!;

  beforeAll(async () => {
    requireRabbitMq(rabbit);
    downPort = await reservePort();
    client = new MeshClient({
      urls: [`amqp://${RABBITMQ.host}:${RABBITMQ.port}`],
      sasl: { mechanism: "PLAIN", username: RABBITMQ.username, password: RABBITMQ.password },
    });
    // 5 invoices waiting, 2 dead letters.
    for (let i = 0; i < 5; i++) await client.publish(`/queue/${QUEUE}`, { body: { i } });
    for (let i = 0; i < 2; i++) await client.publish(`/queue/${DEAD}`, { body: { dead: i } });
  });

  afterAll(async () => {
    await Promise.all(observers.map((o) => o.close()));
    await client?.close(500);
    if (downPort !== undefined) await releasePort(downPort);
    await deleteQueues(PREFIX);
  });

  it("shows each broker channel's queue depth and the dead letters waiting, as RabbitMQ counts them", {
    timeout: 90_000,
  }, async () => {
    const counted = await rabbitCounts();
    expect([counted.get(QUEUE), counted.get(DEAD)]).toEqual([5, 2]);
    const view = await readOnce(project({ port: RABBITMQ.port }));
    const invoices = channel(view, "billing/invoices");
    expect(invoices.queueDepth).toMatchObject({
      broker: "rabbit-eu",
      queue: QUEUE,
      messages: 5,
      unknown: undefined,
    });
    expect(invoices.deadLetterDepth).toMatchObject({ queue: DEAD, messages: 2 });
    expect(channel(view, "billing/invoices.dead").queueDepth?.messages).toBe(2);
    // A channel whose dead letters are routed, not queued, shows none.
    expect(channel(view, "sales/orders").deadLetterDepth).toBeUndefined();
    const text = formatMeshView(view);
    expect(text).toMatch(/billing\/invoices .*queued 5, dead letters 2 in billing\/invoices\.dead/);
    // Reading took nothing: RabbitMQ still holds them all, and a second reading agrees.
    const after = await rabbitCounts();
    expect([after.get(QUEUE), after.get(DEAD)]).toEqual([5, 2]);
    await client.publish(`/queue/${DEAD}`, { body: { dead: 2 } });
    const again = await readOnce(project({ port: RABBITMQ.port }));
    expect(channel(again, "billing/invoices").deadLetterDepth?.messages).toBe(3);
    expect((await rabbitCounts()).get(DEAD)).toBe(3);
  });

  it("says why a depth is unknown: no such queue, a broker that does not answer, a password not set", {
    timeout: 60_000,
  }, async () => {
    const missing = `${PREFIX}-never-made`;
    const noQueue = await readOnce(
      project({ port: RABBITMQ.port }, { invoices: QUEUE, dead: missing }),
    );
    expect(channel(noQueue, "billing/invoices").queueDepth?.messages).toBe(5);
    const dead = channel(noQueue, "billing/invoices").deadLetterDepth!;
    expect(dead.messages).toBeUndefined();
    expect(dead.unknown).toContain(`no queue '${missing}'`);
    // Reading did not make the queue (the routers' /queue/ address would have).
    expect((await rabbitCounts()).has(missing)).toBe(false);

    const down = await readOnce(project({ port: downPort }));
    const unreachable = channel(down, "billing/invoices").queueDepth!;
    expect(unreachable.messages).toBeUndefined();
    expect(unreachable.unknown).toMatch(
      new RegExp(`rabbitmq 'rabbit-eu' at 127\\.0\\.0\\.1:${downPort}: .*(ECONNREFUSED|no answer)`),
    );
    expect(formatMeshView(down)).toMatch(/queued \? \(rabbitmq 'rabbit-eu' at /);

    const noPassword = await readOnce(project({ port: RABBITMQ.port }), () => undefined);
    expect(channel(noPassword, "billing/invoices").deadLetterDepth?.unknown).toBe(
      "broker 'rabbit-eu' takes its password from AMQP_MESH_TEST_RABBIT_PASSWORD, which is not set here",
    );
  });

  it("a refused login and a queue name RabbitMQ refuses: unknown, each with the broker's reason", {
    timeout: 30_000,
  }, async () => {
    const wrong = await readQueueDepths(
      {
        host: RABBITMQ.host,
        port: RABBITMQ.port,
        sasl: { username: RABBITMQ.username, password: `not-${RABBITMQ.password}` },
      },
      [`/amq/queue/${QUEUE}`],
      // RabbitMQ answers a wrong password after a few seconds.
      { timeoutMs: 15_000 },
    );
    expect(wrong.get(`/amq/queue/${QUEUE}`)).toEqual({
      unknown: expect.stringMatching(/^the broker refused the connection: .*authenticate/),
    });
    const login = {
      host: RABBITMQ.host,
      port: RABBITMQ.port,
      sasl: { username: RABBITMQ.username, password: RABBITMQ.password },
    };
    const readings = await readQueueDepths(login, [
      `/amq/queue/${PREFIX}/with-a-slash`,
      `/amq/queue/${QUEUE}`,
    ]);
    expect(readings.get(`/amq/queue/${PREFIX}/with-a-slash`)).toEqual({
      unknown: expect.stringContaining("the broker refused"),
    });
    // One refused queue does not spoil the others on the same connection.
    expect(readings.get(`/amq/queue/${QUEUE}`)).toEqual({ messages: 5 });
  });
});
