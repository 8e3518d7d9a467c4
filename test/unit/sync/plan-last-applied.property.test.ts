/**
 * Planning from the config a router was last brought to, against planning from a QUERY of
 * that router (a router model loaded with that config, reporting every attribute with the
 * routers' defaults: router-model.ts): over random projects and a random next registry for
 * the same topology, both give the same steps, and the plan, applied to the router, leaves
 * nothing to plan. Restart-only changes: every one the QUERY shows, and maybe more — the
 * configs also differ in attributes a router leaves unreported (the policy singleton's
 * maxMessageSize in this model), which a QUERY cannot see.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { generateRouterConfigs } from "../../../shared/router-config/index.ts";
import { planFromLastApplied, planSync, type SyncStep } from "../../../shared/sync/index.ts";
import { projectArbitrary, registryArbitrary } from "../router-config/arbitraries.ts";
import { RouterModel } from "./router-model.ts";

/** What a step sends (its `previous` is for reports: a QUERY shows the router's defaults too). */
function sent(step: SyncStep): unknown {
  const { kind, type, name } = step;
  return step.kind === "delete"
    ? { kind, type, name }
    : {
        kind,
        type,
        name,
        attributes: step.attributes,
        ...("changed" in step ? { changed: step.changed } : {}),
      };
}

const change = projectArbitrary.chain((project) =>
  fc.record({
    project: fc.constant(project),
    next: registryArbitrary(project.topology),
    routerIndex: fc.nat(),
  }),
);

describe("planFromLastApplied (property)", () => {
  it("plans what a QUERY of a router carrying the last applied config would plan", () => {
    fc.assert(
      fc.property(change, ({ project, next, routerIndex }) => {
        const options = { managementPrincipals: ["config-sync"] };
        const before = generateRouterConfigs(project.registry, project.topology, options).configs;
        const after = generateRouterConfigs(next, project.topology, options).configs;
        const index = routerIndex % before.length;
        const [lastApplied, wanted] = [before[index]!, after[index]!];
        const router = new RouterModel(lastApplied);

        const planned = planFromLastApplied(wanted, lastApplied);
        const queried = planSync(wanted, router.actual());
        expect(planned.steps.map(sent)).toEqual(queried.steps.map(sent));
        const what = (c: { type: string; name: string | undefined; change: string }) =>
          `${c.change} ${c.type} ${c.name ?? ""}`;
        expect(planned.restartOnly.map(what)).toEqual(
          expect.arrayContaining(queried.restartOnly.map(what)),
        );
        expect(planned.blocked).toEqual([]);

        router.apply(planned);
        expect(planSync(wanted, router.actual()).steps).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });
});
