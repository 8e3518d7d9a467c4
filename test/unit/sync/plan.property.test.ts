/**
 * Properties of the planner over random projects (test/unit/router-config/arbitraries.ts)
 * and random drift of a router's table: the plan has exactly one step per entity that is
 * missing, extra or changed (what the test itself perturbed: the oracle), applying it the
 * way the routers take requests (router-model.ts) leaves nothing to plan, and entities
 * amqp-mesh does not own are never written.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { generateRouterConfigs, type RouterEntity } from "../../../shared/router-config/index.ts";
import { planSync } from "../../../shared/sync/index.ts";
import { projectArbitrary } from "../router-config/arbitraries.ts";
import { RouterModel } from "./router-model.ts";

/** Entity types config-sync changes live (listeners and singletons are restart-only). */
const LIVE = new Set(["sslProfile", "connector", "vhost", "address", "linkRoute", "autoLink"]);

const drift = fc.record({
  routerIndex: fc.nat(),
  removed: fc.array(fc.nat(), { maxLength: 6 }),
  changed: fc.array(fc.nat(), { maxLength: 6 }),
  extraOwned: fc.integer({ min: 0, max: 3 }),
  unowned: fc.integer({ min: 0, max: 3 }),
});

describe("planSync properties", () => {
  it("one step per perturbed entity; applied, nothing is left; unowned entities untouched", () => {
    fc.assert(
      fc.property(projectArbitrary, drift, ({ topology, registry }, d) => {
        const { configs } = generateRouterConfigs(registry, topology, {
          managementPrincipals: ["config-sync"],
        });
        const desired = configs[d.routerIndex % configs.length]!;
        const live = desired.entities.filter((e) => LIVE.has(e.type));
        const pick = (indexes: number[]): Set<RouterEntity> =>
          new Set(live.length === 0 ? [] : indexes.map((i) => live[i % live.length]!));
        const removed = pick(d.removed);
        const changed = new Set([...pick(d.changed)].filter((e) => !removed.has(e)));
        const model = new RouterModel({
          ...desired,
          entities: desired.entities.filter((e) => !removed.has(e)),
        });
        for (const entity of changed) {
          // One of its own attributes set to a value the config never has: always a change.
          const [key, value] = Object.entries(entity.attributes).find(
            ([k, v]) => k !== "name" && typeof v !== "object",
          )!;
          const drifted =
            typeof value === "boolean"
              ? !value
              : typeof value === "number"
                ? value + 1
                : `${value}-drifted`;
          model.update(String(entity.attributes.name), { [key]: drifted });
        }
        for (let i = 0; i < d.extraOwned; i++)
          model.load("address", {
            name: `amqp-mesh/address/stale/${i}`,
            prefix: `stale/${i}`,
            distribution: "balanced",
          });
        const unownedNames: string[] = [];
        for (let i = 0; i < d.unowned; i++) {
          unownedNames.push(`by-hand-${i}`);
          model.load("address", {
            name: `by-hand-${i}`,
            prefix: `ops/${i}`,
            distribution: "closest",
          });
        }
        const unownedBefore = unownedNames.map((n) => JSON.stringify(model.attributes(n)));

        const plan = planSync(desired, model.actual());
        expect(plan.steps).toHaveLength(removed.size + changed.size + d.extraOwned);
        expect(plan.steps.filter((s) => s.kind === "create")).toHaveLength(removed.size);
        expect(plan.steps.filter((s) => s.kind === "delete")).toHaveLength(d.extraOwned);
        expect(plan.untouched).toHaveLength(d.unowned);
        for (const step of plan.steps) expect(step.name.startsWith("amqp-mesh/")).toBe(true);

        model.writes = 0;
        model.apply(plan);
        expect(model.writes).toBe(
          plan.steps.reduce((n, s) => n + (s.kind === "replace" ? 2 : 1), 0),
        );
        const again = planSync(desired, model.actual());
        expect(again.steps).toEqual([]);
        expect(unownedNames.map((n) => JSON.stringify(model.attributes(n)))).toEqual(unownedBefore);
      }),
      { numRuns: 300 },
    );
  });

  it("the same input gives the same plan", () => {
    fc.assert(
      fc.property(projectArbitrary, fc.nat(), ({ topology, registry }, index) => {
        const { configs } = generateRouterConfigs(registry, topology);
        const desired = configs[index % configs.length]!;
        const bare = new RouterModel({
          ...desired,
          entities: desired.entities.filter((e) => !LIVE.has(e.type)),
        });
        expect(planSync(desired, bare.actual())).toEqual(planSync(desired, bare.actual()));
      }),
      { numRuns: 100 },
    );
  });
});
