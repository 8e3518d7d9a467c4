/**
 * The client against a real AMQP 1.0 implementation: RabbitMQ (3.x plugin) on 127.0.0.1.
 * Under CI=true an unreachable broker fails this suite loudly; locally it is skipped
 * (test/support/rabbitmq.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type CloudEvent,
  fromAmqpMessage,
  LinkRefusedError,
  MeshClient,
  type ReceivedMessage,
  toAmqpMessage,
} from "../../../shared/amqp/index.ts";
import { IN_CI, probeRabbitMq, RABBITMQ, requireRabbitMq } from "../../support/rabbitmq.ts";
import { waitFor } from "../../support/wait.ts";

const rabbit = await probeRabbitMq();
/** The broker's url, credentials included (the tests check they never show in errors). */
const RABBITMQ_URL = `amqp://${encodeURIComponent(RABBITMQ.username)}:${encodeURIComponent(RABBITMQ.password)}@${RABBITMQ.host}:${RABBITMQ.port}`;

describe.skipIf(!rabbit.reachable && !IN_CI)("against RabbitMQ (AMQP 1.0 plugin)", () => {
  let client: MeshClient;
  // One fixed queue (RabbitMQ keeps it); leftovers of an aborted run are filtered by id.
  const address = "/queue/amqp-mesh-client-test";

  beforeAll(() => {
    requireRabbitMq(rabbit);
    client = new MeshClient({
      urls: [RABBITMQ_URL],
      reconnect: { initialDelayMs: 50, maxDelayMs: 500 },
    });
  });
  afterAll(async () => {
    await client?.close(500);
  });

  it("publishes at-least-once (accepted) and consumes with a credit window", async () => {
    const ids = Array.from({ length: 30 }, (_, i) => `rmq-${process.pid}-${i}`);
    await Promise.all(
      ids.map((id, i) =>
        client.publish(address, { body: { i }, messageId: id, applicationProperties: { i } }),
      ),
    );
    const got: ReceivedMessage[] = [];
    const consumer = client.consume(
      address,
      (m) => {
        got.push(m);
      },
      // RabbitMQ 3.x crashes the connection on drain; stop without it.
      { prefetch: 5, concurrency: 2, drainOnStop: false },
    );
    const all = () => ids.every((id) => got.some((m) => m.messageId === id));
    await waitFor(all, { timeout: 10_000, what: "30 messages from RabbitMQ" });
    await consumer.stop();
    expect(got.filter((m) => ids.includes(String(m.messageId)))).toHaveLength(ids.length);
    const first = got.find((m) => m.messageId === ids[0]);
    expect(first?.body).toEqual({ i: 0 });
    expect(first?.applicationProperties.i).toBe(0);
  });

  it("an address the broker refuses is a LinkRefusedError carrying its condition", async () => {
    const error = await client
      .publish("/exchange/amqp-mesh-no-such-exchange/key", { body: 1 }, { deadline: 5_000 })
      .catch((e) => e);
    expect(error).toBeInstanceOf(LinkRefusedError);
    expect(error.condition).toBe("amqp:not-found");
    expect(error.message).toContain("amqp-mesh-no-such-exchange");
    expect(error.message).not.toContain("guest:guest");
    // The connection survives a refused link.
    await client.publish(address, {
      body: "still fine",
      messageId: `after-refusal-${process.pid}`,
    });
  });

  it("a consumer of a refused address reports it through onError and keeps the connection", async () => {
    const errors: Error[] = [];
    const consumer = client.consume("/queue/../bad", () => {}, {
      onError: (e) => errors.push(e),
      drainOnStop: false,
    });
    await waitFor(() => errors.length >= 1, { timeout: 5_000, what: "the refusal" });
    await consumer.stop();
    expect(errors[0]).toBeInstanceOf(LinkRefusedError);
    expect(client.status.state).toBe("open");
  });

  it("ready() resolves for a queue and rejects with the broker's refusal of a missing exchange", async () => {
    const good = client.consume(address, () => {}, { prefetch: 1, drainOnStop: false });
    await good.ready();
    await good.stop();
    const bad = client.consume("/exchange/amqp-mesh-no-such-exchange", () => {}, {
      onError: () => {},
      drainOnStop: false,
    });
    const error = await bad.ready().catch((e: unknown) => e);
    await bad.stop();
    expect(error).toBeInstanceOf(LinkRefusedError);
    expect(error).toMatchObject({ condition: "amqp:not-found" });
  });

  it("round-trips CloudEvents in both modes through the broker", async () => {
    const event: CloudEvent = {
      specversion: "1.0",
      id: `ce-${process.pid}`,
      source: "/tests/rabbitmq",
      type: "com.example.tested",
      datacontenttype: "application/json",
      time: "2026-01-02T03:04:05Z",
      tenant: "t1",
      data: { ok: true },
    };
    await client.publish(address, toAmqpMessage(event, { mode: "binary" }));
    await client.publish(
      address,
      toAmqpMessage({ ...event, id: `${event.id}-s` }, { mode: "structured" }),
    );
    const got: CloudEvent[] = [];
    const consumer = client.consume(
      address,
      (m) => {
        if (String(m.messageId).startsWith(`ce-${process.pid}`)) got.push(fromAmqpMessage(m));
      },
      { prefetch: 2, drainOnStop: false },
    );
    await waitFor(() => got.length === 2, { timeout: 10_000, what: "both events" });
    await consumer.stop();
    expect(got[0]).toEqual(event);
    expect(got[1]).toEqual({ ...event, id: `${event.id}-s` });
  });
});
