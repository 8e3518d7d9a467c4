/**
 * `entities: "startup"`: a router's start-up file holds exactly what only a restart changes
 * (router, sslProfiles, listeners, connectors, policy) and vhosts that grant no channel —
 * the channels come from config-sync — over random projects and both flavours.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { generateRouterConfigs, type RouterEntity } from "../../../shared/router-config/index.ts";
import { projectArbitrary } from "./arbitraries.ts";
import { loadExampleRegistry, loadExampleTopology } from "./example-project.ts";

const RESTART_ONLY = new Set(["router", "sslProfile", "listener", "connector", "policy"]);
const CHANNEL_TYPES = new Set(["address", "linkRoute", "autoLink"]);

function byType(entities: readonly RouterEntity[], types: Set<string>): RouterEntity[] {
  return entities.filter((e) => types.has(e.type));
}

/** Every address a vhost's groups let anyone send to or receive from. */
function grantedAddresses(entities: readonly RouterEntity[]): string[] {
  const granted: string[] = [];
  for (const vhost of entities.filter((e) => e.type === "vhost")) {
    const groups = (vhost.attributes.groups ?? {}) as Record<string, Record<string, unknown>>;
    for (const group of Object.values(groups))
      for (const key of ["targets", "sources"])
        if (typeof group[key] === "string" && group[key] !== "")
          granted.push(...String(group[key]).split(","));
  }
  return granted.map((a) => a.trim());
}

describe("router-config entities: startup", () => {
  it("over random projects and both flavours: the full config's restart-only entities, no channel entity, no channel right", () => {
    fc.assert(
      fc.property(
        projectArbitrary,
        fc.constantFrom("qpid-dispatch", "skupper-router") as fc.Arbitrary<
          "qpid-dispatch" | "skupper-router"
        >,
        ({ registry, topology }, flavour) => {
          const full = generateRouterConfigs(registry, topology, { flavour });
          const startup = generateRouterConfigs(registry, topology, {
            flavour,
            entities: "startup",
          });
          expect(startup.configs.map((c) => c.routerId)).toEqual(
            full.configs.map((c) => c.routerId),
          );
          for (const [i, config] of startup.configs.entries()) {
            expect(byType(config.entities, CHANNEL_TYPES)).toEqual([]);
            expect(byType(config.entities, RESTART_ONLY)).toEqual(
              byType(full.configs[i]!.entities, RESTART_ONLY),
            );
            const channels = new Set(registry.channels.map((c) => c.address));
            expect(grantedAddresses(config.entities).filter((a) => channels.has(a))).toEqual([]);
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it("the example: config-sync's login may still manage every router, and the full config grants the channels", () => {
    const registry = loadExampleRegistry();
    const topology = loadExampleTopology();
    const options = { managementPrincipals: ["amqp-mesh-sync"] };
    const startup = generateRouterConfigs(registry, topology, { ...options, entities: "startup" });
    const full = generateRouterConfigs(registry, topology, options);
    for (const config of startup.configs)
      expect(JSON.stringify(config.entities.filter((e) => e.type === "vhost"))).toContain(
        "amqp-mesh-sync",
      );
    expect(grantedAddresses(full.configs[0]!.entities)).toContain("sales/orders");
    expect(grantedAddresses(startup.configs[0]!.entities)).not.toContain("sales/orders");
  });
});
