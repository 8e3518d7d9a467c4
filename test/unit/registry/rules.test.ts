import { describe, expect, it } from "vitest";
import { hasErrors } from "../../../shared/diagnostics.ts";
import { validateProject } from "../../../shared/registry/index.ts";
import { caseFile, checkRegistryCase, withCode } from "./helpers.ts";

describe("validateRegistry rules", () => {
  it("registry/duplicate-team is reported on both files (no last good registry says which was first), each naming the other", async () => {
    const diagnostics = await checkRegistryCase("duplicate-team");
    expect(withCode(diagnostics, "registry/duplicate-team")).toEqual([
      {
        severity: "error",
        code: "registry/duplicate-team",
        file: caseFile("duplicate-team", "a.yaml"),
        line: 1,
        column: 7,
        message: `team 'sales' is already declared in ${caseFile("duplicate-team", "b.yaml")}:2:7`,
      },
      {
        severity: "error",
        code: "registry/duplicate-team",
        file: caseFile("duplicate-team", "b.yaml"),
        line: 2,
        column: 7,
        message: `team 'sales' is already declared in ${caseFile("duplicate-team", "a.yaml")}:1:7`,
      },
    ]);
  });

  it("registry/duplicate-address treats '.' and '/' as the same separator, and names each team's file on the other's", async () => {
    const diagnostics = await checkRegistryCase("duplicate-address");
    expect(withCode(diagnostics, "registry/duplicate-address")).toEqual([
      {
        severity: "error",
        code: "registry/duplicate-address",
        file: caseFile("duplicate-address", "sales.yaml"),
        line: 3,
        column: 14,
        message: `address 'sales/orders' of team 'sales' is already declared by team 'billing' as 'sales.orders' ('.' and '/' are the same separator to the router) at ${caseFile("duplicate-address", "billing.yaml")}:3:5`,
      },
      {
        severity: "error",
        code: "registry/duplicate-address",
        file: caseFile("duplicate-address", "billing.yaml"),
        line: 3,
        column: 14,
        message: `address 'sales.orders' of team 'billing' is already declared by team 'sales' as 'sales/orders' ('.' and '/' are the same separator to the router) at ${caseFile("duplicate-address", "sales.yaml")}:3:5`,
      },
    ]);
    expect(withCode(diagnostics, "registry/prefix-overlap")).toEqual([]);
  });

  it("registry/prefix-overlap is reported on both teams' channels (no last good registry says which came first), each naming the other", async () => {
    const diagnostics = await checkRegistryCase("prefix-overlap");
    expect(withCode(diagnostics, "registry/prefix-overlap")).toEqual([
      {
        severity: "error",
        code: "registry/prefix-overlap",
        file: caseFile("prefix-overlap", "sales.yaml"),
        line: 3,
        column: 14,
        message: `prefix 'sales/orders' of team 'sales' covers address 'sales/orders/invoices' owned by team 'billing' (the router would match both) at ${caseFile("prefix-overlap", "billing.yaml")}:3:5`,
      },
      {
        severity: "error",
        code: "registry/prefix-overlap",
        file: caseFile("prefix-overlap", "billing.yaml"),
        line: 3,
        column: 14,
        message: `address 'sales/orders/invoices' of team 'billing' lies inside prefix 'sales/orders' owned by team 'sales' at ${caseFile("prefix-overlap", "sales.yaml")}:3:5`,
      },
    ]);
    // salesforce/sync is not inside sales/...; sales/orders.dead is the same team's. And
    // billing's address starts with the sales team's name (registry/foreign-namespace, on
    // billing's channel and on sales' name: no last good registry says which came first).
    expect(
      diagnostics
        .filter((d) => d.severity === "error")
        .map((d) => d.code)
        .sort(),
    ).toEqual([
      "registry/foreign-namespace",
      "registry/foreign-namespace",
      "registry/prefix-overlap",
      "registry/prefix-overlap",
    ]);
  });

  it("registry/multicast-at-least-once, also when at-least-once is the default; broker routes pass", async () => {
    const diagnostics = await checkRegistryCase("multicast");
    const file = caseFile("multicast", "sales.yaml");
    expect(withCode(diagnostics, "registry/multicast-at-least-once")).toEqual([
      {
        severity: "error",
        code: "registry/multicast-at-least-once",
        file,
        line: 6,
        column: 15,
        message:
          "channel 'sales/events' is multicast and at-least-once, but the router settles multicast messages itself and cannot give at-least-once without a broker",
      },
      {
        severity: "error",
        code: "registry/multicast-at-least-once",
        file,
        line: 9,
        column: 5,
        message:
          "channel 'sales/default-delivery' is multicast and at-least-once, but the router settles multicast messages itself and cannot give at-least-once without a broker",
      },
    ]);
    const hint = diagnostics.find((d) => d.code === "registry/multicast-at-least-once")?.hint;
    expect(hint).toContain("use at-most-once or a broker route");
    expect(withCode(diagnostics, "registry/unknown-broker")).toEqual([]);
  });

  it("registry/broker-multicast warns that a broker channel gives each message to one consumer", async () => {
    const diagnostics = await checkRegistryCase("multicast");
    expect(withCode(diagnostics, "registry/broker-multicast")).toEqual([
      {
        severity: "warning",
        code: "registry/broker-multicast",
        file: caseFile("multicast", "sales.yaml"),
        line: 16,
        column: 19,
        message:
          "channel 'sales/stored-events' is multicast and routed through a broker, but a queue gives each message to one consumer: its consumers compete (qpid-dispatch link routes) or it is generated balanced (skupper-router), never a copy per consumer",
      },
    ]);
    const hint = diagnostics.find((d) => d.code === "registry/broker-multicast")?.hint;
    expect(hint).toContain("declare it balanced");
  });

  it("registry/unknown-broker and registry/unknown-environment check against the topology", async () => {
    const diagnostics = await checkRegistryCase("topology-references");
    const file = caseFile("topology-references", "sales.yaml");
    expect(withCode(diagnostics, "registry/unknown-broker")).toEqual([
      {
        severity: "error",
        code: "registry/unknown-broker",
        file,
        line: 5,
        column: 38,
        message:
          "channel 'sales/orders' routes through broker 'rabit', which the topology does not declare",
      },
    ]);
    expect(withCode(diagnostics, "registry/unknown-environment")).toEqual([
      {
        severity: "error",
        code: "registry/unknown-environment",
        file,
        line: 6,
        column: 28,
        message: "environment 'gcp-us' of channel 'sales/orders' is not in the topology",
      },
    ]);
    const hint = diagnostics.find((d) => d.code === "registry/unknown-broker")?.hint;
    expect(hint).toBe(
      "use a broker of the topology (rabbit-eu) or declare 'rabit' under brokers: in topology.yaml",
    );
  });

  it("registry/unknown-party: producers and consumers are teams or principals", async () => {
    const diagnostics = await checkRegistryCase("parties");
    const file = caseFile("parties", "sales.yaml");
    expect(withCode(diagnostics, "registry/unknown-party")).toEqual([
      {
        severity: "error",
        code: "registry/unknown-party",
        file,
        line: 7,
        column: 17,
        message:
          "consumer 'biling' of channel 'sales/orders' is neither a team nor a principal of any team; did you mean 'billing'?",
      },
      {
        severity: "error",
        code: "registry/unknown-party",
        file,
        line: 7,
        column: 25,
        message:
          "consumer 'shipping-bot' of channel 'sales/orders' is neither a team nor a principal of any team",
      },
    ]);
  });

  it("registry/unknown-dead-letter and registry/dead-letter-self", async () => {
    const diagnostics = await checkRegistryCase("dead-letters");
    const file = caseFile("dead-letters", "sales.yaml");
    expect(withCode(diagnostics, "registry/unknown-dead-letter")).toEqual([
      {
        severity: "error",
        code: "registry/unknown-dead-letter",
        file,
        line: 5,
        column: 17,
        message:
          "dead-letter channel 'sales/orders.dlq' of 'sales/orders' is not a registered channel; did you mean 'sales/orders'?",
      },
    ]);
    expect(withCode(diagnostics, "registry/dead-letter-self")).toEqual([
      {
        severity: "error",
        code: "registry/dead-letter-self",
        file,
        line: 10,
        column: 17,
        message: "channel 'sales/returns' names itself as its dead-letter channel",
      },
    ]);
  });

  it("registry/schema-conflict: schema and schemaFile together", async () => {
    const diagnostics = await checkRegistryCase("payload-schemas");
    expect(withCode(diagnostics, "registry/schema-conflict")).toEqual([
      {
        severity: "error",
        code: "registry/schema-conflict",
        file: caseFile("payload-schemas", "sales.yaml"),
        line: 6,
        column: 17,
        message: "channel 'sales/orders' has both 'schema' and 'schemaFile'",
      },
    ]);
  });

  it("registry/invalid-payload-schema points into inline schemas and at schema files", async () => {
    const diagnostics = await checkRegistryCase("payload-schemas");
    const file = caseFile("payload-schemas", "sales.yaml");
    expect(withCode(diagnostics, "registry/invalid-payload-schema")).toEqual([
      {
        severity: "error",
        code: "registry/invalid-payload-schema",
        file,
        line: 24,
        column: 21,
        message:
          "payload schema of channel 'sales/bad-inline' is not valid JSON Schema (draft 2020-12) at /properties/id/type: must be equal to one of the allowed values: array, boolean, integer, null, number, object, string",
      },
      {
        severity: "error",
        code: "registry/invalid-payload-schema",
        file,
        line: 29,
        column: 17,
        message:
          "payload schema schemas/typo.json of channel 'sales/bad-file' is not valid JSON Schema (draft 2020-12): strict mode: unknown keyword: \"requried\"",
      },
    ]);
  });

  it("registry/no-producers and registry/no-consumers are warnings", async () => {
    const diagnostics = await checkRegistryCase("no-parties");
    const file = caseFile("no-parties", "sales.yaml");
    expect(withCode(diagnostics, "registry/no-producers")).toEqual([
      {
        severity: "warning",
        code: "registry/no-producers",
        file,
        line: 3,
        column: 5,
        message: "channel 'sales/orders' has no producers: nobody may publish to it",
      },
    ]);
    expect(withCode(diagnostics, "registry/no-consumers")).toEqual([
      {
        severity: "warning",
        code: "registry/no-consumers",
        file,
        line: 3,
        column: 5,
        message: "channel 'sales/orders' has no consumers: nobody may consume from it",
      },
    ]);
    expect(hasErrors(diagnostics)).toBe(false);
  });
});

