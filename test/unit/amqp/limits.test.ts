/**
 * Every time limit the client takes is bounded: Node's setTimeout keeps at most 2^31 - 1 ms
 * (~24.8 days) and fires a longer one after 1 ms, so an unbounded deadline is a busy loop.
 * Config and per-call options get a ConfigError naming the field; nothing connects.
 */
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError, MeshClient, parseMeshClientConfig } from "../../../shared/amqp/index.ts";
import { withTimeout } from "../../support/wait.ts";

/** setTimeout's documented limit, written out (not taken from the client). */
const TIMER_LIMIT = 2 ** 31 - 1;
const DAY = 24 * 60 * 60 * 1000;

const clients: MeshClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close(0);
});

/** A client of a router that is not there: anything that gets past validation hangs or retries. */
function client(): MeshClient {
  const c = new MeshClient({ urls: ["amqp://127.0.0.1:1"] });
  clients.push(c);
  return c;
}

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

describe("time limits in the config", () => {
  it.each([
    ["publishDeadlineMs", { publishDeadlineMs: 30 * DAY }],
    ["connectTimeoutMs", { connectTimeoutMs: TIMER_LIMIT + 1 }],
    ["reconnect.initialDelayMs", { reconnect: { initialDelayMs: 30 * DAY } }],
    ["reconnect.maxDelayMs", { reconnect: { maxDelayMs: Number.MAX_SAFE_INTEGER } }],
    // rhea waits twice the idle timeout for a frame: twice it must fit a timer.
    ["idleTimeoutMs", { idleTimeoutMs: Math.floor(TIMER_LIMIT / 2) + 1 }],
  ])("%s beyond what a timer holds is refused, naming the field and the bound", (field, extra) => {
    const error = configError(() => parseMeshClientConfig({ urls: ["amqp://h"], ...extra }));
    expect(error.issues.join("\n")).toMatch(
      new RegExp(`^${field.replace(".", "\\.")}: must be at most`, "m"),
    );
  });

  it("the longest timer itself is accepted", () => {
    const config = parseMeshClientConfig({
      urls: ["amqp://h"],
      publishDeadlineMs: TIMER_LIMIT,
      idleTimeoutMs: Math.floor(TIMER_LIMIT / 2),
    });
    expect(config.publishDeadlineMs).toBe(TIMER_LIMIT);
  });

  it.each([Number.NaN, Number.POSITIVE_INFINITY, -1, 0, 1.5])(
    "publishDeadlineMs %s is refused",
    (value) => {
      configError(() => parseMeshClientConfig({ urls: ["amqp://h"], publishDeadlineMs: value }));
    },
  );
});

