import { describe, expect, it } from "vitest";
import {
  loadTopology,
  MAX_INTERIOR_ROUTERS,
  Topology,
  validateTopology,
} from "../../../shared/topology/index.ts";
import { checkTopologyFixture, fixture, withCode } from "./helpers.ts";

const err = (code: string, file: string, line: number, column: number, message: string) => ({
  severity: "error" as const,
  code,
  file,
  line,
  column,
  message,
});
const warn = (code: string, file: string, line: number, column: number, message: string) => ({
  ...err(code, file, line, column, message),
  severity: "warning" as const,
});

describe("validateTopology", () => {
  it("the valid fixture and the example have no findings", async () => {
    expect(await checkTopologyFixture("valid.yaml")).toEqual([]);
    const example = await loadTopology("examples/topology.yaml");
    expect(example.diagnostics).toEqual([]);
    expect(validateTopology(example.topology!, example.source)).toEqual([]);
  });

  describe("names", () => {
    const file = fixture("duplicates.yaml");
    it.each([
      [
        "topology/duplicate-environment",
        3,
        13,
        `environment 'local' is already declared at ${file}:2:13`,
      ],
      [
        "topology/duplicate-router",
        13,
        9,
        `router 'interior-a' is already declared at ${file}:8:9`,
      ],
      [
        "topology/duplicate-tls-profile",
        6,
        13,
        `TLS profile 'mtls' is already declared at ${file}:5:13`,
      ],
      ["topology/duplicate-broker", 22, 13, `broker 'rabbit' is already declared at ${file}:21:13`],
    ])("%s", async (code, line, column, message) => {
      expect(withCode(await checkTopologyFixture("duplicates.yaml"), code)).toEqual([
        err(code, file, line, column, message),
      ]);
    });
  });

  describe("listener security (secure by default)", () => {
    const file = fixture("security.yaml");
    const security = async () =>
      (await checkTopologyFixture("security.yaml")).filter((d) =>
        [
          "topology/unauthenticated-router-listener",
          "topology/external-without-tls",
          "topology/plain-without-tls",
          "topology/unauthenticated-clients",
          "topology/no-sasl-database",
        ].includes(d.code),
      );

    it("refuses router listeners without mutual TLS and PLAIN without TLS off loopback; loopback and TLS pass", async () => {
      const found = await security();
      expect(found.filter((d) => d.severity === "error").map((d) => [d.code, d.line])).toEqual([
        ["topology/plain-without-tls", 12],
        ["topology/unauthenticated-router-listener", 13],
        ["topology/external-without-tls", 14],
        ["topology/unauthenticated-router-listener", 14],
      ]);
      expect(withCode(found, "topology/unauthenticated-router-listener")[0]).toEqual(
        err(
          "topology/unauthenticated-router-listener",
          file,
          13,
          20,
          "the interRouter listener of router 'open-interior' (0.0.0.0:55672) lets routers in without mutual TLS: anyone who reaches it joins the mesh as a router, past every policy",
        ),
      );
    });

    it("turns the refusal into a warning for a listener marked insecure, and warns of anonymous clients", async () => {
      const lab = (await security()).filter((d) => d.line >= 27 && d.line <= 29);
      expect(lab.map((d) => [d.severity, d.code, d.line])).toEqual([
        ["warning", "topology/unauthenticated-clients", 28],
        ["warning", "topology/unauthenticated-router-listener", 29],
      ]);
    });

    it("warns that PLAIN on a deployed router needs a SASL database", async () => {
      expect(withCode(await security(), "topology/no-sasl-database")).toEqual([
        warn(
          "topology/no-sasl-database",
          file,
          12,
          16,
          "router 'open-interior' takes PLAIN logins but the topology names no SASL user database, so a real router cannot check a password",
        ),
      ]);
    });

    it("defaults: mutual TLS with EXTERNAL on router listeners with a tlsProfile, PLAIN for clients, loopback binds", () => {
      const parsed = Topology.parse({
        environments: [{ name: "e", cloud: "local", region: "r" }],
        tlsProfiles: [{ name: "mtls", caCert: "/ca.pem" }],
        routers: [
          {
            id: "a",
            environment: "e",
            mode: "interior",
            host: "10.0.0.1",
            listeners: {
              clients: { port: 1 },
              interRouter: { port: 2, tlsProfile: "mtls" },
              edge: { port: 3 },
            },
          },
        ],
      });
      const { clients, interRouter, edge } = parsed.routers[0]!.listeners;
      expect(clients).toMatchObject({
        host: "127.0.0.1",
        saslMechanisms: ["PLAIN"],
        authenticatePeer: true,
      });
      expect(interRouter).toMatchObject({ saslMechanisms: ["EXTERNAL"], authenticatePeer: true });
      expect(edge).toMatchObject({ saslMechanisms: ["ANONYMOUS"], authenticatePeer: false });
    });
  });

  describe("environments", () => {
    const file = fixture("environments.yaml");
    it("topology/single-interior warns (no HA) and topology/no-interior is an error", async () => {
      const diagnostics = await checkTopologyFixture("environments.yaml");
      expect(withCode(diagnostics, "topology/single-interior")).toEqual([
        warn(
          "topology/single-interior",
          file,
          2,
          13,
          "environment 'aws-eu' has one interior router ('aws-1'): no HA",
        ),
        warn(
          "topology/single-interior",
          file,
          3,
          13,
          "environment 'azure-we' has one interior router ('azure-1'): no HA",
        ),
      ]);
      expect(withCode(diagnostics, "topology/no-interior")).toEqual([
        err("topology/no-interior", file, 4, 13, "environment 'gcp-us' has no interior router"),
      ]);
    });

    it("topology/unknown-environment for routers and brokers", async () => {
      expect(
        withCode(await checkTopologyFixture("environments.yaml"), "topology/unknown-environment"),
      ).toEqual([
        err(
          "topology/unknown-environment",
          file,
          17,
          18,
          "router 'stray-1' is in environment 'aws-west', which is not declared",
        ),
        err(
          "topology/unknown-environment",
          file,
          25,
          34,
          "broker 'rabbit' is in environment 'azure-w', which is not declared; did you mean 'azure-we'?",
        ),
      ]);
    });

    it("topology/no-environments for a topology built in code", () => {
      const topology = Topology.parse({
        environments: [{ name: "x", cloud: "local", region: "r" }],
        routers: [
          {
            id: "r",
            environment: "x",
            mode: "interior",
            host: "h",
            listeners: { clients: { port: 1 } },
          },
        ],
      });
      topology.environments = [];
      expect(withCode(validateTopology(topology), "topology/no-environments")).toEqual([
        err(
          "topology/no-environments",
          "topology.yaml",
          1,
          1,
          "the topology declares no environments",
        ),
      ]);
    });

    it(`topology/too-many-interiors above ${MAX_INTERIOR_ROUTERS}`, () => {
      const interiors = (count: number) =>
        Topology.parse({
          environments: [{ name: "big", cloud: "local", region: "r" }],
          routers: Array.from({ length: count }, (_, i) => ({
            id: `r-${i}`,
            environment: "big",
            mode: "interior",
            host: `h-${i}`,
            listeners: { clients: { port: 5672 }, interRouter: { port: 55672 } },
          })),
          links: Array.from({ length: count - 1 }, (_, i) => ({
            from: `r-${i + 1}`,
            to: `r-${i}`,
          })),
        });
      expect(validateTopology(interiors(MAX_INTERIOR_ROUTERS))).toEqual([]);
      expect(
        withCode(
          validateTopology(interiors(MAX_INTERIOR_ROUTERS + 1)),
          "topology/too-many-interiors",
        ),
      ).toEqual([
        err(
          "topology/too-many-interiors",
          "topology.yaml",
          1,
          1,
          "the topology has 129 interior routers; the router supports at most 128",
        ),
      ]);
    });
  });

  describe("edge routers and uplinks", () => {
    const file = fixture("edges.yaml");
    it.each([
      [
        "topology/interior-uplinks",
        [
          err(
            "topology/interior-uplinks",
            file,
            10,
            14,
            "interior router 'east-1' has uplinks; only edge routers connect through uplinks",
          ),
        ],
      ],
      [
        "topology/edge-router-listener",
        [
          err(
            "topology/edge-router-listener",
            file,
            31,
            56,
            "edge router 'edge-listening' has an interRouter listener; edge routers accept clients only",
          ),
          err(
            "topology/edge-router-listener",
            file,
            31,
            79,
            "edge router 'edge-listening' has an edge listener; edge routers accept clients only",
          ),
        ],
      ],
      [
        "topology/edge-without-uplink",
        [
          err(
            "topology/edge-without-uplink",
            file,
            32,
            9,
            "edge router 'edge-alone' has no uplinks, so it cannot reach the mesh",
          ),
        ],
      ],
      [
        "topology/unknown-uplink",
        [
          err(
            "topology/unknown-uplink",
            file,
            41,
            15,
            "uplink 'east-3' of edge router 'edge-wrong' is not a router of the topology; did you mean 'east-1'?",
          ),
        ],
      ],
      [
        "topology/uplink-not-interior",
        [
          err(
            "topology/uplink-not-interior",
            file,
            41,
            23,
            "uplink 'edge-alone' of edge router 'edge-wrong' is an edge router; edges connect to interior routers only",
          ),
        ],
      ],
      [
        "topology/uplink-other-environment",
        [
          warn(
            "topology/uplink-other-environment",
            file,
            41,
            35,
            "edge router 'edge-wrong' (environment 'east') uplinks to 'west-1' in environment 'west'",
          ),
        ],
      ],
      [
        "topology/missing-edge-listener",
        [
          err(
            "topology/missing-edge-listener",
            file,
            15,
            16,
            `interior router 'east-2' has no edge listener, but edge router 'edge-wrong' uplinks to it (${file}:41:43)`,
          ),
        ],
      ],
    ])("%s", async (code, expected) => {
      expect(withCode(await checkTopologyFixture("edges.yaml"), code)).toEqual(expected);
    });
  });

  describe("links", () => {
    const file = fixture("links.yaml");
    it.each([
      [
        "topology/missing-inter-router-listener",
        [
          err(
            "topology/missing-inter-router-listener",
            file,
            13,
            16,
            `interior router 'interior-b' has no interRouter listener, but the link from 'interior-a' (${file}:31:5) connects to it`,
          ),
        ],
      ],
      [
        "topology/duplicate-link",
        [
          err(
            "topology/duplicate-link",
            file,
            32,
            5,
            `link between 'interior-b' and 'interior-a' is already declared at ${file}:31:5`,
          ),
        ],
      ],
      [
        "topology/unknown-link-router",
        [
          err(
            "topology/unknown-link-router",
            file,
            33,
            29,
            "link to 'interior-x' is not a router of the topology; did you mean 'interior-a'?",
          ),
        ],
      ],
      [
        "topology/link-not-interior",
        [
          err(
            "topology/link-not-interior",
            file,
            34,
            29,
            "link to 'edge-a' is an edge router; links join interior routers only",
          ),
        ],
      ],
      [
        "topology/disconnected",
        [
          err(
            "topology/disconnected",
            file,
            14,
            9,
            "interior routers 'interior-c', 'interior-d' cannot be reached from 'interior-a': no chain of links connects them",
          ),
        ],
      ],
    ])("%s", async (code, expected) => {
      expect(withCode(await checkTopologyFixture("links.yaml"), code)).toEqual(expected);
    });

    it("topology/self-link", async () => {
      expect(withCode(await checkTopologyFixture("duplicates.yaml"), "topology/self-link")).toEqual(
        [
          err(
            "topology/self-link",
            fixture("duplicates.yaml"),
            19,
            5,
            "link from 'interior-a' to itself",
          ),
        ],
      );
    });
  });

  describe("TLS profiles and ports", () => {
    const file = fixture("tls-and-ports.yaml");
    it("topology/unknown-tls-profile for listeners, links and brokers", async () => {
      expect(
        withCode(await checkTopologyFixture("tls-and-ports.yaml"), "topology/unknown-tls-profile"),
      ).toEqual([
        err(
          "topology/unknown-tls-profile",
          file,
          11,
          42,
          "TLS profile 'mesh-mtl' of the clients listener of router 'interior-a' is not declared; did you mean 'mesh-mtls'?",
        ),
        err(
          "topology/unknown-tls-profile",
          file,
          21,
          53,
          "TLS profile 'other' of the link from 'interior-b' to 'interior-a' is not declared",
        ),
        err(
          "topology/unknown-tls-profile",
          file,
          28,
          17,
          "TLS profile 'broker-tls' of the broker 'rabbit' is not declared",
        ),
      ]);
    });

    it("topology/port-conflict across listeners and brokers of one host", async () => {
      expect(
        withCode(await checkTopologyFixture("tls-and-ports.yaml"), "topology/port-conflict"),
      ).toEqual([
        err(
          "topology/port-conflict",
          file,
          12,
          28,
          `port 5672 on host 10.0.0.1 of the interRouter listener of router 'interior-a' is already used by the clients listener of router 'interior-a' (${file}:11:24)`,
        ),
        err(
          "topology/port-conflict",
          file,
          26,
          11,
          `port 5673 on host 10.0.0.1 of broker 'rabbit' is already used by the clients listener of router 'interior-b' (${file}:18:24)`,
        ),
      ]);
    });
  });
});