describe("validateProject", () => {
  it("the example project validates with no errors and no warnings", async () => {
    const { topology, registry, diagnostics } = await validateProject("examples");
    expect(diagnostics).toEqual([]);
    expect(topology?.routers).toHaveLength(8);
    expect(registry?.channels).toHaveLength(7);
  });

  it("returns every problem of a project, sorted by file and position", async () => {
    const { topology, diagnostics } = await validateProject(
      "test/fixtures/registry/topology-references",
    );
    expect(topology).toBeDefined();
    expect(diagnostics.map((d) => `${d.line}:${d.column} ${d.code}`)).toEqual([
      "5:38 registry/unknown-broker",
      "6:28 registry/unknown-environment",
    ]);
  });

  it("reports a missing topology.yaml and still validates the registry", async () => {
    const { topology, registry, diagnostics } = await validateProject(
      "test/fixtures/registry/parties",
    );
    expect(topology).toBeUndefined();
    expect(registry?.teams).toHaveLength(2);
    // A file that cannot be read comes first: the rest may be its knock-on.
    expect(diagnostics.map((d) => d.code)).toEqual([
      "yaml/read",
      "registry/unknown-party",
      "registry/unknown-party",
    ]);
    expect(diagnostics[0]?.file).toBe("test/fixtures/registry/parties/topology.yaml");
  });
});