describe("time limits and bounds of each call", () => {
  it.each([
    ["30 days", 30 * DAY],
    ["Infinity", Number.POSITIVE_INFINITY],
    ["NaN", Number.NaN],
    ["0", 0],
    ["-5", -5],
  ])(
    "publish with a deadline of %s rejects with a ConfigError at once",
    async (_name, deadline) => {
      const mesh = client();
      const error = await withTimeout(
        mesh.publish("orders", { body: 1 }, { deadline }).catch((e: unknown) => e),
        2_000,
        "the publish to be refused",
      );
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).message).toContain(
        'invalid publish options for "orders": deadline:',
      );
      expect(mesh.status.state).toBe("idle");
    },
  );

  it("publish: an unknown delivery mode or a trace context that is not one is refused", async () => {
    const mesh = client();
    const bad = [
      { delivery: "exactly-once" as never },
      { traceContext: { traceparent: "00-..." } as never },
    ];
    for (const options of bad) {
      await expect(mesh.publish("a", { body: 1 }, options)).rejects.toBeInstanceOf(ConfigError);
    }
  });

  it("request with a timeout beyond a timer's reach rejects with a ConfigError at once", async () => {
    const mesh = client();
    const error = await withTimeout(
      mesh.request("svc", { body: 1 }, { timeoutMs: 30 * DAY }).catch((e: unknown) => e),
      2_000,
      "the request to be refused",
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain("timeoutMs: must be at most");
  });

  it.each([
    ["prefetch 0", { prefetch: 0 }, "prefetch: must be at least 1"],
    [
      "prefetch above half the session buffer",
      { prefetch: 1_025 },
      "prefetch: must be at most 1024",
    ],
    ["a fractional prefetch", { prefetch: 2.5 }, "prefetch:"],
    [
      "concurrency above prefetch",
      { prefetch: 4, concurrency: 5 },
      "concurrency: must not exceed prefetch",
    ],
    [
      "concurrency above the default prefetch",
      { concurrency: 20 },
      "concurrency: must not exceed prefetch",
    ],
    ["a stop timeout of 30 days", { stopTimeoutMs: 30 * DAY }, "stopTimeoutMs: must be at most"],
    ["a handler grace of NaN", { handlerGraceMs: Number.NaN }, "handlerGraceMs:"],
    [
      "a validate that is not a function",
      { validate: "id" as never },
      "validate: must be a function",
    ],
  ])("consume with %s throws a ConfigError naming it", (_name, options, problem) => {
    const mesh = client();
    const error = configError(() => mesh.consume("orders", () => {}, options));
    expect(error.message).toContain(problem);
    expect(mesh.status.state).toBe("idle");
  });

  it("stop() and close() refuse a grace period a timer cannot hold", async () => {
    const mesh = client();
    const consumer = mesh.consume("orders", () => {});
    await expect(consumer.stop(30 * DAY)).rejects.toBeInstanceOf(ConfigError);
    await expect(consumer.stop(Number.NaN)).rejects.toBeInstanceOf(ConfigError);
    await expect(mesh.close(-1)).rejects.toBeInstanceOf(ConfigError);
    expect(mesh.isClosed).toBe(false);
  });

  it("ttlMs must fit the AMQP header's uint", async () => {
    const mesh = client();
    const error = await mesh
      .publish("a", { body: 1, ttlMs: 2 ** 32 }, { deadline: 100 })
      .catch((e: unknown) => e);
    expect((error as Error).message).toContain("ttlMs: must fit an AMQP uint");
  });
});

describe("time limits, fuzzed", () => {
  const anyNumber = fc.oneof(
    fc.double(),
    fc.integer(),
    fc.constantFrom(TIMER_LIMIT, TIMER_LIMIT + 1, 2 ** 53, -0, Number.MIN_VALUE),
  );

  it("a config either parses with every time limit a timer can hold, or is a ConfigError", () => {
    fc.assert(
      fc.property(anyNumber, anyNumber, anyNumber, anyNumber, (deadline, connect, idle, delay) => {
        let config: ReturnType<typeof parseMeshClientConfig>;
        try {
          config = parseMeshClientConfig({
            urls: ["amqp://h"],
            publishDeadlineMs: deadline,
            connectTimeoutMs: connect,
            idleTimeoutMs: idle,
            reconnect: { initialDelayMs: delay, maxDelayMs: delay },
          });
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigError);
          return;
        }
        for (const ms of [
          config.publishDeadlineMs,
          config.connectTimeoutMs,
          config.reconnect.maxDelayMs,
        ]) {
          expect(Number.isInteger(ms) && ms >= 0 && ms <= TIMER_LIMIT).toBe(true);
        }
        expect(config.idleTimeoutMs * 2).toBeLessThanOrEqual(TIMER_LIMIT);
      }),
      { numRuns: 2_000 },
    );
  });

  it("consume options either start a consumer within bounds or throw a ConfigError", () => {
    const mesh = client();
    fc.assert(
      fc.property(
        fc.record(
          {
            prefetch: fc.oneof(anyNumber, fc.anything()),
            concurrency: fc.oneof(anyNumber, fc.anything()),
            stopTimeoutMs: fc.oneof(anyNumber, fc.anything()),
            handlerGraceMs: anyNumber,
            drainOnStop: fc.anything(),
          },
          { requiredKeys: [] },
        ),
        (options) => {
          try {
            void mesh.consume("fuzz", () => {}, options as never).stop(0);
          } catch (error) {
            expect(error).toBeInstanceOf(ConfigError);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
