/**
 * Idempotent queued triggers with Powertools idempotency: each message (its channel, producer
 * and id together: shared/trigger/idempotency-key.ts) is run at most once across the broker's
 * redeliveries of a batch. The store is Redis-compatible (Powertools'
 * CachePersistenceLayer over a small RESP client, redis-cache-client.ts): ElastiCache/Valkey on AWS, Azure Cache for Redis
 * on Azure, Redis on 127.0.0.1:6379 locally. Both clouds' adapters use it.
 */
import { IdempotencyConfig, makeIdempotent } from "@aws-lambda-powertools/idempotency";
import { CachePersistenceLayer } from "@aws-lambda-powertools/idempotency/cache";
import type { BasePersistenceLayer } from "@aws-lambda-powertools/idempotency/persistence";
import type { Context } from "aws-lambda";
import type { IdempotencyGuard } from "../../shared/trigger/index.ts";
import { redisCache } from "./redis-cache-client.ts";

export interface IdempotencyGuardOptions {
  /** How long a completed message id is remembered (default 1 h; longer than the broker's redeliveries). */
  expiresAfterSeconds?: number;
  /** Separates functions sharing one store (default: the function's name). */
  keyPrefix?: string;
}

export interface ContextualIdempotencyGuard extends IdempotencyGuard {
  /** Lambda: lets an in-progress record expire with the invocation (a crash frees it). */
  registerLambdaContext(context: Context): void;
}

/** A guard over any Powertools persistence layer (DynamoDB, cache). */
export function powertoolsIdempotencyGuard(
  persistenceStore: BasePersistenceLayer,
  options: IdempotencyGuardOptions = {},
): ContextualIdempotencyGuard {
  const config = new IdempotencyConfig({
    eventKeyJmesPath: "key",
    expiresAfterSeconds: options.expiresAfterSeconds ?? 3_600,
  });
  const run = makeIdempotent(
    async (input: { key: string; work: () => Promise<void> }): Promise<{ done: true }> => {
      await input.work();
      return { done: true };
    },
    {
      persistenceStore,
      config,
      ...(options.keyPrefix === undefined ? {} : { keyPrefix: options.keyPrefix }),
    },
  );
  return {
    async once(key, work) {
      await run({ key, work });
    },
    registerLambdaContext: (context) => config.registerLambdaContext(context),
    // Outside Lambda (Azure, local) Powertools reads the time left from a Lambda-like context.
    useRemainingTime: (remainingMs) => {
      if (Number.isFinite(remainingMs()))
        config.registerLambdaContext({ getRemainingTimeInMillis: remainingMs } as Context);
    },
  };
}

/** The Redis client Powertools' cache layer needs (connected). */
export type RedisCacheClient = ConstructorParameters<typeof CachePersistenceLayer>[0]["client"];

/** A guard over a Redis-compatible cache. */
export function redisIdempotencyGuard(
  client: RedisCacheClient,
  options: IdempotencyGuardOptions = {},
): ContextualIdempotencyGuard {
  return powertoolsIdempotencyGuard(new CachePersistenceLayer({ client }), options);
}

/** A guard over the Redis at `url` (redis:// or rediss://); connects on first use. */
export async function connectRedisIdempotencyGuard(
  url: string,
  options: IdempotencyGuardOptions = {},
): Promise<{ guard: ContextualIdempotencyGuard; close(): Promise<void> }> {
  const client = redisCache(url);
  return {
    guard: redisIdempotencyGuard(client as unknown as RedisCacheClient, options),
    close: () => client.quit(),
  };
}

/**
 * A queued trigger's guard from its settings: the Redis at IDEMPOTENCY_REDIS_URL, keyed by
 * the function's name. Unset, there is none, and `warn` is told what that costs: every
 * message of a failed batch runs again on the broker's redelivery (`broker` names it).
 */
export async function idempotencyGuardFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  functionName: string,
  broker: string,
  warn: (message: string) => void,
): Promise<ContextualIdempotencyGuard | undefined> {
  const url = env.IDEMPOTENCY_REDIS_URL;
  if (url === undefined || url === "") {
    warn(
      `IDEMPOTENCY_REDIS_URL is not set: ${broker} redeliveries run every message of a failed batch again`,
    );
    return undefined;
  }
  return (await connectRedisIdempotencyGuard(url, { keyPrefix: functionName })).guard;
}
