/**
 * The local platform as a team edits its registry while it runs: `amqp-mesh up` (the
 * emulator, in a child process) watches the project's registry/; an edit is uploaded to both
 * stores, the stores' events run both clouds' config-sync, and the ingress and the triggers
 * follow. A new channel: 404 → 202 on both ingresses, its address on every router (QUERY
 * over management as config-sync's login), the handlers' registry digest printed, a message
 * crossing from the AWS ingress to an Azure consumer; the catalog `up` serves beside its
 * console shows it. An invalid edit: its errors with file and line, not one management write,
 * the handlers and the catalog keep their registry. A copy of the example on free ports, with
 * its own broker queue, whose depth the console reads from RabbitMQ.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { LOCAL_POLL_MS } from "../../cli/local/function-registries.ts";
import { MeshClient, type ReceivedMessage } from "../../shared/amqp/index.ts";
import { openManagement } from "../../shared/management/index.ts";
import { tempFolders } from "../integration/cli/copy-examples.ts";
import { examplesOnFreePorts } from "../integration/cli/free-port-project.ts";
import { forTheStory } from "../support/example-functions.ts";
import { deleteQueues } from "../support/rabbitmq.ts";
import { waitFor, waitForValue } from "../support/wait.ts";

const BIN = fileURLToPath(new URL("../../cli/bin.js", import.meta.url));
const folders = tempFolders();
let project: string;
let out: string;
let queue = "";
let up: ChildProcess;
let upOutput = "";

function ingressUrl(cloud: "aws" | "azure"): string {
  const match = upOutput.match(new RegExp(`HTTP ingress ${cloud}: POST (http://\\S+)/channels/`));
  if (match?.[1] === undefined) throw new Error(`up printed no ${cloud} ingress:\n${upOutput}`);
  return match[1];
}

function routerUrls(): Map<string, string> {
  return new Map(
    [...upOutput.matchAll(/^\s+(\S+)\s+(?:interior|edge)\s+(amqp:\/\/\S+)$/gm)].map((m) => [
      m[1]!,
      m[2]!,
    ]),
  );
}

async function jsonOf<T>(file: string): Promise<T> {
  return JSON.parse(await readFile(join(out, file), "utf8")) as T;
}

async function post(cloud: "aws" | "azure", channel: string, body: unknown): Promise<number> {
  const { keys } = await jsonOf<{ keys: Record<string, string> }>("local-ingress-keys.json");
  const response = await fetch(
    `${ingressUrl(cloud)}/channels/${encodeURIComponent(channel)}/messages`,
    {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": keys["sales-api"] ?? "" },
      body: JSON.stringify(body),
    },
  );
  await response.text();
  return response.status;
}

/** The output `up` prints from now on, once `marker` appears in it. */
async function nextUpdate(marker: string, since: number): Promise<string> {
  await waitFor(() => upOutput.slice(since).includes(marker), {
    timeout: 20_000,
    what: `up to print '${marker}'`,
  });
  // The update's block ends with its registry line (or its refusal).
  await new Promise((r) => setTimeout(r, 100));
  return upOutput.slice(since);
}

/** The console's address and token, as `up` printed them. */
function consoleUrl(): { origin: string; token: string } {
  const match =
    /^mesh console: (http:\/\/127\.0\.0\.1:\d+\/)\?token=([\w-]+) \(in a terminal: npx amqp-mesh status \S+ --out \S+\)$/m.exec(
      upOutput,
    );
  if (match === null) throw new Error(`up printed no console URL:\n${upOutput}`);
  return { origin: match[1]!, token: match[2]! };
}

/** A console path, with the token as a script sends it. */
async function fromConsole(path: string): Promise<Response> {
  const { origin, token } = consoleUrl();
  return fetch(`${origin}${path}`, { headers: { authorization: `Bearer ${token}` } });
}

/** RabbitMQ's own count of a queue's ready messages. */
async function rabbitCount(name: string): Promise<number | undefined> {
  const { stdout } = await promisify(execFile)("rabbitmqctl", [
    "list_queues",
    "-q",
    "--no-table-headers",
    "name",
    "messages_ready",
  ]);
  for (const line of stdout.split("\n")) {
    const [queueName, count] = line.trim().split(/\s+/);
    if (queueName === name) return Number(count);
  }
  return undefined;
}

