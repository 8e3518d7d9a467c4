/**
 * The `$management` node: AMQP management requests as qdrouterd 1.19 answers them.
 * Assumptions, looked up in apache/qpid-dispatch (python/qpid_dispatch_internal/management/
 * agent.py, schema.py, python/qpid_dispatch/management/qdrouter.json,
 * tests/system_tests_management.py):
 * - types are fully qualified; a short name (`address`) is 400 "No such entity type";
 * - CREATE 201, READ/QUERY/UPDATE 200, DELETE 204, unknown name 404, bad value 400;
 * - UPDATE is allowed on sslProfile and vhost only (others 400, "not allowed");
 * - listener `port` comes back as a string; autoLink `phase` defaults to 0 (out) / 1 (in);
 * - config-file entities are named `<type>/<n>` (e.g. `address/0`);
 * - runtime-created entities are lost when the router restarts.
 */
import { createServer } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { typePrefix } from "../../shared/router-config/model.ts";
import { closeAllClients, connectClient, type TestClient } from "../support/amqp-client.ts";
import { startTestMesh } from "../support/local-mesh.ts";
import { waitFor } from "../support/wait.ts";
import {
  closeTarget,
  NEEDS_EMULATOR,
  onEmulator,
  openTarget,
  routerUrl,
  type Target,
  uniqueAddress,
} from "./target.ts";

let target: Target;
let client: TestClient;
let prefix: string;

beforeAll(async () => {
  target = await openTarget();
  prefix = `${typePrefix(target.flavour)}.`;
});
afterAll(closeTarget);
afterEach(closeAllClients);

const unique = (label: string): string => `conformance/${label}-${process.pid}-${Date.now()}`;

async function mgmt(
  properties: Record<string, unknown>,
  body: unknown = {},
): Promise<{ statusCode: number; statusDescription: string; body: Record<string, unknown> }> {
  client ??= await connectClient(routerUrl(target));
  if (!client.isOpen) client = await connectClient(routerUrl(target));
  const reply = await client.management(properties, body);
  return { ...reply, body: (reply.body ?? {}) as Record<string, unknown> };
}

