import { type Diagnostic, sortDiagnostics } from "../diagnostics.ts";
import type { ChannelRegistry, RegisteredChannel } from "../registry/model.ts";
import { queueKey } from "../registry/rules/ownership.ts";
import type { RouterFlavour } from "../router-vocabulary/index.ts";
import type { Router, Topology } from "../topology/index.ts";
import { channelEntities, checkChannel } from "./channels.ts";
import {
  connectorEntities,
  DEFAULT_WORKER_THREADS,
  listenerEntities,
  routerEntity,
  sslProfileEntities,
} from "./connections.ts";
import { DiagnosticSink } from "./diagnostic-sink.ts";
import type { RouterConfig } from "./model.ts";
import { compareText, isInScope, sortedChannels } from "./scope.ts";
import { policyEntities, routersVhostEntity } from "./vhost.ts";

export interface GenerateOptions {
  /** Overrides the topology's flavour. */
  flavour?: RouterFlavour;
  /** Router worker threads; default 4 (the router's own default). */
  workerThreads?: number;
  /** SASL users (e.g. config-sync) allowed to send to `$management` on every router. */
  managementPrincipals?: string[];
  /** File name diagnostics about the topology point at. */
  topologyFile?: string;
  /**
   * "startup": only what a restart changes — router, sslProfiles, listeners, connectors, the
   * policy and vhosts without any channel's rights — for routers whose channels config-sync
   * brings (the local platform, as in the clouds). Default "full".
   */
  entities?: "full" | "startup";
}

export interface GenerationResult {
  /** One config per router, sorted by router id. */
  configs: RouterConfig[];
  diagnostics: Diagnostic[];
}

/**
 * One configuration per router of the topology, in the given flavour, from the channel
 * registry. Deterministic: the same input gives the same configs, entity for entity.
 * Channels that cannot be generated are left out with an error diagnostic; the others
 * are still generated.
 */
export function generateRouterConfigs(
  registry: ChannelRegistry,
  topology: Topology,
  options: GenerateOptions = {},
): GenerationResult {
  const flavour = options.flavour ?? topology.flavour;
  const sink = new DiagnosticSink(registry, options.topologyFile ?? "topology.yaml");
  const channels = usableChannels(registry, topology, flavour, sink);
  const routers = [...topology.routers].sort((a, b) => compareText(a.id, b.id));
  const configs = routers.map((router) =>
    routerConfig(router, registry, topology, channels, flavour, sink, options),
  );
  return { configs, diagnostics: sortDiagnostics(sink.diagnostics) };
}

/**
 * Channels that pass the flavour and topology checks, one per address (first owner wins).
 * Channels sharing a broker queue are all left out: validation refuses them, and a registry
 * that skipped it must not link one team's channel to another's queue, whichever sorts first.
 */
function usableChannels(
  registry: ChannelRegistry,
  topology: Topology,
  flavour: RouterFlavour,
  sink: DiagnosticSink,
): RegisteredChannel[] {
  const usable = new Map<string, RegisteredChannel>();
  const onQueue = new Map<string, RegisteredChannel[]>();
  for (const channel of registry.channels) {
    const key = queueKey(channel);
    if (key !== undefined) onQueue.set(key, [...(onQueue.get(key) ?? []), channel]);
  }
  for (const channel of sortedChannels(registry)) {
    const key = queueKey(channel);
    const sharing = key === undefined ? [] : (onQueue.get(key) ?? []).filter((c) => c !== channel);
    if (sharing.length > 0) {
      const others = sharing.map((c) => `'${c.address}' of '${c.owner}'`).join(", ");
      sink.channel(
        channel,
        "error",
        "router-config/queue-taken",
        `channel '${channel.address}' of '${channel.owner}' routes to a broker queue that ${others} routes to as well; none of them is generated`,
        "A broker queue belongs to one channel of one team: run `amqp-mesh validate`.",
        ["routing", "queue"],
      );
      continue;
    }
    const twin = usable.get(channel.address);
    if (twin !== undefined) {
      sink.channel(
        channel,
        "error",
        "router-config/duplicate-address",
        `channel '${channel.address}' of '${channel.owner}' is also declared by '${twin.owner}'; only the latter is generated`,
        "Give each channel its own address.",
        ["address"],
      );
      continue;
    }
    if (checkChannel(channel, registry, topology, flavour, sink))
      usable.set(channel.address, channel);
  }
  return [...usable.values()];
}

function routerConfig(
  router: Router,
  registry: ChannelRegistry,
  topology: Topology,
  channels: RegisteredChannel[],
  flavour: RouterFlavour,
  sink: DiagnosticSink,
  options: GenerateOptions,
): RouterConfig {
  const index = topology.routers.indexOf(router);
  const listeners = listenerEntities(router, sink, index);
  const connectors = connectorEntities(router, topology, sink);
  const sslProfiles = sslProfileEntities([...listeners, ...connectors], topology, sink);
  const local = channels.filter((c) => isInScope(c, router));
  const managers = options.managementPrincipals ?? [];
  const policy = policyEntities(local, registry, topology, managers, flavour);
  // Start-up: vhosts that grant no channel (config-sync UPDATEs them), but the policy singleton
  // as the full config has it — it has no UPDATE, only a restart changes it.
  const access =
    options.entities === "startup"
      ? policyEntities([], registry, topology, managers, flavour).map(
          (e) => (e.type === "policy" ? policy.find((p) => p.type === "policy") : undefined) ?? e,
        )
      : policy;
  const channelSet = options.entities === "startup" ? [] : local;
  return {
    routerId: router.id,
    mode: router.mode,
    flavour,
    entities: [
      routerEntity(router, topology, options.workerThreads ?? DEFAULT_WORKER_THREADS),
      ...sslProfiles,
      ...listeners,
      ...connectors,
      ...access,
      ...routersVhostEntity(router, topology),
      ...channelEntities(channelSet, router, topology, flavour),
    ],
  };
}
