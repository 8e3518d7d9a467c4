/**
 * The mesh view from router samples as the routers answer (shapes of qdrouterd 1.19 rows):
 * channels by longest prefix, clients' links only, an interior's counters not added again
 * for its edge routers' clients, rates that never go negative, links by router.node.
 */
import { describe, expect, it } from "vitest";
import {
  buildMeshView,
  channelOf,
  mobileAddress,
  RateMeter,
  type RouterSample,
  type RouterStatus,
} from "../../../shared/observe/index.ts";
import { loadExampleRegistry, loadExampleTopology } from "../router-config/example-project.ts";

const project = { registry: loadExampleRegistry(), topology: loadExampleTopology() };

function sample(
  routerId: string,
  mode: "interior" | "edge",
  at: number,
  extra: Partial<RouterSample> = {},
): RouterSample {
  return {
    routerId,
    mode,
    flavour: "qpid-dispatch",
    version: "1.19.0",
    uptimeSeconds: 10,
    seenAt: at,
    nodes: [],
    connections: [],
    links: [],
    addresses: [],
    denials: undefined,
    ...extra,
  };
}

function up(s: RouterSample): RouterStatus {
  return {
    id: s.routerId,
    url: `amqp://${s.routerId}`,
    state: "up",
    error: undefined,
    sample: s,
    lastSeenAt: s.seenAt,
    drift: undefined,
  };
}

describe("mesh view", () => {
  it("reads mobile addresses of both flavours and matches channels by longest whole-segment prefix", () => {
    expect(mobileAddress("M0sales/orders", "qpid-dispatch")).toBe("sales/orders");
    expect(mobileAddress("Msales/orders", "skupper-router")).toBe("sales/orders");
    expect(mobileAddress("L$management", "qpid-dispatch")).toBeUndefined();
    const channels = project.registry.channels;
    expect(channelOf("sales/orders.dead", channels)).toBe("sales/orders.dead");
    expect(channelOf("sales/orders/eu", channels)).toBe("sales/orders");
    expect(channelOf("sales/ordersx", channels)).toBeUndefined();
  });

  it("counts clients' links per router, and an interior with edges attached only for its own clients", () => {
    const edge = sample("aws-eu-edge-1", "edge", 1000, {
      connections: [
        {
          identity: "1",
          role: "normal",
          dir: "in",
          container: "app",
          user: "sales-api",
          host: "h",
        },
        {
          identity: "2",
          role: "edge",
          dir: "out",
          container: "aws-eu-interior-1",
          user: undefined,
          host: "h",
        },
      ],
      links: [
        {
          identity: "a",
          dir: "in",
          connectionId: "1",
          address: "sales/orders",
          deliveries: 1000,
          released: 1,
          rejected: 2,
          modified: 3,
        },
        {
          identity: "b",
          dir: "out",
          connectionId: "2",
          address: "sales/orders",
          deliveries: 1000,
          released: 0,
          rejected: 0,
          modified: 0,
        },
      ],
      addresses: [
        { address: "sales/orders", subscribers: 0, remotes: 1, ingress: 1000, egress: 0 },
      ],
    });
    // The interior counts the edge's 1,000 again as its ingress: not added.
    const interior = sample("aws-eu-interior-1", "interior", 1000, {
      connections: [
        {
          identity: "7",
          role: "edge",
          dir: "in",
          container: "aws-eu-edge-1",
          user: undefined,
          host: "h",
        },
      ],
      links: [
        {
          identity: "c",
          dir: "in",
          connectionId: "7",
          address: "sales/orders",
          deliveries: 1000,
          released: 0,
          rejected: 0,
          modified: 0,
        },
      ],
      addresses: [
        { address: "sales/orders", subscribers: 0, remotes: 1, ingress: 1000, egress: 0 },
      ],
    });
    const view = buildMeshView(project, [up(edge), up(interior)], new RateMeter());
    const orders = view.channels.find((c) => c.address === "sales/orders")!;
    expect(orders).toMatchObject({
      owner: "sales",
      producers: 1,
      consumers: 0,
      messagesIn: 1000,
      released: 1,
      rejected: 2,
      modified: 3,
    });
    expect(orders.perRouter).toEqual([{ router: "aws-eu-edge-1", consumers: 0, producers: 1 }]);
  });

  it("gives rates per second between readings, the same for a reading seen twice, never negative after a restart", () => {
    const meter = new RateMeter();
    expect(meter.rate("k", 1000, { in: 100, out: 0 })).toEqual({ in: 0, out: 0 });
    expect(meter.rate("k", 3000, { in: 1100, out: 50 })).toEqual({ in: 500, out: 25 });
    expect(meter.rate("k", 3000, { in: 1100, out: 50 })).toEqual({ in: 500, out: 25 });
    expect(meter.rate("k", 4000, { in: 20, out: 0 })).toEqual({ in: 20, out: 0 });
  });

  it("shows an inter-router link up when an end lists the other as neighbour, down when either end is down", () => {
    const a = sample("aws-eu-interior-1", "interior", 1, {
      nodes: [{ id: "aws-eu-interior-2", cost: 1, neighbour: true }],
    });
    const b = sample("aws-eu-interior-2", "interior", 1);
    const link = (statuses: RouterStatus[]) =>
      buildMeshView(project, statuses, new RateMeter()).links.find(
        (l) => l.from === "aws-eu-interior-2" && l.to === "aws-eu-interior-1",
      );
    expect(link([up(a), up(b)])).toMatchObject({ cost: 1, state: "up" });
    expect(link([up(a), { ...up(b), state: "down", error: "gone" }])).toMatchObject({
      state: "down",
    });
    expect(link([up(sample("aws-eu-interior-1", "interior", 1)), up(b)])).toMatchObject({
      state: "down",
    });
  });
});