describe("a channel with a bad field", () => {
  it("is still checked by the registry rules, so every problem shows in one run", async () => {
    const diagnostics = await checkRegistryCase("salvage");
    const file = caseFile("salvage", "ops.yaml");
    expect(withCode(diagnostics, "registry/unknown-key")).toEqual([
      expect.objectContaining({ file, line: 5, column: 5 }),
    ]);
    expect(withCode(diagnostics, "registry/prefix-overlap")).toContainEqual(
      expect.objectContaining({
        file,
        line: 3,
        column: 14,
        message: expect.stringMatching(/inside prefix 'sales\/orders' owned by team 'sales'/),
      }),
    );
  });
});

describe("the platform's namespace", () => {
  it("registry/reserved-name and registry/reserved-address refuse teams names and addresses starting with amqp-mesh (case folded), nothing else", async () => {
    const diagnostics = await checkRegistryCase("reserved-names");
    const intruder = caseFile("reserved-names", "intruder.yaml");
    expect(withCode(diagnostics, "registry/reserved-name")).toEqual([
      expect.objectContaining({
        file: intruder,
        line: 2,
        message: "principal 'amqp-mesh-probe' is in the platform's namespace 'amqp-mesh'",
      }),
      expect.objectContaining({
        file: intruder,
        line: 2,
        message: "principal 'Amqp-Mesh-sync' is in the platform's namespace 'amqp-mesh'",
      }),
      expect.objectContaining({
        file: caseFile("reserved-names", "platform.yaml"),
        line: 1,
        message: "team name 'amqp-mesh' is in the platform's namespace 'amqp-mesh'",
      }),
    ]);
    expect(withCode(diagnostics, "registry/reserved-address")).toEqual([
      expect.objectContaining({
        file: intruder,
        line: 4,
        message: "address 'amqp-mesh/probe' is in the platform's namespace 'amqp-mesh'",
      }),
      expect.objectContaining({
        file: intruder,
        line: 7,
        message: "address 'AMQP-MESH.probe.eu' is in the platform's namespace 'amqp-mesh'",
      }),
    ]);
  });
});
