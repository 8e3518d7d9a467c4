/**
 * The local Redis (127.0.0.1:6379, or REDIS_URL) for the idempotency store of queued
 * triggers. Like RabbitMQ: outside CI a missing Redis skips the suites that need it; under
 * CI=true they fail with the reason (`requireRedis`).
 */
import { connect } from "node:net";

export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

export interface RedisProbe {
  reachable: boolean;
  reason: string;
}

export function probeRedis(timeout = 1_000): Promise<RedisProbe> {
  const url = new URL(REDIS_URL);
  return new Promise((resolve) => {
    const socket = connect({ host: url.hostname, port: Number(url.port || 6379) });
    const done = (probe: RedisProbe): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(probe);
    };
    const timer = setTimeout(
      () => done({ reachable: false, reason: `no answer from ${url.host}` }),
      timeout,
    );
    socket.on("connect", () => socket.write("PING\r\n"));
    socket.on("data", (data) =>
      done(
        data.toString().startsWith("+PONG")
          ? { reachable: true, reason: "" }
          : { reachable: false, reason: `${url.host} does not answer PING like Redis` },
      ),
    );
    socket.on("error", (error) => done({ reachable: false, reason: error.message }));
  });
}

export function requireRedis(probe: RedisProbe): void {
  if (!probe.reachable)
    throw new Error(
      `Redis is required on ${REDIS_URL} for the idempotency tests of queued triggers (${probe.reason}); ` +
        "start it (`redis-server --daemonize yes`; .ci/run does)",
    );
}
