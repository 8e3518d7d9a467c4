import { describe, expect, it } from "vitest";
import type { RegisteredChannel } from "../../../shared/registry/model.ts";
import { generateRouterConfigs } from "../../../shared/router-config/index.ts";
import { registryOf, smallTopology } from "./builders.ts";

describe("generation diagnostics", () => {
  it("refuses a broker the topology does not define, and still generates the rest", () => {
    const registry = registryOf([
      {
        team: "t",
        channels: [
          { address: "t/a", description: "a", routing: { kind: "broker", broker: "nope" } },
          { address: "t/b", description: "b" },
        ],
      },
    ]);
    const { configs, diagnostics } = generateRouterConfigs(registry, smallTopology());
    expect(diagnostics).toEqual([
      expect.objectContaining({
        severity: "error",
        code: "router-config/unknown-broker",
        file: "registry/t.yaml",
        path: ["channels", 0, "routing", "broker"],
      }),
    ]);
    const prefixes = configs[0]!.entities
      .filter((e) => e.type === "address")
      .map((e) => e.attributes.prefix);
    expect(prefixes).toEqual(["t/b"]);
  });

  it("refuses a broker channel whose scope has no interior in the broker's environment", () => {
    const registry = registryOf([
      {
        team: "t",
        channels: [
          {
            address: "t/a",
            description: "a",
            routing: { kind: "broker", broker: "rabbit" },
            environments: ["env-b"],
          },
        ],
      },
    ]);
    const { diagnostics } = generateRouterConfigs(registry, smallTopology());
    expect(diagnostics.map((d) => d.code)).toEqual([
      "router-config/broker-out-of-scope",
      "router-config/no-router-in-scope",
    ]);
  });

  it("never emits a distribution the flavour does not know", () => {
    const registry = registryOf([{ team: "t", channels: [{ address: "t/a", description: "a" }] }]);
    // Simulates a registry value that got past validation.
    Object.assign(registry.channels[0] as RegisteredChannel, { distribution: "flood" });
    const { configs, diagnostics } = generateRouterConfigs(registry, smallTopology());
    expect(diagnostics[0]).toMatchObject({
      severity: "error",
      code: "router-config/unknown-distribution",
      path: ["channels", 0, "distribution"],
    });
    for (const config of configs)
      expect(config.entities.filter((e) => e.type === "address")).toEqual([]);
  });

  it("reports a duplicate address once and generates it once", () => {
    const registry = registryOf([
      { team: "a", channels: [{ address: "x/y", description: "1" }] },
      { team: "b", channels: [{ address: "x/y", description: "2" }] },
    ]);
    const { configs, diagnostics } = generateRouterConfigs(registry, smallTopology());
    expect(diagnostics.map((d) => [d.code, d.file])).toEqual([
      ["router-config/duplicate-address", "registry/b.yaml"],
    ]);
    expect(configs[0]!.entities.filter((e) => e.type === "address")).toHaveLength(1);
  });

  it("points topology problems at the topology path", () => {
    const topology = smallTopology({ links: [{ from: "int-a2", to: "edge-a1", cost: 1 }] });
    const { diagnostics } = generateRouterConfigs(registryOf([]), topology, {
      topologyFile: "examples/topology.yaml",
    });
    expect(diagnostics).toEqual([
      expect.objectContaining({
        code: "router-config/link-target",
        file: "examples/topology.yaml",
        path: ["links", 0, "to"],
      }),
    ]);
  });

  it("sets up TLS on listeners and connectors from the topology's profiles", () => {
    const topology = smallTopology({
      tlsProfiles: [
        {
          name: "mtls",
          caCert: "/tls/ca.pem",
          cert: "/tls/cert.pem",
          key: { secretRef: "env:KEY" },
        },
      ],
      links: [{ from: "int-a2", to: "int-a1", cost: 3, tlsProfile: "mtls" }],
    });
    const { configs, diagnostics } = generateRouterConfigs(registryOf([]), topology);
    expect(diagnostics).toEqual([]);
    const a2 = configs.find((c) => c.routerId === "int-a2")!;
    expect(a2.entities.filter((e) => e.type === "sslProfile").map((e) => e.attributes)).toEqual([
      {
        name: "amqp-mesh/tls/mtls",
        caCertFile: "/tls/ca.pem",
        certFile: "/tls/cert.pem",
        privateKeyFile: "/run/secrets/amqp-mesh/mtls-key.pem",
        uidFormat: "n",
      },
    ]);
    expect(
      a2.entities.find((e) => e.attributes.role === "inter-router" && e.type === "connector")!
        .attributes,
    ).toMatchObject({ sslProfile: "amqp-mesh/tls/mtls", cost: 3 });
  });
});