describe("loadTopology: the document format", () => {
  const file = fixture("schema-errors.yaml");
  it("reports format errors with positions and fix hints", async () => {
    const { topology, diagnostics } = await loadTopology(file);
    expect(topology).toBeUndefined();
    expect(
      diagnostics.map(({ code, line, column, message }) => ({ code, line, column, message })),
    ).toEqual([
      {
        code: "topology/invalid-value",
        line: 1,
        column: 10,
        message: "invalid flavour 'skuper-router'; did you mean 'skupper-router'?",
      },
      {
        code: "topology/out-of-range",
        line: 2,
        column: 15,
        message: "'environments' must have at least 1 entry, got an empty list",
      },
      {
        code: "topology/invalid-name",
        line: 4,
        column: 9,
        message:
          "invalid id 'Interior_A': use lower-case letters a-z, digits 0-9 and '-', starting with a letter",
      },
      {
        code: "topology/missing-key",
        line: 4,
        column: 5,
        message: "missing required key 'listeners'",
      },
      {
        code: "topology/unknown-key",
        line: 8,
        column: 5,
        message: "unknown key 'listener'; did you mean 'listeners'?",
      },
    ]);
    expect(diagnostics.every((d) => d.file === file && d.severity === "error")).toBe(true);
  });

  it("reports a missing file and an empty document", async () => {
    const missing = await loadTopology(fixture("nowhere.yaml"));
    expect(missing.diagnostics.map((d) => [d.code, d.line, d.column])).toEqual([
      ["yaml/read", 1, 1],
    ]);
    expect(missing.diagnostics[0]?.message).toMatch(/^cannot read file: ENOENT/);
  });
});
