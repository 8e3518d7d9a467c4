/**
 * Event runs that plan from the config a router was last synced to, instead of reading all
 * its entities — against routers over TCP (the emulator, or real ones with MESH_TARGET),
 * every management request counted on the wire by a tap in front of each router. Only the
 * router entity is read (identity and uptime) when the router's last sync was clean, for the
 * registry the state holds; a restart, a failed sync or a router that turns out to differ
 * brings back the full read; a change made by hand is left to the scheduled full sync.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { openManagement } from "../../../shared/management/index.ts";
import { MemoryStateStore, type SyncPlan, type SyncReport } from "../../../shared/sync/index.ts";
import { NEEDS_OWN_ROUTERS } from "../../conformance/target.ts";
import { closeAllClients } from "../../support/amqp-client.ts";
import { waitFor } from "../../support/wait.ts";
import {
  EDGE,
  ENGINE,
  INTERIOR,
  restoreExampleRegistry,
  returnsChannel,
  routerErrors,
  SYNC_LOGIN,
  type SyncHarness,
  startSyncHarness,
} from "./harness.ts";

let h: SyncHarness;

/** Management of a router directly, not through its tap: changes "by hand". */
async function byHand<T>(
  routerId: string,
  work: (m: Awaited<ReturnType<typeof openManagement>>["management"]) => Promise<T>,
): Promise<T> {
  const session = await openManagement({ url: h.routers.url(routerId), sasl: SYNC_LOGIN });
  try {
    return await work(session.management);
  } finally {
    await session.close();
  }
}

const addresses = (routerId: string) =>
  byHand(routerId, async (m) => (await m.query("address")).map((e) => String(e.name)));

/** The entity types QUERYed through a router's tap (router entity types shortened). */
function queried(routerId: string): string[] {
  return h.taps
    .get(routerId)!
    .operations("QUERY")
    .map((q) => String(q.type).replace(/^.*\./, ""));
}

/** Only the router entity (qdrouterd) or routerMetrics too (skupper-router): the identity read. */
const IDENTITY_ONLY = /^(router|routerMetrics)$/;

function writesOf(routerId: string): string[] {
  return h.taps
    .get(routerId)!
    .writes()
    .map((w) => `${w.operation} ${w.name}`);
}

/** The management writes a plan sends, in order. */
function operationsOf(plan: SyncPlan | undefined): string[] {
  return (plan?.steps ?? []).flatMap((s) =>
    s.kind === "create"
      ? [`CREATE ${s.name}`]
      : s.kind === "update"
        ? [`UPDATE ${s.name}`]
        : s.kind === "delete"
          ? [`DELETE ${s.name}`]
          : [`DELETE ${s.name}`, `CREATE ${s.name}`],
  );
}

const routerOf = (report: SyncReport, routerId: string) =>
  report.routers.find((r) => r.routerId === routerId)!;

const NEW_CHANNEL = "amqp-mesh/address/sales/returns";
const VHOST = "amqp-mesh/vhost/$default";

