import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ChannelRegistry, RegisteredChannel } from "../../../shared/registry/index.ts";
import { generateRouterConfigs, type RouterConfig } from "../../../shared/router-config/index.ts";
import type { Router, Topology } from "../../../shared/topology/index.ts";
import { type Project, projectArbitrary } from "./arbitraries.ts";

/*
 * The oracle is the registry, read here on its own terms; the generator's code is not used.
 * The router's matching of `sources`/`targets` (qdrouterd policy.c
 * `_qd_policy_approve_link_name`, checked against qdrouterd 1.19 and skupper-router 3.5): a
 * comma list; an entry is the address itself, or with a trailing `*` a character prefix.
 */
function admits(list: unknown, address: string): boolean {
  if (typeof list !== "string") return false;
  return list
    .split(",")
    .map((e) => e.trim())
    .filter((e) => e !== "")
    .some((e) => (e.endsWith("*") ? address.startsWith(e.slice(0, -1)) : e === address));
}

type Group = Record<string, unknown>;

function groupOf(config: RouterConfig, principal: string): Group | undefined {
  const vhost = config.entities.find(
    (e) => e.type === "vhost" && e.attributes.hostname === "$default",
  );
  const groups = (vhost?.attributes.groups ?? {}) as Record<string, Group>;
  return Object.values(groups).find((g) =>
    String(g.users)
      .split(",")
      .map((u) => u.trim())
      .includes(principal),
  );
}

/** Segments as the router splits addresses: at '.' and '/', empty ones dropped. */
const segments = (address: string) => address.split(/[./]/).filter((s) => s !== "");

function startsWithSegments(long: string[], short: string[]): boolean {
  return short.length <= long.length && short.every((s, i) => long[i] === s);
}

/** The registered channel an address belongs to: the longest segment prefix (router prefix matching). */
function ownerOf(address: string, registry: ChannelRegistry): RegisteredChannel | undefined {
  const mine = segments(address);
  let best: RegisteredChannel | undefined;
  for (const c of registry.channels)
    if (startsWithSegments(mine, segments(c.address)))
      if (best === undefined || segments(c.address).length > segments(best.address).length)
        best = c;
  return best;
}

function parties(entries: string[], registry: ChannelRegistry): Set<string> {
  return new Set(
    entries.flatMap((e) => registry.teams.find((t) => t.team === e)?.principals ?? [e]),
  );
}

function everyPrincipal(registry: ChannelRegistry): string[] {
  const names = new Set(registry.teams.flatMap((t) => t.principals));
  for (const c of registry.channels)
    for (const p of [...parties(c.producers, registry), ...parties(c.consumers, registry)])
      names.add(p);
  return [...names];
}

function inScope(channel: RegisteredChannel, router: Router): boolean {
  return channel.environments === undefined || channel.environments.includes(router.environment);
}

/** Channels the generator refused (error diagnostics name them); they get no rights anywhere. */
function refusedAddresses(project: Project): Set<string> {
  const { diagnostics } = generateRouterConfigs(project.registry, project.topology);
  return new Set(
    diagnostics
      .filter((d) => d.severity === "error")
      .map((d) => d.message.match(/channel '([^']+)'/)?.[1] ?? ""),
  );
}

const suffix = fc.array(fc.constantFrom("a", "b", "orders", "dead", "x1", "eu", "zz"), {
  minLength: 1,
  maxLength: 2,
});

function routerOf(topology: Topology, id: string): Router {
  return topology.routers.find((r) => r.id === id)!;
}

