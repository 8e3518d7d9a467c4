/**
 * `up --once`: the platform's whole story, each step timed, exit 0 only if every step held.
 * 1. HTTP POST on the AWS ingress → 202; 2. the mesh carries it to the trigger function on
 * the Azure side; 3. that function's publish reaches its consumer (the other cloud's
 * trigger, through the broker); 4. a channel added to the registry (in the run's copy of the
 * project, never the project itself) is live on every router (management QUERY) and on both
 * ingresses (202, not 404); 5. the edit reverted: gone from every router, 404 on both.
 */
import { randomUUID } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { parse, stringify } from "yaml";
import { MeshClient } from "../../shared/amqp/index.ts";
import { openManagement } from "../../shared/management/index.ts";
import type { ValidProject } from "../load-project.ts";
import type { Invocation } from "./cloud-triggers.ts";
import type { CloudTwin, RegistryUpdate } from "./cloud-twin.ts";
import type { LocalPlatform } from "./platform.ts";
import { SYNC_PRINCIPAL } from "./platform.ts";

const STEP_TIMEOUT_MS = 20_000;

export interface StoryStep {
  name: string;
  ok: boolean;
  ms: number;
  detail: string;
}

/** Invocations as they come, for a step to wait on one it expects. */
export class InvocationLog {
  readonly #seen: Invocation[] = [];
  readonly #waiters = new Set<() => void>();
  add(invocation: Invocation): void {
    this.#seen.push(invocation);
    for (const wake of this.#waiters) wake();
  }
  async waitFor(match: (i: Invocation) => boolean, timeoutMs: number): Promise<Invocation> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.#seen.find(match);
      if (found !== undefined) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`not within ${timeoutMs / 1000} s`);
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.#waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, left);
        this.#waiters.add(wake);
      });
    }
  }
}

/** Resolves with the next registry update the twin's watcher reports. */
export class UpdateLog {
  #next: Array<(update: RegistryUpdate) => void> = [];
  add(update: RegistryUpdate): void {
    const waiting = this.#next;
    this.#next = [];
    for (const resolve of waiting) resolve(update);
  }
  next(timeoutMs: number): Promise<RegistryUpdate> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no registry update within ${timeoutMs / 1000} s`)),
        timeoutMs,
      );
      this.#next.push((update) => {
        clearTimeout(timer);
        resolve(update);
      });
    });
  }
}

interface StoryOptions {
  platform: LocalPlatform;
  twin: CloudTwin;
  invocations: InvocationLog;
  updates: UpdateLog;
  print: (line: string) => void;
}

function keyOf(keys: Record<string, string>, principal: string): string {
  const key = keys[principal];
  if (key === undefined) throw new Error(`no API key for ${principal}`);
  return key;
}

async function post(
  url: string,
  channel: string,
  key: string,
  body: unknown,
): Promise<{ status: number; text: string }> {
  const response = await fetch(`${url}/channels/${encodeURIComponent(channel)}/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": key },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(STEP_TIMEOUT_MS),
  });
  return { status: response.status, text: await response.text() };
}

/** Which routers hold an address entity for the channel (management QUERY, as config-sync's login). */
async function routersWithAddress(platform: LocalPlatform, address: string): Promise<string[]> {
  const found: string[] = [];
  await Promise.all(
    platform.routers.routers.map(async (router) => {
      const session = await openManagement({
        url: router.url,
        sasl: {
          mechanism: "PLAIN",
          username: SYNC_PRINCIPAL,
          password: platform.users.get(SYNC_PRINCIPAL) ?? "",
        },
      });
      try {
        const addresses = await session.management.query("address");
        if (
          addresses.some((a) => a.attributes.prefix === address || a.attributes.pattern === address)
        )
          found.push(router.id);
      } finally {
        await session.close();
      }
    }),
  );
  return found.sort();
}

