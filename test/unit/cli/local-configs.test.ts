/** A generated config made fit to run here: loopback only, this run's TLS and SASL files. */
import { describe, expect, it } from "vitest";
import { onLoopback, withLocalFiles } from "../../../cli/local/local-configs.ts";
import { generateRouterConfigs, type RouterConfig } from "../../../shared/router-config/index.ts";
import { Topology } from "../../../shared/topology/index.ts";
import { loadExampleRegistry, loadExampleTopology } from "../router-config/example-project.ts";

const files = {
  certificates: {
    dir: "/run/local/tls",
    caFile: "/run/local/tls/ca.pem",
    routers: new Map([
      [
        "aws-eu-interior-1",
        { certFile: "/run/local/tls/i1.pem", keyFile: "/run/local/tls/i1-key.pem" },
      ],
    ]),
  },
  sasl: { configDir: "/run/local/sasl", database: "/run/local/sasl/users.sasldb" },
};

function exampleConfig(id: string, topology = loadExampleTopology()): RouterConfig {
  const { configs } = generateRouterConfigs(loadExampleRegistry(), topology);
  return configs.find((c) => c.routerId === id)!;
}

const attributesOf = (config: RouterConfig, type: string) =>
  config.entities.filter((e) => e.type === type).map((e) => e.attributes);

describe("local router configs", () => {
  it("bind every listener to loopback, whatever the topology says", () => {
    const base = loadExampleTopology();
    const everywhere = Topology.parse({
      ...base,
      routers: base.routers.map((r) => ({
        ...r,
        listeners: Object.fromEntries(
          Object.entries(r.listeners).map(([k, l]) => [
            k,
            { ...l, host: "0.0.0.0", insecure: true },
          ]),
        ),
      })),
    });
    const local = onLoopback(exampleConfig("aws-eu-interior-1", everywhere));
    expect(attributesOf(local, "listener").map((a) => a.host)).toEqual([
      "127.0.0.1",
      "127.0.0.1",
      "127.0.0.1",
    ]);
  });

  it("use this run's CA, the router's own certificate and the local SASL database; keep the rest as generated", () => {
    const generated = exampleConfig("aws-eu-interior-1");
    const local = withLocalFiles(generated, files);
    expect(attributesOf(local, "sslProfile")).toEqual([
      {
        name: "amqp-mesh/tls/mesh-mtls",
        caCertFile: "/run/local/tls/ca.pem",
        certFile: "/run/local/tls/i1.pem",
        privateKeyFile: "/run/local/tls/i1-key.pem",
        uidFormat: "n",
      },
    ]);
    expect(attributesOf(local, "router")[0]).toMatchObject({
      saslConfigDir: "/run/local/sasl",
      saslConfigName: "amqp-mesh",
    });
    const unchanged = (c: RouterConfig) =>
      c.entities.filter((e) => !["router", "sslProfile", "listener"].includes(e.type));
    expect(unchanged(local)).toEqual(unchanged(generated));
  });

  it("refuses a router it has no certificate for", () => {
    expect(() => withLocalFiles(exampleConfig("aws-eu-edge-1"), files)).toThrow(
      "no local certificate for router 'aws-eu-edge-1'",
    );
  });
});
