/**
 * The live registry against a store held in memory (the S3 and Blob adapters are tested on
 * S3rver and Azurite in test/integration/registry-snapshot/): it starts from the bundled
 * snapshot, swaps to each valid published one, keeps the last good one whatever the store
 * answers, and never loads anything but data from it.
 */
import { spawn } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import {
  DeployedRegistry,
  LiveRegistry,
  liveValidators,
  type PayloadValidators,
  precompiledValidators,
  runtimeValidators,
  type SnapshotStore,
  snapshotDigest,
  validatorKey,
} from "../../../shared/registry-snapshot/index.ts";
import { compileSchema } from "../../../shared/registry-snapshot/schema-compiler.ts";
import { exampleSnapshot } from "../trigger/snapshot.ts";
import { MemorySnapshotStore, withReturns } from "./live-support.ts";

const live: LiveRegistry[] = [];
afterEach(() => {
  for (const l of live.splice(0)) l.close();
});

function liveOver(
  store: SnapshotStore,
  options: { validators?: PayloadValidators; compilerLoads?: { count: number } } = {},
) {
  const lines: string[] = [];
  const bundled = {
    snapshot: exampleSnapshot(),
    validators: options.validators ?? runtimeValidators(),
  };
  const registry = new LiveRegistry({
    bundled,
    store,
    validatorsFor: liveValidators(bundled, async () => {
      if (options.compilerLoads) options.compilerLoads.count++;
      return (await import("../../../shared/registry-snapshot/schema-compiler.ts")).compileSchema;
    }),
    log: (line) => lines.push(line),
  });
  live.push(registry);
  return { registry, lines };
}

