/**
 * The catalog's AsyncAPI documents, as a reader checks them: each one passes the official
 * parser, holds every channel of its team with its schema, its producers and consumers as
 * send/receive operations, and the topology's edge routers as servers.
 */
import { describe, expect, it } from "vitest";
import { catalogFiles } from "../../../shared/catalog/index.ts";
import { EXAMPLES_DIR, loadProject, parseAsyncApi, withoutParserKeys } from "./helpers.ts";

const project = await loadProject(EXAMPLES_DIR);
const files = catalogFiles(project.registry, project.topology);
const documentOf = (team: string) => files.get(`${team}.asyncapi.yaml`)!;

// The AsyncAPI parser takes about a second per document, many more on a loaded machine.
describe("AsyncAPI documents of the example", { timeout: 120_000 }, () => {
  it("one document per team, each without an error from @asyncapi/parser", async () => {
    expect([...files.keys()].filter((n) => n.endsWith(".asyncapi.yaml")).sort()).toEqual(
      project.registry.teams.map((t) => `${t.team}.asyncapi.yaml`).sort(),
    );
    for (const team of project.registry.teams) {
      const { document, errors } = await parseAsyncApi(documentOf(team.team));
      expect(errors, team.team).toEqual([]);
      expect(document?.version()).toBe("3.0.0");
    }
  });

  it("the parser's check can fail: a broken payload schema is an error", async () => {
    const registry = {
      ...project.registry,
      channels: project.registry.channels.map((c) =>
        c.address === "sales/orders" ? { ...c, payloadSchema: { type: 5 } } : c,
      ),
    };
    const broken = catalogFiles(registry, project.topology).get("sales.asyncapi.yaml")!;
    const { errors } = await parseAsyncApi(broken);
    expect(errors.join("\n")).toMatch(/channels\/sales\.orders\/messages\/payload\/payload/);
  });

  it("every channel of the team is there, with its address, schema and size limit", async () => {
    for (const team of project.registry.teams) {
      const { document } = await parseAsyncApi(documentOf(team.team));
      const owned = project.registry.channels.filter((c) => c.owner === team.team);
      const channels = document!.channels().all();
      expect(channels.map((c) => c.address()).sort()).toEqual(owned.map((c) => c.address).sort());
      for (const registered of owned) {
        const channel = channels.find((c) => c.address() === registered.address)!;
        const [message] = channel.messages().all();
        expect(message, registered.address).toBeDefined();
        if (registered.payloadSchema === undefined) expect(message!.hasPayload()).toBe(false);
        else
          expect(withoutParserKeys(message!.payload()!.json())).toEqual(registered.payloadSchema);
        expect(message!.bindings().get("amqp1")?.value()).toEqual({
          "x-amqp-mesh-max-message-size": registered.maxMessageSize,
        });
        const binding = channel.bindings().get("amqp1")!.value() as Record<string, unknown>;
        expect(binding["x-amqp-mesh-distribution"]).toBe(registered.distribution);
        expect(binding["x-amqp-mesh-delivery"]).toBe(registered.delivery);
      }
    }
  });

  it("producers are send operations and consumers receive operations, on their channel", async () => {
    for (const team of project.registry.teams) {
      const { document } = await parseAsyncApi(documentOf(team.team));
      const seen = document!
        .operations()
        .all()
        .map((op) => ({
          action: op.action(),
          address: op.channels().all()[0]?.address(),
          party:
            (op.extensions().get("x-amqp-mesh-party")?.value() as { name?: string } | undefined)
              ?.name ?? "",
        }));
      const expected = project.registry.channels
        .filter((c) => c.owner === team.team)
        .flatMap((c) => [
          ...c.producers.map((party) => ({ action: "send", address: c.address, party })),
          ...c.consumers.map((party) => ({ action: "receive", address: c.address, party })),
        ]);
      const order = (a: { action: string; address?: string | null; party: string }) =>
        `${a.action} ${a.address} ${a.party}`;
      expect(seen.map(order).sort()).toEqual(expected.map(order).sort());
    }
  });

  it("servers are the topology's edge routers, with their client listener's login", async () => {
    const { document } = await parseAsyncApi(documentOf("sales"));
    const servers = document!.servers().all();
    const edges = project.topology.routers.filter((r) => r.mode === "edge");
    expect(servers.map((s) => s.id()).sort()).toEqual(edges.map((r) => r.id).sort());
    for (const edge of edges) {
      const server = servers.find((s) => s.id() === edge.id)!;
      expect(server.host()).toBe(`${edge.host}:${edge.listeners.clients.port}`);
      expect(server.protocol()).toBe("amqp");
      expect(server.protocolVersion()).toBe("1.0");
      // The example's client listeners take SASL PLAIN on loopback, without TLS.
      const schemes = server.security().flatMap((s) => s.all().map((r) => r.scheme().type()));
      expect(schemes).toEqual(["plain"]);
    }
  });

  it("the dead-letter relation is on both channels", async () => {
    const { document } = await parseAsyncApi(documentOf("sales"));
    const channel = (address: string) =>
      document!
        .channels()
        .all()
        .find((c) => c.address() === address)!;
    expect(channel("sales/orders").extensions().get("x-amqp-mesh-dead-letter")?.value()).toBe(
      "sales/orders.dead",
    );
    expect(
      channel("sales/orders.dead").extensions().get("x-amqp-mesh-dead-letter-of")?.value(),
    ).toEqual(["sales/orders"]);
  });
});