describe.skipIf(ENGINE === undefined)(
  `config-sync event runs from the last synced config on ${ENGINE ?? "running routers"} — ${NEEDS_OWN_ROUTERS}`,
  () => {
    let state: MemoryStateStore;

    beforeAll(async () => {
      h = await startSyncHarness();
    }, 120_000);
    afterAll(async () => {
      await h?.close();
    });
    beforeEach(async () => {
      // Every test starts from the example registry on every router, synced cleanly with a
      // state of its own (a full sync: nothing recorded yet), once a router restarted by an
      // earlier test has been up long enough to be known as the same run of it.
      await h.upAWhile();
      await restoreExampleRegistry(h);
      const restored = await h.sync(new MemoryStateStore());
      expect(restored.outcome, routerErrors(restored)).toBe("ok");
      state = new MemoryStateStore();
      const clean = await h.sync(state);
      expect(clean.routers.map((r) => [r.basis, r.status])).toEqual([
        ["actual", "unchanged"],
        ["actual", "unchanged"],
      ]);
      h.resetTaps();
    });
    afterEach(closeAllClients);

    it("after a clean sync: only the identity read, and the very writes the full path plans", async () => {
      await h.editTeam("sales", (doc) => doc.channels.push(returnsChannel()));
      // What the full path would do: a dry run reads both routers and plans.
      const full = await h.sync(new MemoryStateStore(), { dryRun: true });
      h.resetTaps();
      const report = await h.sync(state);
      expect(report.outcome).toBe("ok");
      expect(report.routers.map((r) => r.basis)).toEqual(["last-applied", "last-applied"]);
      for (const router of [INTERIOR, EDGE]) {
        expect(queried(router).every((type) => IDENTITY_ONLY.test(type))).toBe(true);
        expect(queried(router)).not.toHaveLength(0);
        expect(writesOf(router)).toEqual(operationsOf(routerOf(full, router).plan));
        expect(writesOf(router)).toEqual([`CREATE ${NEW_CHANNEL}`, `UPDATE ${VHOST}`]);
        expect(await addresses(router)).toContain(NEW_CHANNEL);
      }
      // And the next event run plans from this one.
      await h.editTeam("sales", (doc) => {
        doc.channels = doc.channels.filter((c) => c.address !== "sales/returns");
      });
      h.resetTaps();
      const back = await h.sync(state);
      expect(back.routers.map((r) => r.basis)).toEqual(["last-applied", "last-applied"]);
      expect(writesOf(EDGE)).toEqual([`UPDATE ${VHOST}`, `DELETE ${NEW_CHANNEL}`]);
      expect(await addresses(EDGE)).not.toContain(NEW_CHANNEL);
    });

    it("after a router restart: that router is read in full and repaired, the other is not", async () => {
      await h.editTeam("sales", (doc) => doc.channels.push(returnsChannel()));
      await h.sync(state);
      // The edge must have been up a while for its restart to show against the clock.
      await waitFor(
        async () =>
          byHand(EDGE, async (m) => {
            const [row] = await m.query(
              m.flavour === "skupper-router" ? "routerMetrics" : "router",
              { attributeNames: ["uptimeSeconds"] },
            );
            return Number(row?.attributes.uptimeSeconds) >= 3;
          }),
        { timeout: 15_000, what: "the edge to be up 3 s" },
      );
      await h.sync(state); // seen up this long
      await h.routers.restart(EDGE);
      expect(await addresses(EDGE)).not.toContain(NEW_CHANNEL);
      await h.editTeam("sales", (doc) => doc.channels.push(returnsChannel("sales/returns-v2")));
      h.resetTaps();
      const report = await h.sync(state, { restartToleranceMs: 1_500 });
      expect(report.outcome).toBe("ok");
      expect(routerOf(report, EDGE)).toMatchObject({ basis: "actual", restarted: true });
      expect(queried(EDGE)).toContain("address");
      expect(writesOf(EDGE)).toEqual([
        `CREATE ${NEW_CHANNEL}`,
        `CREATE ${NEW_CHANNEL}-v2`,
        `UPDATE ${VHOST}`,
      ]);
      expect(await addresses(EDGE)).toEqual(
        expect.arrayContaining([NEW_CHANNEL, `${NEW_CHANNEL}-v2`]),
      );
      expect(routerOf(report, INTERIOR).basis).toBe("last-applied");
      expect(queried(INTERIOR).every((type) => IDENTITY_ONLY.test(type))).toBe(true);
      expect(writesOf(INTERIOR)).toEqual([`CREATE ${NEW_CHANNEL}-v2`, `UPDATE ${VHOST}`]);
    });

    it("after a failed sync: that router is read in full", async () => {
      await h.editTeam("sales", (doc) => doc.channels.push(returnsChannel()));
      h.taps.get(EDGE)!.refuse();
      const failed = await h.sync(state);
      expect(routerOf(failed, INTERIOR)).toMatchObject({ basis: "last-applied", status: "synced" });
      expect(failed.routers.find((r) => r.url === h.taps.get(EDGE)!.url)?.status).toBe("failed");
      h.taps.get(EDGE)!.accept();
      await h.editTeam("sales", (doc) => doc.channels.push(returnsChannel("sales/returns-v2")));
      h.resetTaps();
      const report = await h.sync(state);
      expect(report.outcome).toBe("ok");
      expect(routerOf(report, EDGE).basis).toBe("actual");
      expect(queried(EDGE)).toContain("address");
      expect(writesOf(EDGE)).toEqual([
        `CREATE ${NEW_CHANNEL}`,
        `CREATE ${NEW_CHANNEL}-v2`,
        `UPDATE ${VHOST}`,
      ]);
      expect(routerOf(report, INTERIOR).basis).toBe("last-applied");
      expect(writesOf(INTERIOR)).toEqual([`CREATE ${NEW_CHANNEL}-v2`, `UPDATE ${VHOST}`]);
    });

    it("a change by hand is not undone by an event run; the scheduled full sync repairs it, as before", async () => {
      const orders = "amqp-mesh/address/sales/orders";
      await byHand(INTERIOR, (m) => m.delete("address", { name: orders }));
      await h.editTeam("sales", (doc) => doc.channels.push(returnsChannel()));
      const event = await h.sync(state);
      expect(routerOf(event, INTERIOR).basis).toBe("last-applied");
      expect(writesOf(INTERIOR)).toEqual([`CREATE ${NEW_CHANNEL}`, `UPDATE ${VHOST}`]);
      expect(await addresses(INTERIOR)).not.toContain(orders);

      // Within fullSyncIntervalMs of the last full sync a scheduled run only looks…
      h.resetTaps();
      const soon = await h.sync(state, { mode: "schedule" });
      expect(soon.routers.map((r) => r.status)).toEqual(["checked", "checked"]);
      expect(h.writes()).toEqual([]);
      // …once it is due, it reads the router in full and puts the channel back.
      const due = await h.sync(state, { mode: "schedule", fullSyncIntervalMs: 1 });
      const interior = routerOf(due, INTERIOR);
      expect(interior).toMatchObject({ basis: "actual", status: "synced" });
      expect(interior.reason).toMatch(/^last full sync/);
      expect(operationsOf(interior.plan)).toEqual([`CREATE ${orders}`]);
      expect(writesOf(INTERIOR)).toEqual([`CREATE ${orders}`]);
      expect(await addresses(INTERIOR)).toContain(orders);
    });

    it("a router that differs from its last synced config (a prefix taken by hand): read in full and planned again, in the same run", async () => {
      await byHand(INTERIOR, (m) =>
        m.create("address", "ops-returns", { prefix: "sales/returns", distribution: "closest" }),
      );
      try {
        await h.editTeam("sales", (doc) => doc.channels.push(returnsChannel()));
        const report = await h.sync(state);
        const interior = routerOf(report, INTERIOR);
        expect(interior.fallback?.reason).toMatch(
          /^CREATE address amqp-mesh\/address\/sales\/returns: the name or prefix is taken/,
        );
        expect(interior.basis).toBe("actual");
        expect(queried(INTERIOR)).toContain("address");
        // The full plan names the hand-made address in the way, and touches it not.
        expect(interior.plan?.blocked.map((b) => b.name)).toEqual([NEW_CHANNEL]);
        expect(interior.plan?.untouched.map((u) => u.name)).toContain("ops-returns");
        expect(writesOf(INTERIOR)).toEqual([`CREATE ${NEW_CHANNEL}`, `UPDATE ${VHOST}`]);
        expect(routerOf(report, EDGE)).toMatchObject({ basis: "last-applied", status: "synced" });
        expect(await addresses(EDGE)).toContain(NEW_CHANNEL);
        // Something was left over: the next event run reads the interior in full again.
        h.resetTaps();
        const next = await h.sync(state);
        expect(routerOf(next, INTERIOR).basis).toBe("actual");
        expect(routerOf(next, EDGE).basis).toBe("last-applied");
      } finally {
        await byHand(INTERIOR, (m) => m.delete("address", { name: "ops-returns" }));
      }
    });

    it("a router that differs from its last synced config (an entity gone by hand): read in full in the same run", async () => {
      const events = "amqp-mesh/address/sales/events";
      await byHand(INTERIOR, (m) => m.delete("address", { name: events }));
      await h.editTeam("sales", (doc) => {
        doc.channels = doc.channels.filter((c) => c.address !== "sales/events");
      });
      const report = await h.sync(state);
      expect(report.outcome).toBe("ok");
      const interior = routerOf(report, INTERIOR);
      expect(interior.fallback?.reason).toMatch(/^DELETE address .*sales\/events: it is gone/);
      expect(interior.basis).toBe("actual");
      expect(queried(INTERIOR)).toContain("address");
      expect(writesOf(INTERIOR)).toEqual([`UPDATE ${VHOST}`, `DELETE ${events}`]);
      expect(routerOf(report, EDGE)).toMatchObject({ basis: "last-applied", status: "synced" });
      expect(writesOf(EDGE)).toEqual([`UPDATE ${VHOST}`, `DELETE ${events}`]);
      for (const router of [INTERIOR, EDGE]) expect(await addresses(router)).not.toContain(events);
    });
  },
);