/** How many times each function swapped its registry (the lines its live registry logs). */
async function swapsByFunction(): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const fn of ["aws-ingress", "azure-ingress", "invoice-sending", "order-invoicing"]) {
    const log = await readFile(join(out, "functions", `${fn}.log`), "utf8");
    counts[fn] = log.split("\n").filter((l) => / registry [0-9a-f]{12} → /.test(l)).length;
  }
  return counts;
}

async function routersWith(address: string): Promise<string[]> {
  const password = (await readFile(join(out, "sync-password"), "utf8")).trim();
  const found: string[] = [];
  for (const [id, url] of routerUrls()) {
    const session = await openManagement({
      url,
      sasl: { mechanism: "PLAIN", username: "amqp-mesh-sync", password },
    });
    try {
      const addresses = await session.management.query("address");
      if (addresses.some((a) => a.attributes.prefix === address)) found.push(id);
    } finally {
      await session.close();
    }
  }
  return found;
}

describe("amqp-mesh up follows a registry edit: routers, both ingresses, the triggers", () => {
  beforeAll(async () => {
    project = await examplesOnFreePorts(folders);
    queue = await forTheStory(project);
    out = join(await folders.make(), "run");
    up = spawn(process.execPath, [BIN, "up", project, "--out", out], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, RABBIT_PASSWORD: "guest" },
    });
    up.stdout?.on("data", (chunk: Buffer) => {
      upOutput += chunk.toString();
    });
    up.stderr?.on("data", (chunk: Buffer) => {
      upOutput += chunk.toString();
    });
    await waitFor(() => upOutput.includes("local platform running") || up.exitCode !== null, {
      timeout: 90_000,
      what: "up to start the local platform",
    });
    expect(upOutput).toContain("local platform running");
    expect(routerUrls().size).toBe(8);
  }, 100_000);

  afterAll(async () => {
    if (up !== undefined && up.exitCode === null) {
      const exited = new Promise((resolve) => up.once("exit", resolve));
      up.kill("SIGINT");
      await exited;
    }
    if (queue !== "") await deleteQueues(queue).catch(() => undefined);
    await folders.cleanup();
  });

  it("serves the mesh console it prints, with its token: the page, a view with every router up and no drift, the broker queue's depth as RabbitMQ counts it", async () => {
    const { origin, token } = consoleUrl();
    expect((await fetch(origin)).status).toBe(401);
    const opened = await fetch(`${origin}?token=${token}`, { redirect: "manual" });
    expect(opened.status).toBe(303);
    expect(opened.headers.get("set-cookie")).toMatch(/; HttpOnly; SameSite=Strict$/);
    const page = await fromConsole("");
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<script src="/console.js"');
    interface View {
      summary: { up: number; routers: number; channels: number; drift: number };
      routers: { drift?: { entries: unknown[] } }[];
      channels: { address: string; queueDepth?: { queue: string; messages?: number } }[];
    }
    const view = await waitForValue(
      async () => {
        const v = (await (await fromConsole("api/view")).json()) as View;
        const depth = v.channels.find((c) => c.address === "billing/invoices")?.queueDepth;
        return v.summary.up === 8 &&
          v.routers.every((r) => r.drift !== undefined) &&
          depth?.messages !== undefined
          ? v
          : undefined;
      },
      { timeout: 20_000, interval: 200, what: "the console's view of 8 routers up, drift checked" },
    );
    expect(view.summary).toMatchObject({ up: 8, routers: 8, channels: 7, drift: 0 });
    const depth = view.channels.find((c) => c.address === "billing/invoices")?.queueDepth;
    expect(depth?.queue).toBe(queue);
    expect(depth?.messages).toBe(await rabbitCount(queue));
    expect(upOutput).toContain(`channel catalog: ${origin}catalog/ `);
  });

  it("a channel added: live on every router and both ingresses (404 → 202), the handlers' registry digest printed, a message crossing the clouds", async () => {
    expect(await post("aws", "sales/returns", { order: "o-0" })).toBe(404);
    expect(await post("azure", "sales/returns", { order: "o-0" })).toBe(404);
    expect(await routersWith("sales/returns")).toEqual([]);
    const catalogBefore = await (await fromConsole("catalog/")).text();
    expect(catalogBefore).toContain("sales/orders");
    expect(catalogBefore).not.toContain("sales/returns");
    const salesBefore = await (await fromConsole("catalog/sales.asyncapi.yaml")).text();

    const file = join(project, "registry", "sales.yaml");
    const doc = parse(await readFile(file, "utf8")) as { channels: unknown[] };
    doc.channels.push({
      address: "sales/returns",
      description: "Returned orders.",
      distribution: "balanced",
      delivery: "at-least-once",
      producers: ["sales"],
      consumers: ["logistics"],
    });
    const since = upOutput.length;
    await writeFile(file, stringify(doc));
    const update = await nextUpdate("ingress and triggers: registry", since);
    expect(update).toContain("uploaded to both stores: registry/sales.yaml");
    expect(update).toMatch(/config-sync aws: 1 event\(s\), ok, 4 routers, 8 operations/);
    expect(update).toMatch(/config-sync azure: 1 event\(s\), ok, 4 routers, 8 operations/);
    expect(update).toMatch(/azure-we-edge-2: 1 CREATE address, 1 UPDATE vhost/);
    expect(update).toContain("channels: +sales/returns; none removed");
    expect(update).toMatch(/ingress and triggers: registry ([0-9a-f]{12}) → ([0-9a-f]{12})/);
    const [, before, after] = /registry ([0-9a-f]{12}) → ([0-9a-f]{12})/.exec(update)!;
    expect(after).not.toBe(before);
    // Each function learnt it from its own cloud's store, as deployed: the AWS ones from the
    // bucket, the Azure ones from the container (their logs name where they read it).
    expect(update).toMatch(
      /read from their stores by aws ingress, azure ingress, invoice-sending, order-invoicing/,
    );
    const swap = `registry ${before} → ${after} (from `;
    for (const [fn, store] of [
      ["aws-ingress", "s3://amqp-mesh-registry/published/registry-snapshot.json"],
      ["invoice-sending", "s3://amqp-mesh-registry/published/registry-snapshot.json"],
      ["azure-ingress", "/devstoreaccount1/amqp-mesh-registry/published/registry-snapshot.json"],
      ["order-invoicing", "/devstoreaccount1/amqp-mesh-registry/published/registry-snapshot.json"],
    ] as const) {
      const log = await readFile(join(out, "functions", `${fn}.log`), "utf8");
      expect(log.split("\n").find((l) => l.includes(swap)) ?? `${fn}.log: no '${swap}'`).toContain(
        `${store})`,
      );
    }

    expect((await routersWith("sales/returns")).sort()).toEqual([...routerUrls().keys()].sort());

    // The catalog beside the console follows the registry config-sync accepted, and so does
    // the console's list of channels.
    const catalogAfter = await (await fromConsole("catalog/")).text();
    expect(catalogAfter).toContain('"address":"sales/returns"');
    const sales = parse(await (await fromConsole("catalog/sales.asyncapi.yaml")).text()) as {
      info: { version: string };
      channels: Record<string, { address: string }>;
    };
    expect(sales.channels["sales.returns"]?.address).toBe("sales/returns");
    // An added channel breaks nobody: the major stays, the digest changes.
    const versionBefore = (parse(salesBefore) as { info: { version: string } }).info.version;
    expect(sales.info.version.split(".")[0]).toBe(versionBefore.split(".")[0]);
    expect(sales.info.version).not.toBe(versionBefore);
    expect(await readFile(join(out, "catalog", "sales.asyncapi.yaml"), "utf8")).toContain(
      "address: sales/returns",
    );
    const view = (await (await fromConsole("api/view")).json()) as {
      channels: { address: string }[];
    };
    expect(view.channels.map((c) => c.address)).toContain("sales/returns");

    const users = (await jsonOf<{ users: Record<string, string> }>("local-users.json")).users;
    const consumer = new MeshClient({
      urls: [routerUrls().get("azure-we-edge-2")!],
      sasl: {
        mechanism: "PLAIN",
        username: "logistics-tracker",
        password: users["logistics-tracker"] ?? "",
      },
    });
    try {
      const received: ReceivedMessage[] = [];
      await consumer.consume("sales/returns", (m) => void received.push(m)).ready();
      // The consumer's address reaches the AWS edge through the interiors: until it does, the
      // ingress's message is released and it answers 503.
      await waitFor(async () => (await post("aws", "sales/returns", { order: "o-1" })) === 202, {
        timeout: 20_000,
        what: "the AWS ingress to accept sales/returns",
      });
      expect(await post("azure", "sales/returns", { order: "o-2" })).toBe(202);
      await waitFor(() => received.length >= 2, { timeout: 10_000, what: "the returned orders" });
      expect(received.map((m) => m.body)).toEqual(
        expect.arrayContaining([{ order: "o-1" }, { order: "o-2" }]),
      );
    } finally {
      await consumer.close();
    }
  }, 90_000);

  it("an invalid edit: its errors with file and line, no management write, the handlers keep their registry", async () => {
    const file = join(project, "registry", "logistics.yaml");
    const good = await readFile(file, "utf8");
    const swapsBefore = await swapsByFunction();
    const since = upOutput.length;
    const catalogBefore = await (await fromConsole("catalog/logistics.asyncapi.yaml")).text();
    await writeFile(file, good.replace("distribution: closest", "distribution: sideways"));
    try {
      const update = await nextUpdate("nothing changed anywhere", since);
      expect(await (await fromConsole("catalog/logistics.asyncapi.yaml")).text()).toBe(
        catalogBefore,
      );
      expect(update).toMatch(/logistics\.yaml:\d+:\d+: error/);
      expect(update).not.toMatch(/config-sync (aws|azure):/);
      expect(update).not.toContain("ingress and triggers: registry");
      // And no function read anything new from its store (a few of its poll intervals later).
      await new Promise((r) => setTimeout(r, 4 * LOCAL_POLL_MS));
      expect(await swapsByFunction()).toEqual(swapsBefore);
      // What was live stays live: the ingress still knows the channel and checks its schema.
      expect(await post("aws", "logistics/tracking", { carrier: "no parcelId" })).toBe(422);
      expect((await routersWith("logistics/tracking")).length).toBe(8);
    } finally {
      const restored = upOutput.length;
      await writeFile(file, good);
      await nextUpdate("registry edit:", restored);
    }
  }, 60_000);

  it("a breaking change (the channel removed again): gone from the routers, and the catalog's sales document gets a new major version", async () => {
    const salesBefore = parse(await (await fromConsole("catalog/sales.asyncapi.yaml")).text()) as {
      info: { version: string };
    };
    const majorBefore = Number(salesBefore.info.version.split(".")[0]);
    const file = join(project, "registry", "sales.yaml");
    const doc = parse(await readFile(file, "utf8")) as { channels: { address: string }[] };
    doc.channels = doc.channels.filter((c) => c.address !== "sales/returns");
    const since = upOutput.length;
    await writeFile(file, stringify(doc));
    const update = await nextUpdate("ingress and triggers: registry", since);
    expect(update).toContain("channels: none added; -sales/returns");
    await waitFor(async () => (await routersWith("sales/returns")).length === 0, {
      what: "sales/returns gone from every router",
    });
    expect(await post("aws", "sales/returns", { order: "o-3" })).toBe(404);
    // Its consumers lose the channel: a breaking change for the sales document.
    const sales = parse(await (await fromConsole("catalog/sales.asyncapi.yaml")).text()) as {
      info: { version: string };
      channels: Record<string, unknown>;
    };
    expect(sales.channels["sales.returns"]).toBeUndefined();
    expect(Number(sales.info.version.split(".")[0])).toBe(majorBefore + 1);
    // The file in up's out folder says the same.
    expect(await readFile(join(out, "catalog", "sales.asyncapi.yaml"), "utf8")).toContain(
      `version: ${sales.info.version}`,
    );
  }, 60_000);
});
