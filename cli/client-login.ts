/**
 * The client side of `publish`, `tail` and `verify`: a MeshClient on one router, logged in
 * as a principal. The router: `--at <router id>` of the topology, `--router <url>`, the first
 * router of `--target`, or else the topology's first edge router.
 */
import { MeshClient } from "../shared/amqp/index.ts";
import {
  type ChannelRegistry,
  partyResolver,
  type RegisteredChannel,
} from "../shared/registry/index.ts";
import type { Topology } from "../shared/topology/index.ts";
import type { CommandArgs, CommandOptions } from "./args.ts";
import {
  chosenRouters,
  MESH_OPTIONS,
  principalLogin,
  type Sasl,
  tlsOf,
  topologyRouters,
} from "./mesh-target.ts";
import { UsageError } from "./usage.ts";

export const CLIENT_OPTIONS = {
  ...MESH_OPTIONS,
  as: {
    type: "string",
    value: "<principal>",
    help: "the principal to log in as (default: the channel's first producer / consumer principal)",
  },
  at: {
    type: "string",
    value: "<router-id>",
    help: "the topology's router to connect to (default: the first edge router)",
  },
} as const satisfies CommandOptions;

type ClientArgs = CommandArgs<typeof CLIENT_OPTIONS>;

export async function clientRouterUrl(
  args: ClientArgs,
  topology: Topology,
): Promise<{ id: string | undefined; url: string }> {
  const at = args.values.at;
  const all = topologyRouters(topology);
  if (typeof at === "string") {
    if (args.values.router !== undefined || args.values.target !== undefined)
      throw new UsageError("give --at <router-id>, --router <url> or --target <file>, one of them");
    const router = all.find((r) => r.id === at);
    if (router === undefined)
      throw new UsageError(
        `--at '${at}' is not a router of the topology (${all.map((r) => r.id).join(", ")})`,
      );
    return { id: router.id, url: router.url };
  }
  if (args.values.router !== undefined || args.values.target !== undefined) {
    const [first] = await chosenRouters(args, topology);
    return { id: first!.id, url: first!.url };
  }
  const edge = topology.routers.find((r) => r.mode === "edge") ?? topology.routers[0]!;
  return all.find((r) => r.id === edge.id)!;
}

export function clientFor(url: string, sasl: Sasl, args: ClientArgs): MeshClient {
  const tls = tlsOf(args);
  return new MeshClient({
    urls: [url],
    ...(sasl === undefined ? {} : { sasl }),
    ...(url.startsWith("amqps:") || tls?.ca !== undefined ? { tls } : {}),
    reconnect: { initialDelayMs: 100, maxDelayMs: 1_000, maxAttempts: 3 },
  });
}

export { principalLogin };

/**
 * The channel a command names and the principal it acts as: `--as`, else the channel's first
 * producer (publish) or consumer (tail) principal. A usage error says which is missing.
 */
export function channelAndPrincipal(
  registry: ChannelRegistry,
  dir: string,
  channelName: string,
  as: string | undefined,
  role: "producer" | "consumer",
): { channel: RegisteredChannel; principal: string } {
  const channel = registry.channels.find((c) => c.address === channelName);
  if (channel === undefined)
    throw new UsageError(
      `'${channelName}' is no channel of ${dir} (${registry.channels.map((c) => c.address).join(", ")})`,
    );
  const parties = role === "producer" ? channel.producers : channel.consumers;
  const principal = as ?? partyResolver(registry).principalsIn(parties)[0];
  if (principal === undefined)
    throw new UsageError(
      `channel '${channel.address}' has no ${role} principal: give --as <principal>`,
    );
  return { channel, principal };
}