describe("generated vhost policies admit exactly what the registry says", () => {
  it("on every channel address: producers may send, consumers may receive, nobody else", () => {
    fc.assert(
      fc.property(projectArbitrary, (project) => {
        const { registry, topology } = project;
        const refused = refusedAddresses(project);
        const { configs } = generateRouterConfigs(registry, topology);
        for (const config of configs) {
          const router = routerOf(topology, config.routerId);
          for (const principal of everyPrincipal(registry)) {
            const group = groupOf(config, principal);
            for (const channel of registry.channels) {
              const exists = inScope(channel, router) && !refused.has(channel.address);
              const where = `${principal} on ${config.routerId}, ${channel.address}`;
              expect(admits(group?.targets, channel.address), `send: ${where}`).toBe(
                exists && parties(channel.producers, registry).has(principal),
              );
              // skupper-router: a broker channel's consumers read the queue's outlet (the
              // routers' own address, fed by the in autoLink), nobody its address.
              const outlet =
                topology.flavour === "skupper-router" && channel.routing.kind === "broker"
                  ? `_amqp-mesh/from-queue/${channel.address}`
                  : undefined;
              const consumes = exists && parties(channel.consumers, registry).has(principal);
              expect(admits(group?.sources, channel.address), `receive: ${where}`).toBe(
                outlet === undefined && consumes,
              );
              if (outlet === undefined) continue;
              expect(admits(group?.sources, outlet), `receive outlet: ${where}`).toBe(consumes);
              expect(admits(group?.targets, outlet), `send outlet: ${where}`).toBe(false);
            }
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  it("on sub-addresses: never more than the channel owning them allows, and all of it when no channel lies below", () => {
    fc.assert(
      fc.property(
        projectArbitrary,
        fc.array(fc.tuple(fc.nat(), fc.constantFrom("/", "."), suffix), {
          minLength: 1,
          maxLength: 8,
        }),
        (project, picks) => {
          const { registry, topology } = project;
          if (registry.channels.length === 0) return;
          const refused = refusedAddresses(project);
          const { configs } = generateRouterConfigs(registry, topology);
          const addresses = picks.map(
            ([i, sep, rest]) =>
              `${registry.channels[i % registry.channels.length]!.address}${sep}${rest.join("/")}`,
          );
          for (const config of configs) {
            const router = routerOf(topology, config.routerId);
            for (const principal of everyPrincipal(registry)) {
              const group = groupOf(config, principal);
              for (const address of addresses) {
                const owner = ownerOf(address, registry)!;
                const usable = inScope(owner, router) && !refused.has(owner.address);
                const mayProduce = usable && parties(owner.producers, registry).has(principal);
                const mayConsume = usable && parties(owner.consumers, registry).has(principal);
                const where = `${principal} on ${config.routerId}, ${address} (channel ${owner.address})`;
                // Never wider than the registry.
                if (admits(group?.targets, address))
                  expect(mayProduce, `send: ${where}`).toBe(true);
                if (admits(group?.sources, address))
                  expect(mayConsume, `receive: ${where}`).toBe(true);
                // As wide as documented: '/'-sub-addresses of a channel with nothing below it.
                const nothingBelow = !registry.channels.some(
                  (c) =>
                    segments(c.address).length > segments(owner.address).length &&
                    startsWithSegments(segments(c.address), segments(owner.address)),
                );
                if (nothingBelow && address.startsWith(`${owner.address}/`)) {
                  expect(admits(group?.targets, address), `send: ${where}`).toBe(mayProduce);
                  expect(admits(group?.sources, address), `receive: ${where}`).toBe(mayConsume);
                }
              }
            }
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it("dynamic sources only for requesters on replyTo channels, replies only from their consumers", () => {
    fc.assert(
      fc.property(projectArbitrary, (project) => {
        const { registry, topology } = project;
        const refused = refusedAddresses(project);
        const { configs } = generateRouterConfigs(registry, topology);
        for (const config of configs) {
          const router = routerOf(topology, config.routerId);
          const local = registry.channels.filter(
            (c) => c.replyTo && inScope(c, router) && !refused.has(c.address),
          );
          for (const principal of everyPrincipal(registry)) {
            const group = groupOf(config, principal);
            const requester = local.some((c) => parties(c.producers, registry).has(principal));
            expect(group?.allowDynamicSource === true, `${principal} on ${config.routerId}`).toBe(
              requester,
            );
            for (const other of topology.routers) {
              const reply =
                other.mode === "edge"
                  ? `amqp:/_edge/${other.id}/temp.abc123`
                  : `amqp:/_topo/0/${other.id}/temp.abc123`;
              // Replies only where a requester may be: a replyTo channel without producers grants none.
              const responder = local.some(
                (c) =>
                  inScope(c, other) &&
                  parties(c.producers, registry).size > 0 &&
                  parties(c.consumers, registry).has(principal),
              );
              expect(admits(group?.targets, reply), `${principal} replies to ${reply}`).toBe(
                responder,
              );
              // Reply rights never reach another router's management agent.
              expect(admits(group?.targets, `amqp:/_topo/0/${other.id}/$management`)).toBe(false);
            }
          }
        }
      }),
      { numRuns: 150 },
    );
  });
});
