/**
 * Type names per flavour, held against what the real routers listed in GET-TYPES
 * (test/fixtures/real-router-captures: qdrouterd 1.19.0 and skupper-router 3.5.1).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  flavourOfTypes,
  type ManagementEntityType,
  ManagementTypeError,
  managementTypeName,
  shortTypeName,
} from "../../../shared/management/index.ts";
import type { RouterFlavour } from "../../../shared/topology/index.ts";

const CAPTURES: Record<RouterFlavour, string> = {
  "qpid-dispatch": "test/fixtures/real-router-captures/qdrouterd-1.19.0.jsonl",
  "skupper-router": "test/fixtures/real-router-captures/skupper-router-3.5.1.jsonl",
};

function recordedTypes(flavour: RouterFlavour): string[] {
  const lines = readFileSync(CAPTURES[flavour], "utf8").trim().split("\n");
  const exchange = lines
    .map(
      (l) =>
        JSON.parse(l) as {
          request: { application_properties: Record<string, unknown> };
          reply: { body: unknown };
        },
    )
    .find((e) => e.request.application_properties.operation === "GET-TYPES");
  if (exchange === undefined) throw new Error(`no GET-TYPES in ${CAPTURES[flavour]}`);
  return Object.keys(exchange.reply.body as Record<string, unknown>);
}

const COMMON: ManagementEntityType[] = [
  "router",
  "listener",
  "connector",
  "sslProfile",
  "address",
  "autoLink",
  "vhost",
  "policy",
  "log",
  "router.node",
  "router.address",
  "router.link",
  "connection",
  "allocator",
];

describe("fully qualified type names", () => {
  for (const flavour of ["qpid-dispatch", "skupper-router"] as const) {
    it(`names only types ${flavour} listed in GET-TYPES`, () => {
      const listed = new Set(recordedTypes(flavour));
      const own: ManagementEntityType[] =
        flavour === "qpid-dispatch"
          ? [...COMMON, "linkRoute", "authServicePlugin"]
          : [...COMMON, "routerMetrics"];
      for (const type of own) {
        const name = managementTypeName(flavour, type);
        expect(listed, `${type} → ${name}`).toContain(name);
        expect(shortTypeName(flavour, name)).toBe(type);
      }
    });

    it(`tells ${flavour} from its GET-TYPES answer`, () => {
      expect(flavourOfTypes(recordedTypes(flavour))).toBe(flavour);
    });
  }

  it("config sections map to their management names", () => {
    expect(managementTypeName("qpid-dispatch", "address")).toBe(
      "org.apache.qpid.dispatch.router.config.address",
    );
    expect(managementTypeName("skupper-router", "autoLink")).toBe(
      "io.skupper.router.router.config.autoLink",
    );
  });

  it("refuses a type the flavour lacks, saying what to use instead", () => {
    expect(() => managementTypeName("skupper-router", "linkRoute")).toThrow(ManagementTypeError);
    expect(() => managementTypeName("skupper-router", "linkRoute")).toThrow(/autoLinks/);
    expect(() => managementTypeName("qpid-dispatch", "routerMetrics")).toThrow(
      /qpid-dispatch has no entity type 'routerMetrics'/,
    );
  });

  it("knows no flavour from types of neither", () => {
    expect(flavourOfTypes(["org.example.router", "io.skupper.router.listener"])).toBeUndefined();
  });
});
