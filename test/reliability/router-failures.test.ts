/**
 * The ingress under router failures: 10,000 at-least-once orders posted to the local HTTP
 * ingress (its client knows its environment's two edge routers as a failover list) on the
 * whole example mesh, while three routers are stopped as a crash would and started again —
 * an interior of each cloud and the ingress's own edge. A client retries what did not get a
 * 202 with the same Idempotency-Key, as the ingress's answers tell it to. Consumers on the
 * other cloud's edges must receive every message that got a 202 at least once. Duplicates,
 * retries and the failover time of each kill (kill → next accepted publish; goal R5 ≤ 2 s)
 * are printed, not asserted. RELIABILITY_MESSAGES changes the count.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../support/wait.ts";
import { VALID_ORDER } from "./bad-requests.ts";
import {
  type ChannelConsumer,
  ENGINE,
  type ReliabilityPlatform,
  startReliabilityPlatform,
  table,
} from "./platform.ts";

const MESSAGES = Number(process.env.RELIABILITY_MESSAGES ?? 10_000);
const CONCURRENCY = 16;
const MAX_ATTEMPTS = 60;
const CHANNEL = "sales/orders";
/** Stopped in this order, at these fractions of the run: one interior per cloud, then the ingress's edge. */
const KILLS: Array<{ router: string; at: number }> = [
  { router: "aws-eu-interior-1", at: 0.2 },
  { router: "azure-we-interior-1", at: 0.45 },
  { router: "aws-eu-edge-1", at: 0.7 },
];
/** How long a stopped router stays down after the first publish accepted without it. */
const DOWN_AFTER_FAILOVER_MS = 1_000;
/** A router with no failover by then is started again anyway, and the run fails on it. */
const NO_FAILOVER_AFTER_MS = 30_000;

let p: ReliabilityPlatform;
let consumers: ChannelConsumer[];

beforeAll(async () => {
  p = await startReliabilityPlatform();
  expect(p.ingressEdges[0], "the ingress's own edge is the first of its list").toBe(
    "aws-eu-edge-1",
  );
  consumers = [
    await p.consume(CHANNEL, "azure-we-edge-1"),
    await p.consume(CHANNEL, "azure-we-edge-2"),
  ];
}, 180_000);

afterAll(async () => {
  await p?.close();
});

interface KillRecord {
  router: string;
  stoppedAt: number;
  /** When the first request sent after the stop got its 202. */
  failoverMs?: number;
  /** Answers other than 202 between the stop and that 202. */
  errorsDuringFailover: number;
  /** Started again without a failover (NO_FAILOVER_AFTER_MS passed). */
  noFailover: boolean;
  restarted: boolean;
}

