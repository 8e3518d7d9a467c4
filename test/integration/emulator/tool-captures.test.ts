/**
 * The routers' own tools against the emulator: every management request `qdstat`/`qdmanage`
 * (qdrouterd 1.19.0) and `skstat`/`skmanage` (skupper-router 3.5.1) sent to a real router,
 * replayed in the recorded order against an emulated mesh started from the recording mesh's
 * own config files (test/fixtures/real-router-captures/), each answer held to the recorded
 * one in shape and status (management-shapes.ts). What a recorded answer names that only
 * the recording network had (the proxy's connection `capture-upstream`, its links, counters)
 * is compared by kind of value only.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalMesh } from "../../../emulator/index.ts";
import type { RouterFlavour } from "../../../shared/topology/index.ts";
import { closeAllClients, connectClient, type TestClient } from "../../support/amqp-client.ts";
import { startMeshFromConfigFiles } from "../../support/config-mesh.ts";
import {
  type CompareOptions,
  compareReply,
  readCaptures,
} from "../../support/management-shapes.ts";

const FIXTURES = join(import.meta.dirname, "../../fixtures/real-router-captures");

/** Types every emulated router should have, per flavour (the brief of the emulator). */
const COMMON_TYPES = [
  "entity",
  "org.amqp.management",
  "management",
  "configurationEntity",
  "operationalEntity",
  "router",
  "sslProfile",
  "listener",
  "connector",
  "router.config.address",
  "router.config.autoLink",
  "router.link",
  "router.address",
  "router.node",
  "connection",
  "allocator",
  "vhost",
];

/** Columns the recording mesh's config files fix (not counters, peers or bound ports). */
const CONFIGURED = {
  "router.config.address": {
    key: "name",
    columns: [
      "name",
      "type",
      "prefix",
      "pattern",
      "distribution",
      "waypoint",
      "ingressPhase",
      "egressPhase",
      "priority",
      "fallback",
    ],
  },
  vhost: {
    key: "name",
    columns: [
      "hostname",
      "aliases",
      "maxConnections",
      "maxMessageSize",
      "maxConnectionsPerUser",
      "maxConnectionsPerHost",
      "allowUnknownUser",
      "groups",
      "name",
      "identity",
      "type",
    ],
  },
  listener: {
    key: "name",
    columns: [
      "host",
      "socketAddressFamily",
      "role",
      "cost",
      "sslProfile",
      "saslMechanisms",
      "authenticatePeer",
      "saslPlugin",
      "requireEncryption",
      "requireSsl",
      "maxFrameSize",
      "maxSessions",
      "maxSessionFrames",
      "idleTimeoutSeconds",
      "initialHandshakeTimeoutSeconds",
      "stripAnnotations",
      "linkCapacity",
      "multiTenant",
      "healthz",
      "metrics",
      "websockets",
      "http",
      "messageLoggingComponents",
      "policyVhost",
      "openProperties",
      "name",
      "identity",
      "type",
    ],
  },
  "router.node": {
    key: "id",
    columns: [
      "id",
      "protocolVersion",
      "linkState",
      "nextHop",
      "validOrigins",
      "address",
      "routerLink",
      "cost",
      "index",
      "name",
      "identity",
      "type",
    ],
  },
  network: { key: "name", columns: ["networkId", "tenantId", "name", "identity", "type"] },
} as const satisfies CompareOptions["fixedColumns"];

interface Recording {
  flavour: RouterFlavour;
  capture: string;
  configs: string[];
  /** The router the tools talked to. */
  router: string;
  options: CompareOptions;
}

const RECORDINGS: Recording[] = [
  {
    flavour: "qpid-dispatch",
    capture: "qdrouterd-1.19.0.jsonl",
    configs: ["qdrouterd-InteriorA.json", "qdrouterd-InteriorB.json", "qdrouterd-Edge1.json"],
    router: "InteriorA",
    options: {
      prefix: "org.apache.qpid.dispatch.",
      supportedTypes: [...COMMON_TYPES, "router.config.linkRoute"],
      fixedColumns: {
        ...CONFIGURED,
        router: {
          key: "id",
          columns: ["name", "id", "type", "mode", "area", "version", "metadata", "workerThreads"],
        },
      },
    },
  },
  {
    flavour: "skupper-router",
    capture: "skupper-router-3.5.1.jsonl",
    configs: ["skupper-SkA.json", "skupper-SkB.json", "skupper-SkE.json"],
    router: "SkA",
    options: {
      prefix: "io.skupper.router.",
      supportedTypes: [...COMMON_TYPES, "routerMetrics", "network"],
      fixedColumns: {
        ...CONFIGURED,
        router: {
          key: "id",
          columns: [
            "id",
            "vanId",
            "mode",
            "area",
            "version",
            "helloIntervalSeconds",
            "helloMaxAgeSeconds",
            "raIntervalSeconds",
            "raIntervalFluxSeconds",
            "remoteLsMaxAgeSeconds",
            "unreachableHoldoffSeconds",
            "workerThreads",
            "saslConfigName",
            "defaultDistribution",
            "metadata",
            "dataConnectionCount",
            "dropTcpConnections",
            "name",
            "identity",
            "type",
          ],
        },
        routerMetrics: { key: "id", columns: ["identity", "type", "id", "version", ""] },
      },
    },
  },
];

describe.each(RECORDINGS)(
  "$capture replayed against the emulator (emulator only: a recording of a known network)",
  (recording) => {
    const exchanges = readCaptures(join(FIXTURES, recording.capture));
    let mesh: LocalMesh;
    let client: TestClient;

    beforeAll(async () => {
      mesh = await startMeshFromConfigFiles(
        recording.configs.map((file) => join(FIXTURES, "mesh", file)),
        { flavour: recording.flavour },
      );
      client = await connectClient(mesh.router(recording.router).url);
    });
    afterAll(async () => {
      await closeAllClients();
      await mesh?.stop();
    });

    it("has recorded requests of every operation the tools use", () => {
      const operations = new Set(
        exchanges.map((e) => String(e.request.application_properties.operation)),
      );
      expect([...operations].sort()).toEqual(
        [
          "CREATE",
          "DELETE",
          "GET-ATTRIBUTES",
          "GET-MGMT-NODES",
          "GET-OPERATIONS",
          "GET-TYPES",
          "QUERY",
          "READ",
        ].sort(),
      );
    });

    for (const [index, exchange] of exchanges.entries()) {
      const properties = exchange.request.application_properties;
      const what = [properties.operation, properties.entityType ?? properties.type ?? ""]
        .map(String)
        .join(" ");
      it(`#${index} ${exchange.tool}: ${what}`, async () => {
        const answer = await client.management(properties, exchange.request.body);
        const problems = compareReply(exchange, answer, recording.options);
        expect(problems, problems.join("\n")).toEqual([]);
      });
    }
  },
);
