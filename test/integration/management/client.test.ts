/**
 * The management client against a router started from the example's generated config — the
 * emulator, or real qdrouterd 1.19 / skupper-router 3.5 with MESH_TARGET={"engine": …}. The
 * principal logs in with PLAIN as a deployment's config-sync does; requests are counted on
 * the wire by a tap in front of the router.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ManagementAccessError,
  ManagementBadRequestError,
  ManagementNoReplyError,
  ManagementNotFoundError,
  ManagementNotImplementedError,
  type ManagementSession,
  ManagementUnreachableError,
  openManagement,
} from "../../../shared/management/index.ts";
import { engine, NEEDS_OWN_ROUTERS } from "../../conformance/target.ts";
import {
  copyProject,
  type GeneratedRouters,
  type ProjectCopy,
  startGeneratedRouters,
} from "../../support/generated-routers.ts";
import { type ManagementTap, startManagementTap } from "../../support/management-tap.ts";

const ROUTER = "aws-eu-interior-1";
const users = new Map([
  ["config-sync", "sync-secret"],
  ["sales-api", "sales-secret"],
]);
const syncLogin = { mechanism: "PLAIN" as const, username: "config-sync", password: "sync-secret" };

let project: ProjectCopy;
let routers: GeneratedRouters;
let tap: ManagementTap;
let session: ManagementSession;

describe.skipIf(engine === undefined)(`management client — ${NEEDS_OWN_ROUTERS}`, () => {
  beforeAll(async () => {
    project = await copyProject("examples");
    routers = await startGeneratedRouters(project.dir, {
      engine: engine ?? "emulator",
      users,
      managementPrincipals: ["config-sync"],
      only: [ROUTER],
    });
    tap = await startManagementTap(routers.url(ROUTER));
    session = await openManagement({ url: tap.url, sasl: syncLogin }, { timeoutMs: 5_000 });
  });
  afterAll(async () => {
    await session?.close();
    await tap?.close();
    await routers?.stop();
    await project?.cleanup();
  });

  it("finds the router's flavour with GET-TYPES", () => {
    expect(session.flavour).toBe(routers.flavour);
  });

  it("CREATE 201, READ, QUERY, DELETE, then READ is a 404 with the router's description", async () => {
    const m = session.management;
    const name = "amqp-mesh/address/test/crud";
    const created = await m.create("address", name, {
      prefix: "test/crud",
      distribution: "closest",
    });
    expect(created.attributes).toMatchObject({
      name,
      prefix: "test/crud",
      distribution: "closest",
    });
    const read = await m.read("address", { name });
    expect(read.identity).toBe(created.identity);
    expect((await m.query("address")).map((e) => e.name)).toContain(name);
    await m.delete("address", { name });
    const missing = await m.read("address", { name }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ManagementNotFoundError);
    expect((missing as ManagementNotFoundError).statusCode).toBe(404);
    expect((missing as ManagementNotFoundError).message).toContain(name);
  });

  it("QUERY pages: at most the page size a request, every row once", async () => {
    const m = session.management;
    const before = (await m.query("address")).length;
    const names = Array.from(
      { length: 230 },
      (_, i) => `amqp-mesh/address/test/page-${String(i).padStart(3, "0")}`,
    );
    for (const name of names)
      await m.create("address", name, {
        prefix: name.slice("amqp-mesh/address/".length),
        distribution: "balanced",
      });
    tap.reset();
    const all = await m.query("address", { pageSize: 100 });
    const queries = tap.operations("QUERY");
    // ceil((before + 230) / 100) pages, one more when the last one is exactly full.
    const total = before + names.length;
    expect(queries).toHaveLength(Math.floor(total / 100) + 1);
    expect(all).toHaveLength(total);
    expect(new Set(all.map((e) => e.identity)).size).toBe(total);
    await expect(m.query("address", { pageSize: 501 })).rejects.toThrow(RangeError);
    for (const name of names) await m.delete("address", { name });
  });

  it("the Python agent's types answer every row at once: no duplicates, one request", async () => {
    tap.reset();
    const vhosts = await session.management.query("vhost", { pageSize: 1 });
    expect(vhosts.map((v) => v.name).sort()).toEqual([
      "amqp-mesh/vhost/$default",
      "amqp-mesh/vhost/amqp-mesh-routers",
    ]);
    expect(tap.operations("QUERY")).toHaveLength(1);
    // A full page asks for the next; the agent sends every row again, which ends the walk.
    tap.reset();
    expect(await session.management.query("vhost", { pageSize: 2 })).toHaveLength(2);
    expect(tap.operations("QUERY")).toHaveLength(2);
  });

  it("UPDATE of a vhost answers; an sslProfile UPDATE only on skupper-router (qdrouterd: 501)", async () => {
    const m = session.management;
    const vhost = await m.update(
      "vhost",
      { name: "amqp-mesh/vhost/amqp-mesh-routers" },
      { maxConnections: 1000 },
    );
    expect(vhost.attributes.maxConnections).toBe(1000);
    const profile = m.update(
      "sslProfile",
      { name: "amqp-mesh/tls/mesh-mtls" },
      { ciphers: "HIGH" },
    );
    if (session.flavour === "qpid-dispatch") {
      const error = await profile.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ManagementNotImplementedError);
      expect((error as ManagementNotImplementedError).statusDescription).toMatch(/not implemented/);
    } else {
      expect((await profile).attributes.ciphers).toBe("HIGH");
    }
  });

  it("an unknown attribute is a 400 naming it", async () => {
    const error = await session.management
      .create("vhost", "amqp-mesh/vhost/bogus", { hostname: "bogus", bogus: 1 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ManagementBadRequestError);
    expect((error as ManagementBadRequestError).statusDescription).toMatch(
      /Unknown attribute 'bogus'/,
    );
  });

  it("requests real routers never answer end in a timeout that says so", async () => {
    const quick = await openManagement(
      { url: routers.url(ROUTER), sasl: syncLogin },
      { timeoutMs: 1_500 },
    );
    try {
      const update = await quick.management
        .update("address", { name: "amqp-mesh/address/sales/orders" }, { distribution: "closest" })
        .catch((e: unknown) => e);
      expect(update).toBeInstanceOf(ManagementNoReplyError);
      expect((update as ManagementNoReplyError).neverAnswered).toBe(true);
      expect((update as Error).message).toMatch(/never answer.*DELETE the entity and CREATE it/);
      const create = await quick.management.create("connection", "x", {}).catch((e: unknown) => e);
      expect(create).toBeInstanceOf(ManagementNoReplyError);
      expect((create as ManagementNoReplyError).neverAnswered).toBe(true);
    } finally {
      await quick.close();
    }
  });

  it("GET-MGMT-NODES names the router's own management node", async () => {
    expect(await session.management.getMgmtNodes()).toContain(
      `amqp:/_topo/0/${ROUTER}/$management`,
    );
  });

  it("a principal the policy does not let manage is refused, with the fix", async () => {
    const error = await openManagement(
      {
        url: routers.url(ROUTER),
        sasl: { mechanism: "PLAIN", username: "sales-api", password: "sales-secret" },
      },
      { timeoutMs: 3_000 },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ManagementAccessError);
    expect((error as Error).message).toMatch(/managementPrincipals/);
    expect((error as Error).message).not.toContain("sales-secret");
  });

  it("a wrong password and a closed port are unreachable routers, without the password", async () => {
    const wrong = await openManagement(
      { url: routers.url(ROUTER), sasl: { ...syncLogin, password: "not-the-password" } },
      { timeoutMs: 3_000, connectTimeoutMs: 3_000 },
    ).catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(ManagementUnreachableError);
    expect((wrong as Error).message).not.toContain("not-the-password");
    const closed = await openManagement(
      { url: "amqp://127.0.0.1:1", sasl: syncLogin },
      { connectTimeoutMs: 1_000 },
    ).catch((e: unknown) => e);
    expect(closed).toBeInstanceOf(ManagementUnreachableError);
  });
});
