/**
 * Config-sync against routers over TCP — the emulator, or real qdrouterd 1.19 / skupper-router
 * 3.5 with MESH_TARGET={"engine": …} — started from the example's generated configs, the
 * config-sync principal logging in with PLAIN. Every safety rule is asserted by counting
 * the management requests on the wire (a tap in front of each router), and the outcome by
 * what a client of the routers sees.
 */
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { openManagement } from "../../../shared/management/index.ts";
import {
  DirectorySource,
  MemoryStateStore,
  type ProjectSnapshot,
  type RegistrySource,
} from "../../../shared/sync/index.ts";
import { NEEDS_OWN_ROUTERS } from "../../conformance/target.ts";
import { closeAllClients, connectClient } from "../../support/amqp-client.ts";
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
  USERS,
} from "./harness.ts";

let h: SyncHarness;

async function addresses(routerId: string): Promise<string[]> {
  const session = await openManagement({ url: h.routers.url(routerId), sasl: SYNC_LOGIN });
  try {
    return (await session.management.query("address")).map((e) => String(e.name));
  } finally {
    await session.close();
  }
}

/** A producer that connects now sends to `address` on `routerId` and a consumer gets it. */
async function roundTrip(routerId: string, address: string): Promise<void> {
  const consumer = await connectClient(h.routers.url(routerId), {
    username: "logistics-tracker",
    password: USERS.get("logistics-tracker")!,
  });
  const receiver = await consumer.receiver(address);
  const producer = await connectClient(h.routers.url(routerId), {
    username: "sales-api",
    password: USERS.get("sales-api")!,
  });
  const sender = await producer.sender(address);
  await sender.waitForCredit(1, 10_000);
  expect((await sender.sendAndWait({ body: "returned" })).outcome).toBe("accepted");
  expect((await receiver.next()).message.body).toBe("returned");
}

