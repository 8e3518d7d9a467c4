/**
 * `up`'s first proof that the mesh routes: one message published at-least-once from an edge
 * router of the first environment, received on an edge router of the last.
 */
import { MeshClient, type ReceivedMessage } from "../../shared/amqp/index.ts";
import type { LocalPlatform } from "./platform.ts";

/** How long the round trip may take, from the publish to the message's arrival. */
const ROUND_TRIP_TIMEOUT_MS = 20_000;

interface Party {
  principal: string;
  router: string;
}

/**
 * Publishes one message at-least-once from an edge router of the first environment and
 * receives it on an edge router of the last one: the smallest proof the mesh routes.
 */
export async function roundTrip(platform: LocalPlatform): Promise<string> {
  const { registry, topology } = platform.project;
  const channel = registry.channels.find(
    (c) =>
      c.distribution !== "multicast" &&
      c.delivery === "at-least-once" &&
      c.routing.kind === "message" &&
      c.environments === undefined,
  );
  if (channel === undefined) return "round trip: skipped (no all-environment anycast channel)";
  const edges = topology.routers.filter((r) => r.mode === "edge");
  const from = edges[0] ?? topology.routers[0]!;
  const to = edges.at(-1) ?? topology.routers.at(-1)!;
  const producer = partyFor(platform, channel.producers, from.id);
  const consumer = partyFor(platform, channel.consumers, to.id);

  const publisher = clientFor(platform, producer);
  const receiver = clientFor(platform, consumer);
  let timer: NodeJS.Timeout | undefined;
  try {
    const received = new Promise<ReceivedMessage>((resolvePromise, reject) => {
      receiver.consume(channel.address, (message) => resolvePromise(message), { prefetch: 1 });
      timer = setTimeout(
        () =>
          reject(
            new Error(
              `round trip: nothing arrived on ${channel.address} at ${consumer.principal}@${to.id} within ${ROUND_TRIP_TIMEOUT_MS / 1000} s`,
            ),
          ),
        ROUND_TRIP_TIMEOUT_MS,
      );
    });
    received.catch(() => undefined);
    const started = performance.now();
    const messageId = `up-check-${Date.now()}`;
    // The producer gets credit once the mesh knows the consumer: the publish waits for it.
    await publisher.publish(
      channel.address,
      { body: { check: "amqp-mesh up", at: new Date().toISOString() }, messageId },
      { deadline: ROUND_TRIP_TIMEOUT_MS },
    );
    const message = await received;
    const ms = (performance.now() - started).toFixed(1);
    if (message.messageId !== messageId)
      throw new Error(
        `round trip: expected message ${messageId}, got ${String(message.messageId)}`,
      );
    return (
      `round trip: ${channel.address} ${producer.principal}@${from.id} → ` +
      `${consumer.principal}@${to.id} accepted and received in ${ms} ms`
    );
  } finally {
    clearTimeout(timer);
    await Promise.all([publisher.close(), receiver.close()]);
  }
}

/** A principal of a team (or the principal itself) named in the channel's list. */
function partyFor(platform: LocalPlatform, names: readonly string[], router: string): Party {
  for (const name of names) {
    const team = platform.project.registry.teams.find((t) => t.team === name);
    const principal = team ? team.principals[0] : platform.users.has(name) ? name : undefined;
    if (principal !== undefined) return { principal, router };
  }
  throw new Error(`round trip: no principal among ${names.join(", ")}`);
}

function clientFor(platform: LocalPlatform, party: Party): MeshClient {
  return new MeshClient({
    urls: [platform.routers.url(party.router)],
    sasl: {
      mechanism: "PLAIN",
      username: party.principal,
      password: platform.users.get(party.principal) ?? "",
    },
    reconnect: { initialDelayMs: 100, maxDelayMs: 1_000, maxAttempts: 5 },
  });
}
