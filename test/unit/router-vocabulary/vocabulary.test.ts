/**
 * The router vocabulary held against the real routers' GET-TYPES answers
 * (test/fixtures/real-router-captures: qdrouterd 1.19.0, skupper-router 3.5.1), and the
 * creation order as the dependencies between entities require it.
 */
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  CREATE_ORDER,
  createRanking,
  FLAVOUR_FACTS,
  flavourHasType,
  flavourOfTypes,
  qualifiedType,
  ROUTER_ENTITY_TYPES,
  ROUTER_FLAVOURS,
  type RouterEntityType,
  type RouterFlavour,
  RUNTIME_ENTITY_TYPES,
} from "../../../shared/router-vocabulary/index.ts";

const CAPTURES: Record<RouterFlavour, string> = {
  "qpid-dispatch": "test/fixtures/real-router-captures/qdrouterd-1.19.0.jsonl",
  "skupper-router": "test/fixtures/real-router-captures/skupper-router-3.5.1.jsonl",
};

function recordedTypes(flavour: RouterFlavour): Set<string> {
  for (const line of readFileSync(CAPTURES[flavour], "utf8").trim().split("\n")) {
    const exchange = JSON.parse(line) as {
      request: { application_properties: Record<string, unknown> };
      reply: { body: unknown };
    };
    if (exchange.request.application_properties.operation === "GET-TYPES")
      return new Set(Object.keys(exchange.reply.body as Record<string, unknown>));
  }
  throw new Error(`no GET-TYPES in ${CAPTURES[flavour]}`);
}

describe("flavours", () => {
  for (const flavour of ROUTER_FLAVOURS) {
    it(`${flavour} has exactly the types its GET-TYPES listed`, () => {
      const listed = recordedTypes(flavour);
      for (const type of [...ROUTER_ENTITY_TYPES, ...RUNTIME_ENTITY_TYPES])
        expect(flavourHasType(flavour, type), type).toBe(listed.has(qualifiedType(flavour, type)));
      expect(flavourOfTypes(listed)).toBe(flavour);
    });
  }

  it("only qpid-dispatch has link routes", () => {
    expect(FLAVOUR_FACTS["qpid-dispatch"].linkRoutes).toBe(true);
    expect(FLAVOUR_FACTS["skupper-router"].linkRoutes).toBe(false);
    expect(FLAVOUR_FACTS["skupper-router"].entityTypes.has("linkRoute")).toBe(false);
  });
});

describe("creation order", () => {
  it("puts what an entity names before it", () => {
    const createdBefore = (a: RouterEntityType, b: RouterEntityType) =>
      expect(CREATE_ORDER.indexOf(a)).toBeLessThan(CREATE_ORDER.indexOf(b));
    createdBefore("sslProfile", "listener");
    createdBefore("sslProfile", "connector");
    createdBefore("authServicePlugin", "listener");
    createdBefore("connector", "linkRoute");
    createdBefore("connector", "autoLink");
    createdBefore("vhost", "address");
    expect([...CREATE_ORDER].sort()).toEqual([...ROUTER_ENTITY_TYPES].sort());
  });

  it("ranks the chosen types in creation order, every other type after them", () => {
    fc.assert(
      fc.property(
        fc.subarray([...ROUTER_ENTITY_TYPES]),
        fc.shuffledSubarray([...ROUTER_ENTITY_TYPES]),
        (chosen, types) => {
          const rank = createRanking(new Set(chosen));
          const sorted = [...types].sort((a, b) => rank(a) - rank(b));
          const inChosen = sorted.filter((t) => chosen.includes(t));
          expect(inChosen).toEqual(CREATE_ORDER.filter((t) => inChosen.includes(t)));
          expect(sorted.slice(0, inChosen.length)).toEqual(inChosen);
        },
      ),
    );
  });
});
