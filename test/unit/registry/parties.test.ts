/**
 * The one reading of producers/consumers entries (shared/registry/parties.ts), and the parts
 * that use it: router-config's vhost policy, the ingress's ChannelPolicies and the deployed
 * snapshot must agree, also on a registry that skipped validation (they fail closed).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ChannelPolicies,
  PartyResolver,
  PRINCIPAL_PATTERN,
} from "../../../shared/registry/index.ts";
import { DeployedRegistry, snapshotRegistry } from "../../../shared/registry-snapshot/index.ts";
import { generateRouterConfigs } from "../../../shared/router-config/index.ts";
import { registryOf, smallTopology } from "../router-config/builders.ts";

/** The attack of issue 23 (finding 2), written without validation: a team named after billing's principal. */
const hijack = registryOf([
  {
    team: "sales",
    principals: ["sales-api"],
    channels: [
      {
        address: "sales/orders",
        description: "Orders.",
        producers: ["sales"],
        consumers: ["billing-worker"],
      },
    ],
  },
  { team: "billing", principals: ["billing-worker"], channels: [] },
  { team: "billing-worker", principals: ["mallory-bot"], channels: [] },
]);

function consumerUsers(registry: typeof hijack, address: string): string[] {
  const { configs } = generateRouterConfigs(registry, smallTopology());
  const groups = configs[0]!.entities.find(
    (e) => e.type === "vhost" && e.attributes.hostname === "$default",
  )!.attributes.groups as Record<string, { users: string; sources?: string }>;
  return Object.values(groups)
    .filter((g) => g.sources?.split(", ").includes(address))
    .flatMap((g) => g.users.split(", "));
}

describe("PartyResolver", () => {
  it("reads a team as its principals and a declared principal as itself", () => {
    const parties = new PartyResolver([
      { team: "sales", principals: ["sales-api", "sales-ingress"] },
      { team: "billing", principals: ["billing-worker"] },
    ]);
    expect(parties.principalsOf("sales")).toEqual(["sales-api", "sales-ingress"]);
    expect(parties.principalsOf("billing-worker")).toEqual(["billing-worker"]);
    expect(parties.principalsIn(["billing", "sales", "billing-worker"])).toEqual([
      "billing-worker",
      "sales-api",
      "sales-ingress",
    ]);
  });

  it("fails closed on a name that is a team and another team's principal: nobody, not the team", () => {
    const parties = new PartyResolver(hijack.teams);
    expect(parties.principalsOf("billing-worker")).toEqual([]);
    // Case does not make a second name.
    expect(
      new PartyResolver([
        ...hijack.teams.slice(0, 2),
        { team: "x", principals: ["Billing-Worker"] },
      ]).principalsOf("billing-worker"),
    ).toEqual([]);
  });

  it("never yields a name the router would misread ('*', ',', spaces, separators)", () => {
    const parties = new PartyResolver([{ team: "t", principals: ["*", "a,b", "ok"] }]);
    expect(parties.principalsOf("t")).toEqual(["ok"]);
    expect(parties.principalsOf("*")).toEqual([]);
    expect(parties.principalsOf("a b")).toEqual([]);
  });

  it("router-config, the ingress's ChannelPolicies and the deployed snapshot agree on the hijack: mallory-bot gets nothing", () => {
    expect(consumerUsers(hijack, "sales/orders")).toEqual([]);
    expect(new ChannelPolicies(hijack).mayConsume("mallory-bot", "sales/orders")).toBe(false);
    const producerHijack = registryOf([
      {
        team: "sales",
        principals: ["sales-api"],
        channels: [
          {
            address: "sales/orders",
            description: "Orders.",
            producers: ["sales-ingress"],
            consumers: ["sales"],
          },
        ],
      },
      { team: "ops", principals: ["sales-ingress"], channels: [] },
      { team: "sales-ingress", principals: ["mallory-bot"], channels: [] },
    ]);
    const deployed = new DeployedRegistry(snapshotRegistry(producerHijack));
    const channel = deployed.channel("sales/orders")!;
    expect(deployed.mayProduce("mallory-bot", channel)).toBe(false);
    expect(new ChannelPolicies(producerHijack).mayProduce("mallory-bot", "sales/orders")).toBe(
      false,
    );
  });

  it("(fuzz) any names: every principal yielded is a safe name some entry or team declares, and ambiguous names yield none", () => {
    const name = fc.oneof(
      fc.constantFrom("a", "b", "A", "svc", "*", "x,y", " a", "a.b", "t-1"),
      fc.string({ maxLength: 6 }),
    );
    const teams = fc.array(
      fc.record({ team: name, principals: fc.array(name, { maxLength: 4 }) }),
      { maxLength: 5 },
    );
    fc.assert(
      fc.property(teams, fc.array(name, { maxLength: 6 }), (teams, entries) => {
        const parties = new PartyResolver(teams);
        const owners = new Map<string, Set<string>>();
        for (const t of teams)
          for (const n of [t.team, ...t.principals]) {
            const key = n.toLowerCase();
            owners.set(key, new Set([...(owners.get(key) ?? []), t.team]));
          }
        const ambiguous = (n: string) => (owners.get(n.toLowerCase())?.size ?? 0) > 1;
        for (const entry of entries) {
          const got = parties.principalsOf(entry);
          if (ambiguous(entry)) expect(got).toEqual([]);
          for (const p of got) {
            expect(PRINCIPAL_PATTERN.test(p)).toBe(true);
            expect(ambiguous(p)).toBe(false);
            const team = teams.find((t) => t.team === entry);
            expect(team ? team.principals.includes(p) : p === entry).toBe(true);
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});