export async function runOnceStory(options: StoryOptions): Promise<StoryStep[]> {
  const { platform, twin, invocations, updates, print } = options;
  const steps: StoryStep[] = [];
  const step = async (name: string, call: () => Promise<string>): Promise<boolean> => {
    const started = performance.now();
    let ok = true;
    let detail: string;
    try {
      detail = await call();
    } catch (error) {
      ok = false;
      detail = error instanceof Error ? error.message : String(error);
    }
    const ms = performance.now() - started;
    steps.push({ name, ok, ms, detail });
    print(`  ${ok ? "✓" : "✗"} ${name}: ${detail} (${ms.toFixed(0)} ms)`);
    return ok;
  };
  const keys = (
    JSON.parse(await readFile(twin.keysFile, "utf8")) as { keys: Record<string, string> }
  ).keys;
  const aws = twin.ingresses.find((i) => i.cloud === "aws");
  const azure = twin.ingresses.find((i) => i.cloud === "azure");
  const project = platform.project as ValidProject;
  const login = aws?.login ?? "";
  const team = project.registry.teams.find((t) => t.principals.includes(login));

  // 1–3: the sample order through both clouds, when the project is the example's shape.
  const orderTrigger = twin.triggers.find((t) => t.channel === "sales/orders");
  const invoiceTrigger = twin.triggers.find((t) => t.channel === "billing/invoices");
  const orderId = `ord-${Date.now()}`;
  let postedAt = 0;
  await step("HTTP POST sales/orders on the AWS ingress", async () => {
    if (aws === undefined) throw new Error("no AWS ingress");
    const order = { orderId, customerId: "c-once", lines: [{ sku: "sku-1", quantity: 2 }] };
    // The trigger's consumer has just attached: until the mesh has spread its address to the
    // AWS edge routers (seconds on real routers), the ingress answers 503 no-consumer with a
    // Retry-After, and nothing is published. Retried as a well-behaved client would.
    const deadline = Date.now() + STEP_TIMEOUT_MS;
    for (let tries = 1; ; tries++) {
      postedAt = performance.now();
      const answer = await post(aws.url, "sales/orders", keyOf(keys, login), order);
      if (answer.status === 202)
        return `202 ${answer.text}${tries > 1 ? ` (try ${tries}: 503 no-consumer until the mesh knew the trigger's consumer)` : ""}`;
      const noConsumer = answer.status === 503 && answer.text.includes("no-consumer");
      if (!noConsumer || Date.now() + 1_000 > deadline)
        throw new Error(`answered ${answer.status}: ${answer.text}`);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  });
  await step("the mesh carries it to the trigger on the Azure side", async () => {
    if (orderTrigger === undefined) throw new Error("no trigger function on sales/orders");
    const invocation = await invocations.waitFor(
      (i) => i.trigger === orderTrigger.name && i.records.some((r) => r.body.includes(orderId)),
      STEP_TIMEOUT_MS,
    );
    if (invocation.failed > 0) throw new Error(`${orderTrigger.name} failed its batch`);
    return `${orderTrigger.name} ran on ${invocation.cloud} (${orderTrigger.environment}), ${invocation.records.length} message(s), 0 failed, ${(invocation.at - postedAt).toFixed(0)} ms after the POST`;
  });
  await step("its publish reaches a consumer", async () => {
    if (invoiceTrigger === undefined) {
      const why = twin.notStarted.find((n) => n.channel === "billing/invoices");
      throw new Error(
        `no consumer of billing/invoices runs${why ? `: ${why.name} was not started — ${why.reason}` : ""}`,
      );
    }
    const invocation = await invocations.waitFor(
      (i) => i.trigger === invoiceTrigger.name && i.records.some((r) => r.body.includes(orderId)),
      STEP_TIMEOUT_MS,
    );
    return `invoice inv-${orderId} reached ${invoiceTrigger.name} on ${invocation.cloud} through ${invocation.channel}, ${(invocation.at - postedAt).toFixed(0)} ms after the POST`;
  });

  // 4–5: a channel added to the registry copy, then the edit reverted.
  const file =
    team === undefined ? undefined : join(twin.registryDir, "registry", basename(team.file));
  const address = `${team?.team ?? "x"}/up-once-${randomUUID().slice(0, 8)}`;
  let original: string | undefined;
  const consumerTeam = project.registry.teams.find((t) => t !== team) ?? team;
  const consumer = consumerTeam?.principals[0] ?? login;
  let receiver: MeshClient | undefined;
  const bothIngresses = async (expected: number) => {
    const answers: string[] = [];
    for (const ingress of [aws, azure]) {
      if (ingress === undefined) continue;
      const answer = await post(ingress.url, address, keyOf(keys, login), { once: true });
      if (answer.status !== expected)
        throw new Error(
          `${ingress.cloud} ingress answered ${answer.status}, not ${expected}: ${answer.text}`,
        );
      answers.push(`${ingress.cloud} ${answer.status}`);
    }
    return answers.join(", ");
  };
  await step(
    `registry edit: channel ${address} added → every router and both ingresses`,
    async () => {
      if (file === undefined || team === undefined)
        throw new Error(`no team with the ingress login ${login}`);
      original = await readFile(file, "utf8");
      const doc = parse(original) as { channels: unknown[] };
      doc.channels.push({
        address,
        description: "Added by up --once, removed again at once.",
        distribution: "balanced",
        delivery: "at-least-once",
        producers: [team.team],
        consumers: [consumerTeam?.team ?? team.team],
      });
      const update = updates.next(STEP_TIMEOUT_MS);
      await writeFile(file, stringify(doc));
      const done = await update;
      if (done.change === undefined) throw new Error(done.refused ?? "not accepted");
      if (!done.change.added.includes(address))
        throw new Error(`the update did not add ${address}`);
      const routers = await routersWithAddress(platform, address);
      if (routers.length !== platform.routers.routers.length)
        throw new Error(
          `only ${routers.length} of ${platform.routers.routers.length} routers have it: ${routers.join(", ")}`,
        );
      // A consumer, so that an at-least-once publish is accepted rather than released.
      const edge =
        platform.routers.routers.filter((r) => r.mode === "edge").at(-1) ??
        platform.routers.routers[0];
      receiver = new MeshClient({
        urls: [platform.routers.url(edge?.id ?? "")],
        sasl: {
          mechanism: "PLAIN",
          username: consumer,
          password: platform.users.get(consumer) ?? "",
        },
        reconnect: { initialDelayMs: 100, maxDelayMs: 1_000, maxAttempts: 5 },
      });
      receiver.consume(address, () => undefined, { prefetch: 10 });
      const ingresses = await bothIngresses(202);
      return `synced in ${done.ms.toFixed(0)} ms; address on ${routers.length}/${routers.length} routers; ${ingresses}; registry ${done.change.digest.slice(0, 12)}`;
    },
  );
  await receiver?.close().catch(() => undefined);
  await step("registry edit reverted → gone from every router, 404 on both ingresses", async () => {
    if (file === undefined || original === undefined) throw new Error("nothing to revert");
    const update = updates.next(STEP_TIMEOUT_MS);
    await writeFile(file, original);
    const done = await update;
    if (done.change === undefined) throw new Error(done.refused ?? "not accepted");
    const routers = await routersWithAddress(platform, address);
    if (routers.length > 0) throw new Error(`still on ${routers.join(", ")}`);
    const ingresses = await bothIngresses(404);
    return `synced in ${done.ms.toFixed(0)} ms; on no router; ${ingresses}`;
  });
  return steps;
}
