/**
 * The broker queues a mesh view shows the depth of: every broker channel's queue (the
 * registry's `routing.queue`, else the channel's address), on the topology's broker, reached
 * with the broker's own login as the routers reach it (its password from the same
 * environment variable the routers read). What cannot be read says why.
 */
import { readFileSync } from "node:fs";
import type { ChannelRegistry } from "../registry/index.ts";
import type { Broker, Topology } from "../topology/index.ts";
import type { BrokerLogin } from "./queue-depth.ts";

export interface BrokerQueue {
  /** The broker channel whose messages the queue holds. */
  channel: string;
  broker: string;
  /** The queue as the registry names it. */
  queue: string;
}

/** A secret's value by its reference (`env:NAME`…); undefined: not known here. */
export type SecretLookup = (secretRef: string) => string | undefined;

/** `env:NAME` from the process environment; any other store is not read here. */
export const environmentSecrets: SecretLookup = (ref) =>
  ref.startsWith("env:") ? process.env[ref.slice("env:".length)] : undefined;

export function brokerQueues(registry: ChannelRegistry): BrokerQueue[] {
  const queues: BrokerQueue[] = [];
  for (const channel of registry.channels)
    if (channel.routing.kind === "broker")
      queues.push({
        channel: channel.address,
        broker: channel.routing.broker,
        queue: channel.routing.queue ?? channel.address,
      });
  return queues;
}

/**
 * Where a reader attaches to read the queue's depth without changing it. On RabbitMQ
 * `/amq/queue/<name>`: an existing queue only (the routers' `/queue/<name>` would declare a
 * missing one). Elsewhere the queue's own name.
 */
export function depthAddress(broker: Broker, queue: string): string | { unknown: string } {
  if (broker.flavour !== "rabbitmq") return queue;
  if (queue.startsWith("/amq/queue/")) return queue;
  if (queue.startsWith("/queue/")) return `/amq/queue/${queue.slice("/queue/".length)}`;
  if (queue.startsWith("/")) return { unknown: `'${queue}' is not a queue on RabbitMQ` };
  return `/amq/queue/${queue}`;
}

/** How to log in to the broker as the routers do; or why that cannot be done from here. */
export function brokerLogin(
  broker: Broker,
  topology: Topology,
  secrets: SecretLookup = environmentSecrets,
): BrokerLogin | { unknown: string } {
  const login: BrokerLogin = { host: broker.host, port: broker.port };
  if (broker.sasl !== undefined) {
    if (broker.sasl.mechanism !== "PLAIN" && broker.sasl.mechanism !== "ANONYMOUS")
      return {
        unknown: `broker '${broker.name}' takes SASL ${broker.sasl.mechanism}; queue depths are read with PLAIN or ANONYMOUS only`,
      };
    if (broker.sasl.mechanism === "PLAIN") {
      const ref = broker.sasl.password.secretRef;
      const password = secrets(ref);
      if (password === undefined)
        return {
          unknown: ref.startsWith("env:")
            ? `broker '${broker.name}' takes its password from ${ref.slice(4)}, which is not set here`
            : `broker '${broker.name}' takes its password from ${ref}, which is not read here (only env: secrets)`,
        };
      login.sasl = { username: broker.sasl.username, password };
    }
  }
  if (broker.tlsProfile !== undefined) {
    const profile = topology.tlsProfiles.find((p) => p.name === broker.tlsProfile);
    const ca = profile?.caCert;
    if (typeof ca !== "string")
      return {
        unknown: `broker '${broker.name}' is reached over TLS with a CA kept as a secret, which is not read here`,
      };
    try {
      login.tls = { ca: readFileSync(ca, "utf8") };
    } catch (error) {
      return {
        unknown: `broker '${broker.name}': its TLS CA ${ca} is not readable here (${(error as Error).message.split("\n")[0]})`,
      };
    }
  }
  return login;
}