describe("LiveRegistry", () => {
  it("starts from the bundled snapshot and keeps it while nothing is published, saying so once", async () => {
    const store = new MemorySnapshotStore();
    const { registry, lines } = liveOver(store);
    expect(registry.current().digest).toBe(exampleSnapshot().digest);
    expect(await registry.refresh()).toEqual({ kind: "missing" });
    expect(await registry.refresh()).toEqual({ kind: "missing" });
    expect(registry.current().digest).toBe(exampleSnapshot().digest);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/no published snapshot; keeping registry [0-9a-f]{12}/);
  });

  it("swaps to a published snapshot in one step: a request holding the old release keeps it", async () => {
    const store = new MemorySnapshotStore();
    const { registry } = liveOver(store);
    const changes: Array<{ from: string; to: string }> = [];
    registry.onChange(({ from, to }) => changes.push({ from, to }));
    const before = registry.current();
    expect(before.registry.channel("sales/returns")).toBeUndefined();

    const next = withReturns();
    store.write(JSON.stringify(next));
    expect(await registry.refresh()).toEqual({
      kind: "swapped",
      from: exampleSnapshot().digest,
      to: next.digest,
    });
    const after = registry.current();
    expect(after.digest).toBe(next.digest);
    expect(after.registry.channel("sales.returns")?.producers.has("sales-api")).toBe(true);
    expect(changes).toEqual([{ from: exampleSnapshot().digest, to: next.digest }]);
    // The old release is whole: its registry and validators still answer as before.
    expect(before.registry.channel("sales/returns")).toBeUndefined();
    expect(before.digest).toBe(exampleSnapshot().digest);
    // Unchanged since: a conditional read, no swap.
    expect(await registry.refresh()).toEqual({ kind: "unchanged" });
  });

  it("validates a new schema in process, with the violations Ajv gives at deploy time", async () => {
    const store = new MemorySnapshotStore();
    const compilerLoads = { count: 0 };
    const { registry } = liveOver(store, { compilerLoads });
    store.write(JSON.stringify(withReturns()));
    await registry.refresh();
    const { registry: r, validators } = registry.current();
    const returns = r.channel("sales/returns")!;
    const expected = runtimeValidators().forChannel(returns)!({ orderId: 7, reason: "x" }, "");
    expect(validators.forChannel(returns)!({ orderId: 7, reason: "x" }, "")).toEqual(expected);
    expect(expected.map((v) => v.pointer).sort()).toEqual(["/orderId", "/reason"]);
    expect(validators.forChannel(returns)!({ orderId: "o-1", reason: "broken" }, "")).toEqual([]);
    expect(compilerLoads.count).toBe(1);
  });

  it("keeps the bundle's precompiled validator for a schema that did not change; loads no compiler for it", async () => {
    const store = new MemorySnapshotStore();
    const compilerLoads = { count: 0 };
    // What validators.mjs holds: Ajv's functions by address (precompiled at deploy time).
    const bundledValidators = precompiledValidators(
      Object.fromEntries(
        exampleSnapshot().channels.flatMap((c) =>
          c.schema === undefined ? [] : [[validatorKey(c.address), compileSchema(c.schema)]],
        ),
      ),
    );
    const { registry } = liveOver(store, { validators: bundledValidators, compilerLoads });
    const base = exampleSnapshot();
    // Only the producers of sales/orders change: every schema is the bundled one.
    const channels = base.channels.map((c) =>
      c.address === "sales/orders" ? { ...c, producers: [...c.producers, "logistics"] } : c,
    );
    const next = {
      format: 1 as const,
      digest: snapshotDigest({ teams: base.teams, channels }),
      teams: base.teams,
      channels,
    };
    store.write(JSON.stringify(next));
    expect((await registry.refresh()).kind).toBe("swapped");
    const orders = new DeployedRegistry(base).channel("sales/orders")!;
    expect(registry.current().validators.forChannel(orders)).toBe(
      bundledValidators.forChannel(orders),
    );
    expect(compilerLoads.count).toBe(0);
  });

  it("keeps the last good registry when the store holds garbage, logs it once, and swaps when it is good again", async () => {
    const store = new MemorySnapshotStore();
    const { registry, lines } = liveOver(store);
    const next = withReturns();
    store.write(JSON.stringify(next));
    await registry.refresh();
    for (const garbage of ["{not json", JSON.stringify({ format: 1, digest: "x" }), "null"]) {
      store.write(garbage);
      expect((await registry.refresh()).kind).toBe("refused");
      expect(registry.current().digest).toBe(next.digest);
    }
    expect(lines.filter((l) => l.includes("not JSON"))).toHaveLength(1);
    expect(lines.some((l) => /not a registry snapshot \(.*channels/.test(l))).toBe(true);
    // The same bad object again: not re-read in full, not logged again.
    const logged = lines.length;
    expect(await registry.refresh()).toEqual({ kind: "unchanged" });
    expect(lines).toHaveLength(logged);
    store.write(JSON.stringify(exampleSnapshot()));
    expect((await registry.refresh()).kind).toBe("swapped");
    expect(registry.current().digest).toBe(exampleSnapshot().digest);
  });

  it("refuses a snapshot whose digest does not match its content (a hand edit, a torn copy)", async () => {
    const store = new MemorySnapshotStore();
    const { registry, lines } = liveOver(store);
    store.write(
      JSON.stringify({ ...withReturns(), digest: exampleSnapshot().digest.replace(/^./, "0") }),
    );
    expect((await registry.refresh()).kind).toBe("refused");
    expect(registry.current().digest).toBe(exampleSnapshot().digest);
    expect(lines.join("\n")).toMatch(/digest does not match its content/);
  });

  it("refuses a snapshot with a schema Ajv cannot compile, whole", async () => {
    const store = new MemorySnapshotStore();
    const { registry, lines } = liveOver(store);
    const bad = withReturns();
    const returns = bad.channels.at(-1)!;
    returns.schema = { type: "object", properties: { a: { type: "no-such-type" } } };
    const content = { teams: bad.teams, channels: bad.channels };
    store.write(JSON.stringify({ format: 1, digest: snapshotDigest(content), ...content }));
    expect((await registry.refresh()).kind).toBe("refused");
    expect(registry.current().registry.channel("sales/returns")).toBeUndefined();
    expect(lines.join("\n")).toMatch(/schema of channel 'sales\/returns' does not compile/);
  });

  it("a store that fails: the last good registry stays, each distinct failure logged once", async () => {
    const store = new MemorySnapshotStore();
    const { registry, lines } = liveOver(store);
    store.failure = new Error("connect ECONNREFUSED 127.0.0.1:1");
    await registry.refresh();
    await registry.refresh();
    store.failure = new Error("503 Slow Down");
    await registry.refresh();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain("memory://registry/published/registry-snapshot.json: read failed");
    expect(registry.current().digest).toBe(exampleSnapshot().digest);
  });

  it("a failure message that carries a SAS URL or an account key is logged without them", async () => {
    const store = new MemorySnapshotStore();
    const { registry, lines } = liveOver(store);
    store.failure = new Error(
      "403 on https://acct.blob.core.windows.net/registry/published/registry-snapshot.json?sv=2024&sig=c2VjcmV0 " +
        "with DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=a2V5a2V5;EndpointSuffix=core.windows.net",
    );
    await registry.refresh();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(
      "https://acct.blob.core.windows.net/registry/published/registry-snapshot.json?…",
    );
    expect(lines[0]).not.toMatch(/c2VjcmV0|a2V5a2V5|sv=2024/);
  });

  it("concurrent refreshes share one read; close stops it", async () => {
    const store = new MemorySnapshotStore();
    store.write(JSON.stringify(withReturns()));
    const { registry } = liveOver(store);
    const [a, b] = await Promise.all([registry.refresh(), registry.refresh()]);
    expect(a).toBe(b);
    expect(store.reads).toBe(1);
    registry.close();
    expect(await registry.refresh()).toEqual({ kind: "closed" });
  });

  it("polls on its interval once started", async () => {
    const store = new MemorySnapshotStore();
    const bundled = { snapshot: exampleSnapshot(), validators: runtimeValidators() };
    const fast = new LiveRegistry({
      bundled,
      store,
      validatorsFor: liveValidators(bundled),
      pollMs: 50,
    }).start();
    live.push(fast);
    const next = withReturns();
    const seen = new Promise<string>((resolve) => fast.onChange(({ to }) => resolve(to)));
    store.write(JSON.stringify(next));
    expect(await seen).toBe(next.digest);
    expect(store.reads).toBeGreaterThanOrEqual(1);
  });

  it("no timer keeps the process alive: a process with a started live registry exits by itself", async () => {
    const script = `
      import { LiveRegistry, runtimeValidators } from "./shared/registry-snapshot/index.ts";
      const snapshot = { format: 1, digest: "d", teams: [], channels: [] };
      new LiveRegistry({
        bundled: { snapshot, validators: runtimeValidators() },
        store: { description: "empty", read: async () => "missing" },
        validatorsFor: async () => runtimeValidators(),
        pollMs: 50,
      }).start();
      console.log("started");`;
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
        cwd: process.cwd(),
        stdio: "ignore",
      });
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new Error("the process did not exit within 20 s: a timer keeps it alive"));
      }, 20_000);
      child.on("exit", (exit) => {
        clearTimeout(timer);
        resolve(exit);
      });
    });
    expect(code).toBe(0);
  });
});
