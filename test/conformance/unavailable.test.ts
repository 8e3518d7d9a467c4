/**
 * The `unavailable` distribution: an address configured `unavailable` (or every unconfigured
 * address, under the router's `defaultDistribution: unavailable`) has no node behind it.
 *
 * As read in apache/qpid-dispatch 1.19 (not run here):
 * - src/router_core/modules/address_lookup_client/lookup_client.c,
 *   `qdr_link_react_to_first_attach_CT`: an attach (either direction) to such an address is
 *   detached with `amqp:not-found` "Node not found". Link routes are looked up first.
 * - src/router_core/transfer.c, `qdr_link_forward_CT`: an anonymous sender's message whose
 *   `to` is such an address is rejected with `amqp:not-found` "Deliveries cannot be sent to
 *   an unavailable address"; the link stays.
 * - Router-class addresses (`_topo/…`, `_local/…`, dynamic reply-to addresses,
 *   `$management`) are not mobile addresses and stay reachable (treatments are looked up for
 *   mobile addresses only).
 *
 * The configured-address checks create the address over management, so they run on any
 * target; the `defaultDistribution` check needs a router config: emulator only.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { typePrefix } from "../../shared/router-config/index.ts";
import { closeAllClients, connectClient, type TestClient } from "../support/amqp-client.ts";
import {
  closeTarget,
  NEEDS_OWN_ROUTERS,
  openTarget,
  routerUrl,
  startOwnRouters,
  startsRouters,
  type Target,
  targetFlavour,
  uniqueAddress,
} from "./target.ts";

const NOT_FOUND = { condition: "amqp:not-found", description: "Node not found" };
const REJECTED = {
  outcome: "rejected",
  error: {
    condition: "amqp:not-found",
    description: "Deliveries cannot be sent to an unavailable address",
  },
};

let target: Target;
beforeAll(async () => {
  target = await openTarget();
});
afterAll(closeTarget);
afterEach(closeAllClients);

describe("an address configured `unavailable`", () => {
  let admin: TestClient;
  let name: string;
  let prefix: string;

  beforeAll(async () => {
    admin = await connectClient(routerUrl(target), { untracked: true });
    name = `unavailable-${process.pid}-${Date.now().toString(36)}`;
    prefix = uniqueAddress("unavail", "x");
    const created = await admin.management(
      {
        operation: "CREATE",
        type: `${typePrefix(target.flavour)}.router.config.address`,
        name,
      },
      { prefix, distribution: "unavailable" },
    );
    expect(created.statusCode).toBe(201);
  });
  afterAll(async () => {
    await admin.management({
      operation: "DELETE",
      type: `${typePrefix(target.flavour)}.router.config.address`,
      name,
    });
    await admin.close();
  });

  it("refuses a receiver's attach with amqp:not-found", async () => {
    const client = await connectClient(routerUrl(target));
    const receiver = await client.receiver(`${prefix}/orders`);
    expect(await receiver.detached).toMatchObject(NOT_FOUND);
  });

  it("refuses a sender's attach with amqp:not-found", async () => {
    const client = await connectClient(routerUrl(target));
    const sender = await client.sender(prefix);
    expect(await sender.detached).toMatchObject(NOT_FOUND);
  });

  it("rejects an anonymous sender's message to it, and the sender carries on", async () => {
    const client = await connectClient(routerUrl(target));
    const elsewhere = uniqueAddress("plain", "after-unavailable");
    const receiver = await client.receiver(elsewhere);
    const sender = await client.sender(null);
    await sender.waitForCredit();
    expect(await sender.sendAndWait({ to: `${prefix}.x`, body: "nowhere" })).toEqual(REJECTED);
    expect(await sender.sendAndWait({ to: elsewhere, body: "somewhere" })).toEqual({
      outcome: "accepted",
    });
    expect((await receiver.next()).message.body).toBe("somewhere");
  });

  it("leaves addresses beside it and dynamic reply-to addresses alone", async () => {
    const client = await connectClient(routerUrl(target));
    const beside = await client.receiver(`${prefix}X`);
    expect(beside.isDetached).toBe(false);
    const replies = await client.receiver({ dynamic: true });
    expect(replies.isDetached).toBe(false);
    // A reply-to address takes messages even from an anonymous sender.
    const sender = await client.sender(null);
    await sender.waitForCredit();
    const to = replies.remoteAddress;
    expect(to).toBeDefined();
    expect(await sender.sendAndWait({ to, body: "reply" })).toEqual({ outcome: "accepted" });
  });
});

describe.skipIf(!startsRouters)(`defaultDistribution unavailable — ${NEEDS_OWN_ROUTERS}`, () => {
  afterAll(closeTarget);

  it("refuses unconfigured addresses, serves configured ones, management and reply-to", async () => {
    const mesh = await startOwnRouters({
      routers: [{ id: "u" }],
      router: { defaultDistribution: "unavailable" },
      entities: {
        u: [{ type: "address", attributes: { prefix: "known", distribution: "balanced" } }],
      },
    });
    const client = await connectClient(mesh.router("u").url);
    expect(await (await client.receiver("unknown/q")).detached).toMatchObject(NOT_FOUND);
    const known = await client.receiver("known/q");
    const sender = await client.sender("known/q");
    await sender.waitForCredit();
    expect(await sender.sendAndWait("ok")).toEqual({ outcome: "accepted" });
    expect((await known.next()).message.body).toBe("ok");
    const anonymous = await client.sender(null);
    await anonymous.waitForCredit();
    expect(await anonymous.sendAndWait({ to: "unknown/q", body: "x" })).toEqual(REJECTED);
    // Management answers over a dynamic reply-to address: both are router-class addresses.
    const reply = await client.management({
      operation: "QUERY",
      type: "org.amqp.management",
      entityType: `${typePrefix(targetFlavour)}.router`,
    });
    expect(reply.statusCode).toBe(200);
  });

  it("a router config with an unknown defaultDistribution does not start", async () => {
    // The emulator names the value; a real router exits during start-up (its log says why).
    await expect(
      startOwnRouters({ routers: [{ id: "v" }], router: { defaultDistribution: "flood" } }),
    ).rejects.toThrow(/flood/);
  });
});
