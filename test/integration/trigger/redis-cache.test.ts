/**
 * The functions' small Redis client against the real Redis, doing what Powertools' cache
 * persistence layer asks of it: SET with EX and NX (the in-progress lock), GET, DEL; a closed
 * port becomes an error that says where.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisCache } from "../../../functions/idempotency/redis-cache-client.ts";
import { IN_CI } from "../../support/rabbitmq.ts";
import { probeRedis, REDIS_URL, requireRedis } from "../../support/redis.ts";

const redis = await probeRedis();

describe.skipIf(!redis.reachable && !IN_CI)(
  `redis-cache-client on ${REDIS_URL} (${redis.reason || "reachable"})`,
  () => {
    const client = redisCache(REDIS_URL);
    const key = `amqp-mesh-test:${randomUUID()}`;
    beforeAll(() => requireRedis(redis));
    afterAll(async () => {
      await client.del([key]);
      await client.quit();
    });

    it("sets only when absent with NX, reads it back, expires with EX, deletes", async () => {
      expect(await client.set(key, { status: "INPROGRESS" }, { EX: 60, NX: true })).toBe("OK");
      expect(await client.set(key, "other", { EX: 60, NX: true })).toBeNull();
      expect(JSON.parse((await client.get(key)) ?? "null")).toEqual({ status: "INPROGRESS" });
      expect(await client.set(key, "done", { EX: 60 })).toBe("OK");
      expect(await client.get(key)).toBe("done");
      expect(await client.del([key])).toBe(1);
      expect(await client.get(key)).toBeNull();
    });

    it("answers pipelined commands in order", async () => {
      const keys = Array.from({ length: 50 }, (_, i) => `${key}:${i}`);
      await Promise.all(keys.map((k, i) => client.set(k, String(i), { EX: 30 })));
      expect(await Promise.all(keys.map((k) => client.get(k)))).toEqual(
        keys.map((_, i) => String(i)),
      );
      expect(await client.del(keys)).toBe(50);
    });

    it("fails with the address when nothing listens, and refuses a URL that is not redis", async () => {
      const nowhere = redisCache("redis://127.0.0.1:1");
      await expect(nowhere.get("k")).rejects.toThrow(/Redis 127\.0\.0\.1:1: .*ECONNREFUSED/);
      expect(() => redisCache("http://127.0.0.1:6379")).toThrow(
        /must be redis:\/\/ or rediss:\/\//,
      );
    });
  },
);