describe(`the ingress under router failures (${ENGINE})`, () => {
  it(`every one of ${MESSAGES.toLocaleString("en")} messages that got a 202 arrives while three routers are stopped and started`, async () => {
    const producer = p.producerOf(CHANNEL);
    const key = p.ingress.keys[producer] as string;
    const url = `${p.ingress.url}/channels/${encodeURIComponent(CHANNEL)}/messages`;
    const accepted = new Set<string>();
    const statuses = new Map<string, number>();
    const kills: KillRecord[] = [];
    let retries = 0;
    let gaveUp = 0;
    let current: KillRecord | undefined;
    const restarts: Promise<void>[] = [];

    const post = async (n: number): Promise<void> => {
      const id = `rel-${n}`;
      const body = JSON.stringify({ ...VALID_ORDER, orderId: `ord-${n}` });
      for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
        const sentAt = performance.now();
        let status: string;
        let retryAfterMs = 200;
        try {
          const response = await fetch(url, {
            method: "POST",
            headers: {
              "x-api-key": key,
              "content-type": "application/json",
              "idempotency-key": id,
            },
            body,
            signal: AbortSignal.timeout(30_000),
          });
          const text = await response.text();
          status = String(response.status);
          if (response.status === 202) {
            // The ingress scopes a caller's id to its principal: `<principal>/<id>`.
            const messageId = `${producer}/${id}`;
            expect(JSON.parse(text).messageId).toBe(messageId);
            accepted.add(messageId);
            const kill = current;
            if (
              kill !== undefined &&
              kill.failoverMs === undefined &&
              !kill.noFailover &&
              sentAt >= kill.stoppedAt
            ) {
              kill.failoverMs = performance.now() - kill.stoppedAt;
              restarts.push(restartLater(kill));
            }
          } else if (current !== undefined && current.failoverMs === undefined) {
            current.errorsDuringFailover++;
          }
          const retryAfter = Number(response.headers.get("retry-after"));
          if (Number.isFinite(retryAfter) && retryAfter > 0)
            retryAfterMs = Math.min(retryAfter * 1000, 1_000);
          // A 4xx other than those would be a bug of the test or the ingress: stop at once.
          if (response.status >= 400 && response.status < 500)
            throw new Error(`message ${id}: ${response.status} ${text}`);
        } catch (error) {
          if (error instanceof Error && error.message.startsWith(`message ${id}:`)) throw error;
          status = "no answer";
        }
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (status === "202") return;
        retries++;
        await new Promise((resolve) => setTimeout(resolve, retryAfterMs));
      }
      gaveUp++;
    };

    const restartLater = async (kill: KillRecord): Promise<void> => {
      await new Promise((resolve) => setTimeout(resolve, DOWN_AFTER_FAILOVER_MS));
      await p.routers.startRouter(kill.router);
      kill.restarted = true;
    };

    let next = 0;
    let killIndex = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < MESSAGES) {
          const n = next++;
          const kill = KILLS[killIndex];
          if (
            kill !== undefined &&
            n >= kill.at * MESSAGES &&
            (current === undefined || current.restarted)
          ) {
            killIndex++;
            const record: KillRecord = {
              router: kill.router,
              stoppedAt: performance.now(),
              errorsDuringFailover: 0,
              noFailover: false,
              restarted: false,
            };
            current = record;
            kills.push(record);
            await p.routers.stopRouter(kill.router);
            setTimeout(() => {
              if (record.failoverMs !== undefined) return;
              record.noFailover = true;
              restarts.push(restartLater(record));
            }, NO_FAILOVER_AFTER_MS);
          }
          await post(n);
        }
      }),
    );
    await Promise.all(restarts);
    const sendSeconds = (performance.now() - started) / 1000;

    const receivedIds = (): string[] =>
      consumers.flatMap((c) => c.received.map((m) => m.messageId ?? "(none)"));
    await waitFor(
      () => {
        const got = new Set(receivedIds());
        return [...accepted].every((id) => got.has(id));
      },
      { timeout: 60_000, interval: 250, what: "every accepted message at a consumer" },
    ).catch(() => {});
    const received = receivedIds();
    const unique = new Set(received);
    const missing = [...accepted].filter((id) => !unique.has(id));
    console.log(
      table(`ingress under router failures (${ENGINE})`, [
        ["messages", MESSAGES],
        ["accepted (202)", accepted.size],
        ["retries", retries],
        ["gave up", gaveUp],
        ["answers", [...statuses].map(([s, n]) => `${s}×${n}`).join(" ")],
        ["received", received.length],
        ["duplicates", received.length - unique.size],
        ["missing (202 but never received)", missing.length],
        ["seconds to send", sendSeconds.toFixed(1)],
        ["messages / s", Math.round(MESSAGES / sendSeconds)],
        ...kills.map((k): [string, string] => [
          `failover after stopping ${k.router}`,
          k.failoverMs === undefined
            ? "no publish accepted after it"
            : `${(k.failoverMs / 1000).toFixed(2)} s (goal ≤ 2 s), ${k.errorsDuringFailover} error answers meanwhile`,
        ]),
      ]),
    );

    expect(kills.map((k) => k.router)).toEqual(KILLS.map((k) => k.router));
    expect(
      kills.filter((k) => k.failoverMs === undefined).map((k) => k.router),
      `no publish accepted within ${NO_FAILOVER_AFTER_MS / 1000} s of stopping these routers`,
    ).toEqual([]);
    expect(kills.every((k) => k.restarted)).toBe(true);
    expect(missing.slice(0, 20), `${missing.length} accepted messages never arrived`).toEqual([]);
    expect(gaveUp, "messages that never got a 202").toBe(0);
  }, 600_000);
});
