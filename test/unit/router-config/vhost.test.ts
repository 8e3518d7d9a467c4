import { describe, expect, it } from "vitest";
import { PROBE_PRINCIPAL } from "../../../shared/registry/index.ts";
import {
  generateRouterConfigs,
  ROUTERS_VHOST,
  type RouterConfig,
  type RouterEntity,
  renderSaslConfig,
} from "../../../shared/router-config/index.ts";
import { registryOf, smallTopology } from "./builders.ts";

type GroupSettings = Record<string, unknown>;

function vhostGroups(config: RouterConfig): Record<string, GroupSettings> {
  const vhost = config.entities.find((e: RouterEntity) => e.type === "vhost");
  return (vhost?.attributes.groups ?? {}) as Record<string, GroupSettings>;
}

function groupOf(config: RouterConfig, principal: string): GroupSettings | undefined {
  return Object.values(vhostGroups(config)).find((g) =>
    String(g.users).split(", ").includes(principal),
  );
}

const registry = registryOf([
  {
    team: "shop",
    principals: ["shop-api", "shop-web"],
    channels: [
      {
        address: "shop/orders",
        description: "orders",
        maxMessageSize: 2048,
        producers: ["shop", "audit-bot"],
        consumers: ["stock"],
      },
      {
        address: "shop/orders.dead",
        description: "dead orders",
        producers: ["stock"],
        consumers: ["shop-api"],
      },
    ],
  },
  { team: "stock", principals: ["stock-worker"], channels: [] },
]);

describe("vhost policies", () => {
  const { configs } = generateRouterConfigs(registry, smallTopology());
  const config = configs.find((c) => c.routerId === "int-a1")!;

  it("enables vhost policy with $default as the vhost of every connection", () => {
    const policy = config.entities.find((e) => e.type === "policy")!;
    expect(policy.attributes).toMatchObject({ enableVhostPolicy: true, defaultVhost: "$default" });
    const vhost = config.entities.find((e) => e.type === "vhost")!;
    expect(vhost.attributes).toMatchObject({ hostname: "$default", allowUnknownUser: false });
  });

  it("gives a producer-only principal the target but not the source", () => {
    const group = groupOf(config, "audit-bot")!;
    // No shop/orders/*: the router reads shop/orders/dead as shop/orders.dead, another channel.
    expect(group.targets).toBe("shop/orders");
    expect(group.sources).toBeUndefined();
    expect(group.allowAnonymousSender).toBe(false);
    expect(group.allowDynamicSource).toBe(false);
  });

  it("gives a consumer the source but not the target", () => {
    const group = groupOf(config, "stock-worker")!;
    expect(group.sources).toBe("shop/orders");
    expect(group.targets).toBe("shop/orders.dead, shop/orders.dead/*");
  });

  it("expands a team name to all its principals, grouping principals with equal rights", () => {
    const groups = vhostGroups(config);
    // shop-web only produces; shop-api also consumes the dead letters, so they differ.
    expect(groupOf(config, "shop-web")).not.toBe(groupOf(config, "shop-api"));
    expect(groupOf(config, "shop-api")!.sources).toBe("shop/orders.dead, shop/orders.dead/*");
    const allUsers = Object.values(groups).flatMap((g) => String(g.users).split(", "));
    // A user may be in one group only (vhostUserGroupSettings.users).
    expect(new Set(allUsers).size).toBe(allUsers.length);
    expect(allUsers.sort()).toEqual([
      "amqp-mesh-probe",
      "audit-bot",
      "shop-api",
      "shop-web",
      "stock-worker",
    ]);
  });

  it("names a group after the team when it holds exactly that team", () => {
    expect(Object.keys(vhostGroups(config))).toContain("team-stock");
  });

  it("limits a group's message size to the largest channel it produces to", () => {
    expect(groupOf(config, "audit-bot")!.maxMessageSize).toBe(2048);
    const policy = config.entities.find((e) => e.type === "policy")!;
    expect(policy.attributes.maxMessageSize).toBe(1024 * 1024);
  });

  it("lets management principals send to $management", () => {
    const { configs: withOps } = generateRouterConfigs(registry, smallTopology(), {
      managementPrincipals: ["config-sync"],
    });
    const group = groupOf(withOps[0]!, "config-sync")!;
    expect(group.targets).toBe("$management");
    // Management replies come back on a dynamic receiver.
    expect(group.allowDynamicSource).toBe(true);
  });

  it("allows dynamic sources to the requesters of a replyTo channel, and replies to its responders", () => {
    const rpc = registryOf([
      {
        team: "geo",
        principals: ["geo-api"],
        channels: [
          {
            address: "geo/lookup",
            description: "lookups",
            replyTo: true,
            producers: ["shop-web"],
            consumers: ["geo"],
          },
          { address: "geo/events", description: "events", producers: ["shop-api"] },
        ],
      },
    ]);
    const { configs: rpcConfigs } = generateRouterConfigs(rpc, smallTopology());
    const edge = rpcConfigs.find((c) => c.routerId === "edge-a1")!;
    expect(groupOf(edge, "shop-web")).toMatchObject({
      targets: "geo/lookup, geo/lookup/*",
      allowDynamicSource: true,
    });
    expect(groupOf(edge, "shop-api")).toMatchObject({ allowDynamicSource: false });
    expect(groupOf(edge, "geo-api")).toMatchObject({
      sources: "geo/lookup, geo/lookup/*",
      // The temporary addresses each router of the channel hands out, nothing else there.
      targets:
        "amqp:/_edge/edge-a1/temp.*, amqp:/_topo/0/int-a1/temp.*, amqp:/_topo/0/int-a2/temp.*",
      allowDynamicSource: false,
    });
  });

  it("grants nothing for channels outside the router's environments", () => {
    const scoped = registryOf([
      {
        team: "t",
        principals: ["p"],
        channels: [
          { address: "t/x", description: "x", producers: ["t"], environments: ["elsewhere"] },
        ],
      },
    ]);
    const { configs: scopedConfigs } = generateRouterConfigs(scoped, smallTopology());
    expect(groupOf(scopedConfigs[0]!, "p")).toBeUndefined();
  });
});