describe.skipIf(ENGINE === undefined)(
  `config-sync on ${ENGINE ?? "running routers"} — ${NEEDS_OWN_ROUTERS}`,
  () => {
    beforeAll(async () => {
      h = await startSyncHarness();
    }, 120_000);
    afterAll(async () => {
      await h?.close();
    });
    beforeEach(async () => {
      // Every test starts from the example registry on every router.
      await restoreExampleRegistry(h);
      const report = await h.sync(new MemoryStateStore());
      expect(report.outcome, routerErrors(report)).toBe("ok");
      h.resetTaps();
    });
    afterEach(closeAllClients);

    it("a new channel reaches every router as exactly its difference: its address and the vhost UPDATE", async () => {
      await h.editTeam("sales", (doc) => doc.channels.push(returnsChannel()));
      const state = new MemoryStateStore();
      const report = await h.sync(state);
      expect(report.outcome).toBe("ok");
      expect(h.writes()).toEqual(
        [INTERIOR, EDGE].flatMap((router) => [
          { router, operation: "CREATE", name: "amqp-mesh/address/sales/returns" },
          { router, operation: "UPDATE", name: "amqp-mesh/vhost/$default" },
        ]),
      );
      expect(report.totals).toMatchObject({
        creates: 2,
        updates: 2,
        deletes: 0,
        failedOperations: 0,
      });
      // The vhost UPDATE applies to connections opened after it: new clients use the channel.
      await roundTrip(EDGE, "sales/returns");
    });

    it("the same registry again (a replayed event): zero write operations", async () => {
      await h.editTeam("sales", (doc) => doc.channels.push(returnsChannel()));
      const state = new MemoryStateStore();
      await h.sync(state);
      h.resetTaps();
      const replay = await h.sync(state);
      expect(replay.outcome).toBe("ok");
      expect(h.writes()).toEqual([]);
      expect(replay.routers.map((r) => r.status)).toEqual(["unchanged", "unchanged"]);
    });

    it("an invalid registry: no management request at all, a report with file and line, the routers as they were", async () => {
      const state = new MemoryStateStore();
      await h.sync(state);
      h.resetTaps();
      await h.editTeam("sales", (doc) => {
        doc.channels[0]!.distribution = "everywhere";
        doc.channels.push(returnsChannel());
      });
      const report = await h.sync(state);
      expect(report.outcome).toBe("refused");
      expect(report.registry.reason).toBe("invalid");
      expect(report.registry.problems.join("\n")).toMatch(
        /registry\/sales\.yaml:\d+:\d+: error: .*distribution/,
      );
      expect(h.requests()).toBe(0);
      expect(await addresses(INTERIOR)).not.toContain("amqp-mesh/address/sales/returns");
      expect(await addresses(INTERIOR)).toContain("amqp-mesh/address/sales/orders");
    });

    it("a breaking payload schema change without a raised version: nothing sent; raised, it goes through", async () => {
      const state = new MemoryStateStore();
      await h.sync(state); // records the example registry as the last good one
      h.resetTaps();
      const breakOrders =
        (version: number) => (doc: Parameters<Parameters<SyncHarness["editTeam"]>[1]>[0]) => {
          const orders = doc.channels.find((c) => c.address === "sales/orders")!;
          const schema = orders.schema as { required: string[] };
          if (!schema.required.includes("currency"))
            schema.required = [...schema.required, "currency"];
          orders.version = version;
          if (!doc.channels.some((c) => c.address === "sales/returns"))
            doc.channels.push(returnsChannel());
        };
      await h.editTeam("sales", breakOrders(1));
      const refused = await h.sync(state);
      expect(refused.outcome).toBe("refused");
      expect(refused.registry.reason).toBe("breaking");
      expect(refused.registry.problems.join("\n")).toMatch(
        /^sales\/orders \(sales\): breaking change without a raised channel version \(still 1\).*\/required/,
      );
      expect(h.requests()).toBe(0);

      await h.editTeam("sales", breakOrders(2));
      const accepted = await h.sync(state);
      expect(accepted.registry.problems).toEqual([]);
      expect(accepted.outcome).toBe("ok");
      expect(accepted.registry.breakingChanges.map((c) => [c.address, c.allowed])).toEqual([
        ["sales/orders", true],
      ]);
      expect(
        h
          .writes()
          .filter((w) => w.operation === "CREATE")
          .map((w) => w.name),
      ).toEqual(["amqp-mesh/address/sales/returns", "amqp-mesh/address/sales/returns"]);
    });

    it("only amqp-mesh/ entities are deleted; a hand-made one is reported and stays", async () => {
      const session = await openManagement({ url: h.routers.url(INTERIOR), sasl: SYNC_LOGIN });
      try {
        await session.management.create("address", "ops-by-hand", {
          prefix: "ops/by-hand",
          distribution: "closest",
        });
        await session.management.create("address", "amqp-mesh/address/stale/left-over", {
          prefix: "stale/left-over",
          distribution: "closest",
        });
        h.resetTaps();
        const report = await h.sync(new MemoryStateStore());
        expect(h.writes()).toEqual([
          { router: INTERIOR, operation: "DELETE", name: "amqp-mesh/address/stale/left-over" },
        ]);
        const interior = report.routers.find((r) => r.routerId === INTERIOR)!;
        expect(interior.plan?.untouched.map((u) => u.name)).toContain("ops-by-hand");
        expect(
          (await session.management.read("address", { name: "ops-by-hand" })).attributes.prefix,
        ).toBe("ops/by-hand");
        await session.management.delete("address", { name: "ops-by-hand" });
      } finally {
        await session.close();
      }
    });

    it("a changed distribution (version raised) is a DELETE and a CREATE of that address, back to back", async () => {
      await h.editTeam("sales", (doc) => {
        const events = doc.channels.find((c) => c.address === "sales/events")!;
        events.distribution = "closest";
        events.version = 2;
      });
      const report = await h.sync(new MemoryStateStore());
      expect(report.outcome).toBe("ok");
      const writes = h.taps.get(INTERIOR)!.writes();
      // Exactly two writes: the router takes the CREATE after the DELETE (both real routers
      // and the emulator handle management requests in arrival order).
      expect(writes.map((w) => `${w.operation} ${w.name}`)).toEqual([
        "DELETE amqp-mesh/address/sales/events",
        "CREATE amqp-mesh/address/sales/events",
      ]);
      // Sent back to back: the CREATE did not wait for the DELETE's answer.
      expect(writes[1]!.at - writes[0]!.at).toBeLessThan(50);
      const session = await openManagement({ url: h.routers.url(INTERIOR), sasl: SYNC_LOGIN });
      try {
        expect(
          (await session.management.read("address", { name: "amqp-mesh/address/sales/events" }))
            .attributes.distribution,
        ).toBe("closest");
      } finally {
        await session.close();
      }
    });

    it("one unreachable router does not stop the others; the next run brings it along", async () => {
      await h.editTeam("sales", (doc) => doc.channels.push(returnsChannel()));
      const state = new MemoryStateStore();
      h.taps.get(EDGE)!.refuse();
      const first = await h.sync(state);
      expect(first.outcome).toBe("failed");
      const byRouter = new Map(first.routers.map((r) => [r.url, r]));
      expect(byRouter.get(h.taps.get(EDGE)!.url)).toMatchObject({
        status: "failed",
        error: expect.stringMatching(/reach|connect/i),
      });
      expect(byRouter.get(h.taps.get(INTERIOR)!.url)?.status).toBe("synced");
      expect(h.writes().map((w) => w.router)).toEqual([INTERIOR, INTERIOR]);

      h.taps.get(EDGE)!.accept();
      h.resetTaps();
      const second = await h.sync(state);
      expect(second.outcome).toBe("ok");
      expect(h.writes()).toEqual([
        { router: EDGE, operation: "CREATE", name: "amqp-mesh/address/sales/returns" },
        { router: EDGE, operation: "UPDATE", name: "amqp-mesh/vhost/$default" },
      ]);
    });

    it("two uploads close together: the run that read the older one sees the newer and ends on it", async () => {
      const state = new MemoryStateStore();
      const folder = new DirectorySource(h.project.dir);
      await h.editTeam("sales", (doc) => doc.channels.push(returnsChannel("sales/returns-v2")));
      // The newer upload lands while the first run is applying what it read.
      let uploaded = false;
      const racing: RegistrySource = {
        description: folder.description,
        revision: () => folder.revision(),
        read: async (): Promise<ProjectSnapshot> => {
          const snapshot = await folder.read();
          if (!uploaded) {
            uploaded = true;
            await h.editTeam("sales", (doc) => {
              doc.channels = doc.channels.filter((c) => c.address !== "sales/returns-v2");
              doc.channels.push(returnsChannel("sales/returns-v3"));
            });
          }
          return snapshot;
        },
      };
      const report = await h.sync(state, { source: racing });
      expect(report.rounds).toBe(2);
      expect(report.registry.digest).toBe((await folder.read()).digest);
      const now = await addresses(EDGE);
      expect(now).toContain("amqp-mesh/address/sales/returns-v3");
      expect(now).not.toContain("amqp-mesh/address/sales/returns-v2");
    });

    it("a newer upload refused after a pass changed the routers: the state still records that pass", async () => {
      const state = new MemoryStateStore();
      await h.sync(state);
      const folder = new DirectorySource(h.project.dir);
      await h.editTeam("sales", (doc) => doc.channels.push(returnsChannel()));
      // A broken upload lands while the run applies the good one it read.
      let applied: ProjectSnapshot | undefined;
      const racing: RegistrySource = {
        description: folder.description,
        revision: () => folder.revision(),
        read: async (): Promise<ProjectSnapshot> => {
          const snapshot = await folder.read();
          if (applied === undefined) {
            applied = snapshot;
            await writeFile(join(h.project.dir, "registry", "sales.yaml"), "team: [sales\n");
          }
          return snapshot;
        },
      };
      const report = await h.sync(state, { source: racing });
      expect(report.rounds).toBe(2);
      expect(report.outcome).toBe("refused");
      expect(await addresses(EDGE)).toContain("amqp-mesh/address/sales/returns");
      // What the routers hold now is what the next run plans from and judges against.
      expect(state.state.lastGood?.digest).toBe(applied?.digest);
      expect(Object.values(state.state.routers).map((r) => r.syncedDigest)).toEqual([
        applied?.digest,
        applied?.digest,
      ]);
    });

    it("a newer upload in the same run is judged against the registry the run's earlier pass accepted", async () => {
      const state = new MemoryStateStore();
      await h.sync(state); // records the example registry as the last good one
      const folder = new DirectorySource(h.project.dir);
      type Orders = { version?: number; schema: { properties: { currency: { enum: string[] } } } };
      const orders = (doc: Parameters<Parameters<SyncHarness["editTeam"]>[1]>[0]) =>
        doc.channels.find((c) => c.address === "sales/orders") as unknown as Orders;
      // Version 2 of sales/orders: a breaking change, allowed by the raised version.
      await h.editTeam("sales", (doc) => {
        orders(doc).version = 2;
        orders(doc).schema.properties.currency.enum = ["EUR", "USD"];
      });
      let first: ProjectSnapshot | undefined;
      const racing: RegistrySource = {
        description: folder.description,
        revision: () => folder.revision(),
        read: async (): Promise<ProjectSnapshot> => {
          const snapshot = await folder.read();
          if (first === undefined) {
            first = snapshot;
            // Then breaking again, still version 2: against version 2, not allowed.
            await h.editTeam("sales", (doc) => {
              orders(doc).schema.properties.currency.enum = ["EUR"];
            });
          }
          return snapshot;
        },
      };
      const report = await h.sync(state, { source: racing });
      expect(report.rounds).toBe(2);
      expect(report.registry.reason).toBe("breaking");
      expect(report.registry.problems.join("\n")).toMatch(
        /^sales\/orders \(sales\): breaking change without a raised channel version \(still 2\)/,
      );
      expect(state.state.lastGood?.digest).toBe(first?.digest);
    });

    it("a restarted router is seen by its uptime and repaired on the schedule; the others are only checked", async () => {
      await h.editTeam("sales", (doc) => doc.channels.push(returnsChannel()));
      const state = new MemoryStateStore();
      const options = { mode: "schedule" as const, restartToleranceMs: 1_500 };
      await h.sync(state);
      h.resetTaps();
      const quiet = await h.sync(state, options);
      expect(quiet.routers.map((r) => r.status)).toEqual(["checked", "checked"]);
      expect(h.writes()).toEqual([]);
      // Only the router entity was read: no QUERY of addresses, vhosts…
      const queried = [...h.taps.values()].flatMap((t) => t.operations("QUERY")).map((q) => q.type);
      expect(new Set(queried)).toEqual(
        new Set(queried.filter((t) => /\.router$|routerMetrics$/.test(String(t)))),
      );

      // The edge must have been up a while for its restart to show against the clock.
      await waitFor(
        async () => {
          const s = await openManagement({ url: h.routers.url(EDGE), sasl: SYNC_LOGIN });
          try {
            const [row] = await s.management.query(
              s.flavour === "skupper-router" ? "routerMetrics" : "router",
              { attributeNames: ["uptimeSeconds"] },
            );
            return Number(row?.attributes.uptimeSeconds) >= 3;
          } finally {
            await s.close();
          }
        },
        { timeout: 15_000, what: "the edge to be up 3 s" },
      );
      await h.routers.restart(EDGE);
      expect(await addresses(EDGE)).not.toContain("amqp-mesh/address/sales/returns");
      h.resetTaps();
      const repaired = await h.sync(state, options);
      const edge = repaired.routers.find((r) => r.routerId === EDGE)!;
      expect(edge).toMatchObject({ status: "synced", restarted: true });
      expect(edge.reason).toMatch(/^restarted/);
      expect(repaired.routers.find((r) => r.routerId === INTERIOR)?.status).toBe("checked");
      expect(h.writes()).toEqual([
        { router: EDGE, operation: "CREATE", name: "amqp-mesh/address/sales/returns" },
        { router: EDGE, operation: "UPDATE", name: "amqp-mesh/vhost/$default" },
      ]);
    });

    it("with an invalid registry in the store, a scheduled run restores a restarted router to the last good one", async () => {
      await h.editTeam("sales", (doc) => doc.channels.push(returnsChannel()));
      const state = new MemoryStateStore();
      await h.sync(state);
      await h.writeRegistryFile("broken.yaml", "team: [this is not a team\n");
      await h.routers.restart(INTERIOR);
      h.resetTaps();
      const event = await h.sync(state);
      expect(event.outcome).toBe("refused");
      expect(h.requests()).toBe(0);
      const scheduled = await h.sync(state, { mode: "schedule", restartToleranceMs: 0 });
      expect(scheduled.registry).toMatchObject({ accepted: false, usedLastGood: true });
      expect(await addresses(INTERIOR)).toContain("amqp-mesh/address/sales/returns");
      await rm(join(h.project.dir, "registry", "broken.yaml"));
    });

    it("a dry run plans against the routers but writes nothing", async () => {
      await h.editTeam("sales", (doc) => doc.channels.push(returnsChannel()));
      const report = await h.sync(new MemoryStateStore(), { dryRun: true });
      expect(report.routers.map((r) => r.status)).toEqual(["planned", "planned"]);
      expect(report.totals).toMatchObject({ creates: 2, updates: 2, operations: 4 });
      expect(h.writes()).toEqual([]);
    });
  },
);