afterEach(() => {
  // closeAllClients closed it; the next test connects again.
  client = undefined as unknown as TestClient;
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("entity types and status codes", () => {
  it("answers 400 'No such entity type' to a short type name", async () => {
    const reply = await mgmt(
      { operation: "CREATE", type: "address", name: unique("short") },
      {
        prefix: "x",
      },
    );
    expect(reply.statusCode).toBe(400);
    expect(reply.statusDescription).toMatch(/No such entity type/);
  });

  it("CREATE 201, READ by name and identity 200, QUERY lists it, DELETE 204, then READ 404", async () => {
    const type = `${prefix}router.config.address`;
    const name = unique("addr");
    const created = await mgmt(
      { operation: "CREATE", type, name },
      { prefix: `mgmt.${name}`, distribution: "closest" },
    );
    expect(created.statusCode).toBe(201);
    expect(created.body).toMatchObject({
      name,
      prefix: `mgmt.${name}`,
      distribution: "closest",
      type,
    });
    const identity = created.body.identity;
    expect(typeof identity).toBe("string");

    const byName = await mgmt({ operation: "READ", type, name });
    expect(byName.statusCode).toBe(200);
    expect(byName.body.prefix).toBe(`mgmt.${name}`);
    const byIdentity = await mgmt({ operation: "READ", type, identity });
    expect(byIdentity.statusCode).toBe(200);
    expect(byIdentity.body.name).toBe(name);

    const query = await mgmt(
      { operation: "QUERY", type: "org.amqp.management", entityType: type },
      { attributeNames: ["name", "prefix", "distribution"] },
    );
    expect(query.statusCode).toBe(200);
    expect(query.body.attributeNames).toEqual(["name", "prefix", "distribution"]);
    expect(query.body.results).toContainEqual([name, `mgmt.${name}`, "closest"]);

    expect((await mgmt({ operation: "DELETE", type, name })).statusCode).toBe(204);
    const gone = await mgmt({ operation: "READ", type, name });
    expect(gone.statusCode).toBe(404);
  });

  it("answers 400 when a name exists under another type (agent.py find_entity)", async () => {
    const type = `${prefix}router.config.address`;
    const name = unique("typed");
    await mgmt({ operation: "CREATE", type, name }, { prefix: `typed.${name}` });
    const wrong = await mgmt({ operation: "READ", type: `${prefix}vhost`, name });
    expect(wrong.statusCode).toBe(400);
    await mgmt({ operation: "DELETE", type, name });
  });

  it("answers 404 for an unknown name", async () => {
    const reply = await mgmt({
      operation: "READ",
      type: `${prefix}router.config.address`,
      name: unique("missing"),
    });
    expect(reply.statusCode).toBe(404);
  });

  it("answers 400 with a description for a bad attribute value (distribution)", async () => {
    const reply = await mgmt(
      { operation: "CREATE", type: `${prefix}router.config.address`, name: unique("bad") },
      { prefix: "bad", distribution: "flood" },
    );
    expect(reply.statusCode).toBe(400);
    expect(reply.statusDescription).toMatch(/distribution/);
  });

  it("QUERY honours offset and count", async () => {
    const type = `${prefix}router.config.address`;
    const names = [unique("q1"), unique("q2"), unique("q3")];
    for (const [i, name] of names.entries()) {
      expect(
        (await mgmt({ operation: "CREATE", type, name }, { prefix: `q${i}.${name}` })).statusCode,
      ).toBe(201);
    }
    try {
      const all = await mgmt(
        { operation: "QUERY", type: "org.amqp.management", entityType: type },
        { attributeNames: ["name"] },
      );
      const total = (all.body.results as unknown[]).length;
      expect(total).toBeGreaterThanOrEqual(3);
      const page = await mgmt(
        { operation: "QUERY", type: "org.amqp.management", entityType: type, offset: 1, count: 2 },
        { attributeNames: ["name"] },
      );
      expect(page.body.results).toEqual((all.body.results as unknown[]).slice(1, 3));
    } finally {
      for (const name of names) await mgmt({ operation: "DELETE", type, name });
    }
  });

  it("allows UPDATE on vhost and sslProfile only", async () => {
    const addressType = `${prefix}router.config.address`;
    const name = unique("noupdate");
    await mgmt({ operation: "CREATE", type: addressType, name }, { prefix: `u.${name}` });
    const refused = await mgmt(
      { operation: "UPDATE", type: addressType, name },
      { distribution: "multicast" },
    );
    expect(refused.statusCode).toBeGreaterThanOrEqual(400);
    expect(refused.statusCode).toBeLessThan(500);
    await mgmt({ operation: "DELETE", type: addressType, name });

    const vhostType = `${prefix}vhost`;
    const vhost = unique("vhost");
    const created = await mgmt(
      { operation: "CREATE", type: vhostType, name: vhost },
      { hostname: `host-${vhost}`, maxConnections: 10, groups: {} },
    );
    expect(created.statusCode).toBe(201);
    const updated = await mgmt(
      { operation: "UPDATE", type: vhostType, name: vhost },
      { maxConnections: 20 },
    );
    expect(updated.statusCode).toBe(200);
    expect(updated.body.maxConnections).toBe(20);
    expect((await mgmt({ operation: "DELETE", type: vhostType, name: vhost })).statusCode).toBe(
      204,
    );

    const sslType = `${prefix}sslProfile`;
    const ssl = unique("ssl");
    expect(
      (await mgmt({ operation: "CREATE", type: sslType, name: ssl }, { ciphers: "HIGH" }))
        .statusCode,
    ).toBe(201);
    const sslUpdated = await mgmt(
      { operation: "UPDATE", type: sslType, name: ssl },
      { ciphers: "ECDHE" },
    );
    expect(sslUpdated.statusCode).toBe(200);
    expect((await mgmt({ operation: "DELETE", type: sslType, name: ssl })).statusCode).toBe(204);
  });
});

describe("configuration entities", () => {
  it("creates a listener that accepts connections and returns its port as a string", async () => {
    const port = await freePort();
    const type = `${prefix}listener`;
    const name = unique("listener");
    const created = await mgmt(
      { operation: "CREATE", type, name },
      { host: "127.0.0.1", port, role: "normal", saslMechanisms: "ANONYMOUS" },
    );
    expect(created.statusCode).toBe(201);
    expect(created.body.port).toBe(String(port));
    const read = await mgmt({ operation: "READ", type, name });
    expect(read.body.port).toBe(String(port));
    const host = new URL(routerUrl(target)).hostname;
    const second = await connectClient(`amqp://${host}:${port}`);
    expect(second.isOpen).toBe(true);
    expect((await mgmt({ operation: "DELETE", type, name })).statusCode).toBe(204);
    // Assumed from qdrouterd: deleting a listener stops new connections, not open ones.
    const address = uniqueAddress("plain", "after-delete");
    const receiver = await second.receiver(address);
    const sender = await second.sender(address);
    await sender.waitForCredit();
    expect((await sender.sendAndWait({ body: "still" })).outcome).toBe("accepted");
    expect((await receiver.next()).message.body).toBe("still");
    await expect(connectClient(`amqp://${host}:${port}`, { timeout: 2_000 })).rejects.toThrow();
    await second.close();
  });

  it("creates a connector (CREATE/READ/DELETE) even when its peer is not there", async () => {
    const type = `${prefix}connector`;
    const name = unique("connector");
    const port = await freePort();
    const created = await mgmt(
      { operation: "CREATE", type, name },
      { host: "127.0.0.1", port, role: "route-container" },
    );
    expect(created.statusCode).toBe(201);
    expect(created.body.port).toBe(String(port));
    expect((await mgmt({ operation: "READ", type, name })).statusCode).toBe(200);
    expect((await mgmt({ operation: "DELETE", type, name })).statusCode).toBe(204);
  });

  it("defaults an autoLink's phase to 0 for out and 1 for in", async () => {
    const type = `${prefix}router.config.autoLink`;
    const out = unique("auto-out");
    const into = unique("auto-in");
    const a = await mgmt(
      { operation: "CREATE", type, name: out },
      { address: `auto.${out}`, direction: "out", connection: "no-such-connector" },
    );
    const b = await mgmt(
      { operation: "CREATE", type, name: into },
      { address: `auto.${into}`, direction: "in", connection: "no-such-connector" },
    );
    expect(a.statusCode).toBe(201);
    expect(b.statusCode).toBe(201);
    expect(a.body.phase).toBe(0);
    expect(b.body.phase).toBe(1);
    await mgmt({ operation: "DELETE", type, name: out });
    await mgmt({ operation: "DELETE", type, name: into });
  });

  it("creates linkRoutes on qpid-dispatch; skupper-router has no such type", async () => {
    const type = `${prefix}router.config.linkRoute`;
    const name = unique("lr");
    const reply = await mgmt(
      { operation: "CREATE", type, name },
      { prefix: `lr.${name}`, direction: "in", connection: "no-such-connector" },
    );
    if (target.flavour === "skupper-router") {
      expect(reply.statusCode).toBe(400);
    } else {
      expect(reply.statusCode).toBe(201);
      expect((await mgmt({ operation: "DELETE", type, name })).statusCode).toBe(204);
    }
  });

  it("rejects an attribute the type does not have with 400", async () => {
    const reply = await mgmt(
      { operation: "CREATE", type: `${prefix}router.config.address`, name: unique("attr") },
      { prefix: "p", noSuchAttribute: 1 },
    );
    expect(reply.statusCode).toBe(400);
  });

  it.skipIf(!onEmulator)(
    `names config-file entities <type>/<n> (emulator target's config known) — ${NEEDS_EMULATOR}`,
    async () => {
      const query = await mgmt(
        {
          operation: "QUERY",
          type: "org.amqp.management",
          entityType: `${prefix}router.config.address`,
        },
        { attributeNames: ["name", "prefix"] },
      );
      const rows = query.body.results as Array<[string, string]>;
      expect(rows).toContainEqual(["address/0", "closest"]);
      expect(rows).toContainEqual(["address/1", "multicast"]);
      expect(rows).toContainEqual(["address/2", "balanced"]);
    },
  );
});

describe("runtime entities", () => {
  it("answers QUERY for router, connection, router.link, router.address and router.node", async () => {
    const address = uniqueAddress("plain", "runtime");
    client = await connectClient(routerUrl(target));
    await client.receiver(address);
    for (const t of ["router", "connection", "router.link", "router.address", "router.node"]) {
      const reply = await client.management(
        { operation: "QUERY", type: "org.amqp.management", entityType: `${prefix}${t}` },
        { attributeNames: [] },
      );
      expect(reply.statusCode, t).toBe(200);
      const body = reply.body as { attributeNames: string[]; results: unknown[][] };
      expect(Array.isArray(body.attributeNames), t).toBe(true);
      expect(body.results.length, t).toBeGreaterThan(0);
    }
    const router = await client.management(
      { operation: "QUERY", type: "org.amqp.management", entityType: `${prefix}router` },
      { attributeNames: ["id", "mode"] },
    );
    expect((router.body as { results: unknown[][] }).results[0]).toEqual([
      target.routers[0]!.id,
      target.routers[0]!.mode,
    ]);
    const links = await client.management(
      { operation: "QUERY", type: "org.amqp.management", entityType: `${prefix}router.link` },
      { attributeNames: ["linkDir", "owningAddr"] },
    );
    const rows = (links.body as { results: Array<[string, string]> }).results;
    expect(rows.some(([dir, owner]) => dir === "out" && String(owner).endsWith(address))).toBe(
      true,
    );
  });

  it("answers GET-MGMT-NODES with the management address of each router", async () => {
    const reply = await mgmt({ operation: "GET-MGMT-NODES", type: "org.amqp.management" });
    expect(reply.statusCode).toBe(200);
    const nodes = reply.body as unknown as string[];
    expect(nodes.some((n) => n.endsWith(`/${target.routers[0]!.id}/$management`))).toBe(true);
  });

  it.skipIf(!onEmulator)(
    `loses runtime-created entities on restart — ${NEEDS_EMULATOR}`,
    async () => {
      const type = `${prefix}router.config.address`;
      const name = unique("ephemeral");
      expect(
        (await mgmt({ operation: "CREATE", type, name }, { prefix: `gone.${name}` })).statusCode,
      ).toBe(201);
      await client.close();
      const handle = target.mesh!.router(target.routers[0]!.id);
      await handle.stop();
      await handle.start();
      client = await connectClient(handle.url);
      expect((await mgmt({ operation: "READ", type, name })).statusCode).toBe(404);
      // Config-file entities come back.
      expect((await mgmt({ operation: "READ", type, name: "address/0" })).statusCode).toBe(200);
    },
  );
});

describe.skipIf(!onEmulator)(`skupper-router flavour — ${NEEDS_EMULATOR}`, () => {
  it("uses the io.skupper.router prefix and has no linkRoute type", async () => {
    const mesh = await startTestMesh({ flavour: "skupper-router", routers: [{ id: "s" }] });
    try {
      const c = await connectClient(mesh.router("s").url);
      const ok = await c.management(
        { operation: "QUERY", type: "org.amqp.management", entityType: "io.skupper.router.router" },
        { attributeNames: ["id"] },
      );
      expect(ok.statusCode).toBe(200);
      const qpid = await c.management(
        {
          operation: "QUERY",
          type: "org.amqp.management",
          entityType: "org.apache.qpid.dispatch.router",
        },
        { attributeNames: ["id"] },
      );
      expect(qpid.statusCode).toBe(400);
      const lr = await c.management(
        { operation: "CREATE", type: "io.skupper.router.router.config.linkRoute", name: "x" },
        { prefix: "x", direction: "in", connection: "c" },
      );
      expect(lr.statusCode).toBe(400);
      await waitFor(() => c.isOpen);
    } finally {
      await mesh.stop();
    }
  });
});