describe("principals a vhost policy cannot name", () => {
  it("warns and leaves them out instead of writing a broken users list", () => {
    // A registry that skipped validation: ',' splits the users list, '*' is everyone to qdrouterd.
    const withComma = registryOf([
      {
        team: "t",
        channels: [
          { address: "t/a", description: "a", producers: ["CN=svc,O=corp", "ok-user", "*"] },
        ],
      },
    ]);
    const { configs, diagnostics } = generateRouterConfigs(withComma, smallTopology());
    expect(diagnostics).toEqual([
      expect.objectContaining({
        severity: "warning",
        code: "router-config/party-grants-nobody",
        path: ["channels", 0, "producers", 0],
      }),
      expect.objectContaining({
        severity: "warning",
        code: "router-config/party-grants-nobody",
        path: ["channels", 0, "producers", 2],
      }),
    ]);
    const users = Object.values(vhostGroups(configs[0]!)).map((g) => g.users);
    expect(users.filter((u) => u !== PROBE_PRINCIPAL)).toEqual(["ok-user"]);
  });
});

describe("edge routers at their interiors (vhost policy applies to edge connections)", () => {
  const routersVhost = (config: RouterConfig) =>
    config.entities.find((e) => e.type === "vhost" && e.attributes.hostname === ROUTERS_VHOST);

  it("puts the edge listener's peers in their own vhost, where the edges uplinking here may do everything", () => {
    const { configs, diagnostics } = generateRouterConfigs(
      registry,
      smallTopology({
        tlsProfiles: [{ name: "mtls", caCert: "/ca.pem", cert: "/r.pem", key: "/r-key.pem" }],
      }),
    );
    expect(diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const interior = configs.find((c) => c.routerId === "int-a1")!;
    const edgeListener = interior.entities.find(
      (e) => e.type === "listener" && e.attributes.role === "edge",
    );
    expect(edgeListener?.attributes.policyVhost).toBe(ROUTERS_VHOST);
    expect(routersVhost(interior)?.attributes).toMatchObject({
      allowUnknownUser: true,
      groups: {
        "edge-routers": {
          users: "edge-a1",
          sources: "*",
          targets: "*",
          allowDynamicSource: true,
          allowAnonymousSender: true,
          allowUserIdProxy: true,
        },
      },
    });
    // Edge routers have no edge listener, so no such vhost.
    expect(routersVhost(configs.find((c) => c.routerId === "edge-a1")!)).toBeUndefined();
  });

  it("lets only the named edges in when the edge listener authenticates them by certificate", () => {
    const base = smallTopology();
    const topology = {
      ...base,
      tlsProfiles: [{ name: "mtls", caCert: "/ca.pem", cert: "/r.pem", key: "/r-key.pem" }],
      routers: base.routers.map((r) =>
        r.listeners.edge === undefined
          ? r
          : {
              ...r,
              listeners: {
                ...r.listeners,
                edge: {
                  ...r.listeners.edge,
                  tlsProfile: "mtls",
                  saslMechanisms: ["EXTERNAL" as const],
                  authenticatePeer: true,
                },
              },
            },
      ),
    };
    const { configs } = generateRouterConfigs(registry, topology);
    const vhost = routersVhost(configs.find((c) => c.routerId === "int-a2")!);
    expect(vhost?.attributes.allowUnknownUser).toBe(false);
    expect(Object.keys(vhost?.attributes.groups as object)).toEqual(["edge-routers"]);
  });
});

describe("the Cyrus SASL config for PLAIN users", () => {
  it("points the routers at the sasldb the topology names", () => {
    expect(
      renderSaslConfig({
        configDir: "/etc/amqp-mesh/sasl",
        database: "/etc/amqp-mesh/sasl/users.sasldb",
      }),
    ).toBe(
      [
        "# amqp-mesh Cyrus SASL config; generated, do not edit",
        "mech_list: EXTERNAL PLAIN",
        "pwcheck_method: auxprop",
        "auxprop_plugin: sasldb",
        "sasldb_path: /etc/amqp-mesh/sasl/users.sasldb",
        "",
      ].join("\n"),
    );
    expect(renderSaslConfig({})).toBeUndefined();
  });
});

describe("the verify probe's grant", () => {
  it("lets the probe principal send to and receive from the probe channel only, on every router", () => {
    const { configs } = generateRouterConfigs(
      registryOf([
        {
          team: "shop",
          principals: ["shop-api"],
          channels: [
            {
              address: "shop/orders",
              description: "orders",
              producers: ["shop"],
              consumers: ["shop"],
            },
          ],
        },
      ]),
      smallTopology(),
    );
    expect(configs.length).toBeGreaterThan(0);
    for (const config of configs) {
      const group = groupOf(config, PROBE_PRINCIPAL)!;
      expect(group.users).toBe(PROBE_PRINCIPAL);
      expect(group.targets).toBe("amqp-mesh/probe/*");
      expect(group.sources).toBe("amqp-mesh/probe/*");
      expect(group.allowDynamicSource).toBe(false);
      expect(group.allowAnonymousSender).toBe(false);
    }
  });
});
