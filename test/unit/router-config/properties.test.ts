import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { RegisteredChannel } from "../../../shared/registry/index.ts";
import {
  FLAVOUR_FACTS,
  generateRouterConfigs,
  parseConfFile,
  parseJsonFile,
  renderConfFile,
  renderJsonFile,
} from "../../../shared/router-config/index.ts";
import type { Topology } from "../../../shared/topology/index.ts";
import { projectArbitrary } from "./arbitraries.ts";
import { SCHEMA_ATTRIBUTES, SCHEMA_GROUP_SETTINGS } from "./schema-attributes.ts";

/** The routers a channel is meant for, from the data: those of its environments, all when unset. */
function routersMeantFor(channel: RegisteredChannel, topology: Topology): Set<string> {
  const environments = new Set(channel.environments ?? topology.environments.map((e) => e.name));
  return new Set(topology.routers.filter((r) => environments.has(r.environment)).map((r) => r.id));
}

function addressPrefixes(entities: { type: string; attributes: Record<string, unknown> }[]) {
  return entities.filter((e) => e.type === "address").map((e) => String(e.attributes.prefix));
}

describe("generation invariants over random projects", () => {
  it("every generated channel appears as an address on every router of its scope, and only there", () => {
    fc.assert(
      fc.property(projectArbitrary, ({ registry, topology }) => {
        const { configs, diagnostics } = generateRouterConfigs(registry, topology);
        const refused = new Set(
          diagnostics
            .filter((d) => d.severity === "error")
            .map((d) => d.message.match(/channel '([^']+)'/)?.[1]),
        );
        for (const channel of registry.channels) {
          if (refused.has(channel.address)) continue;
          const meantFor = routersMeantFor(channel, topology);
          for (const config of configs)
            expect(
              addressPrefixes(config.entities).includes(channel.address),
              `${channel.address} on ${config.routerId}`,
            ).toBe(meantFor.has(config.routerId));
        }
      }),
    );
  });

  it("no two address entities on one router share a prefix", () => {
    fc.assert(
      fc.property(projectArbitrary, ({ registry, topology }) => {
        for (const config of generateRouterConfigs(registry, topology).configs) {
          const prefixes = addressPrefixes(config.entities);
          expect(new Set(prefixes).size).toBe(prefixes.length);
        }
      }),
    );
  });

  it("no skupper-router config holds a linkRoute or a distribution the flavour lacks", () => {
    fc.assert(
      fc.property(
        projectArbitrary,
        fc.constantFrom("qpid-dispatch", "skupper-router"),
        ({ registry, topology }, flavour) => {
          for (const config of generateRouterConfigs(registry, topology, { flavour }).configs) {
            const types = new Set(config.entities.map((e) => e.type));
            for (const type of types)
              expect(FLAVOUR_FACTS[flavour].entityTypes.has(type)).toBe(true);
            if (flavour === "skupper-router") expect(types.has("linkRoute")).toBe(false);
            for (const entity of config.entities)
              if (entity.type === "address")
                expect(
                  FLAVOUR_FACTS[flavour].distributions.has(String(entity.attributes.distribution)),
                ).toBe(true);
          }
        },
      ),
    );
  });

  it("emits only attributes the flavour's management schema lets a config section create", () => {
    fc.assert(
      fc.property(
        projectArbitrary,
        fc.constantFrom("qpid-dispatch", "skupper-router"),
        ({ registry, topology }, flavour) => {
          for (const config of generateRouterConfigs(registry, topology, { flavour }).configs)
            for (const entity of config.entities) {
              const known = SCHEMA_ATTRIBUTES[flavour][entity.type];
              expect(known, `${flavour} ${entity.type}`).toBeDefined();
              for (const attribute of Object.keys(entity.attributes))
                expect(known!.has(attribute), `${flavour} ${entity.type}.${attribute}`).toBe(true);
              const groups = entity.attributes.groups;
              if (typeof groups === "object")
                for (const settings of Object.values(groups))
                  for (const key of Object.keys(settings as object))
                    expect(
                      SCHEMA_GROUP_SETTINGS[flavour].has(key),
                      `${flavour} group setting ${key}`,
                    ).toBe(true);
            }
        },
      ),
    );
  });

  it("every connector's host:port is a listener of its target router (or the broker)", () => {
    fc.assert(
      fc.property(projectArbitrary, ({ registry, topology }) => {
        const endpoints = new Map<string, string>();
        for (const router of topology.routers) {
          const { clients, interRouter, edge } = router.listeners;
          endpoints.set(`${router.host}:${clients.port}`, `${router.id}/normal`);
          if (interRouter)
            endpoints.set(`${router.host}:${interRouter.port}`, `${router.id}/inter-router`);
          if (edge) endpoints.set(`${router.host}:${edge.port}`, `${router.id}/edge`);
        }
        for (const broker of topology.brokers)
          endpoints.set(`${broker.host}:${broker.port}`, `${broker.name}/route-container`);
        for (const config of generateRouterConfigs(registry, topology).configs)
          for (const connector of config.entities.filter((e) => e.type === "connector")) {
            const { host, port, role, name } = connector.attributes;
            const target = endpoints.get(`${String(host)}:${String(port)}`);
            expect(target).toBeDefined();
            const [targetName, targetRole] = target!.split("/");
            expect(targetRole).toBe(role);
            expect(String(name).endsWith(`/${targetName}`)).toBe(true);
            expect(targetName).not.toBe(config.routerId);
          }
      }),
    );
  });

  it("every generated config is written and read back unchanged in both formats", () => {
    fc.assert(
      fc.property(projectArbitrary, ({ registry, topology }) => {
        for (const config of generateRouterConfigs(registry, topology).configs) {
          expect(parseConfFile(renderConfFile(config))).toEqual(config);
          expect(parseJsonFile(renderJsonFile(config))).toEqual(config);
        }
      }),
    );
  });

  it("is deterministic: the same input gives the same bytes", () => {
    fc.assert(
      fc.property(projectArbitrary, ({ registry, topology }) => {
        const render = () =>
          generateRouterConfigs(registry, topology).configs.map(
            (c) => renderConfFile(c) + renderJsonFile(c),
          );
        const shuffled = {
          ...registry,
          channels: [...registry.channels].reverse(),
          teams: [...registry.teams].reverse(),
        };
        expect(render()).toEqual(render());
        expect(
          generateRouterConfigs(shuffled, topology).configs.map(
            (c) => renderConfFile(c) + renderJsonFile(c),
          ),
        ).toEqual(render());
      }),
    );
  });
});
