/**
 * The local RabbitMQ (AMQP 1.0 plugin) for broker tests.
 *
 *   const rabbit = await probeRabbitMq();            // { reachable, reason }
 *   describe.skipIf(!rabbit.reachable && !IN_CI)(…)   // outside CI a missing broker skips
 *   beforeAll(() => requireRabbitMq(rabbit));         // under CI it fails, with the reason
 *
 * RabbitMQ 3.10's AMQP 1.0 plugin addresses queues as `/queue/<name>` (declared on use)
 * and `/amq/queue/<name>` (must exist); tests use `/queue/<name>`.
 */
import { connect } from "node:net";
import type { RouterEntity } from "../../shared/router-config/index.ts";
import { AMQP_SASL_HEADER } from "./raw-socket.ts";

/** The broker: RABBITMQ_URL (as in test/setup/rabbitmq.ts) or guest@127.0.0.1:5672. */
export const RABBITMQ = (() => {
  const url = new URL(process.env.RABBITMQ_URL ?? "amqp://guest:guest@127.0.0.1:5672");
  return {
    host: url.hostname,
    port: Number(url.port || 5672),
    username: decodeURIComponent(url.username || "guest"),
    password: decodeURIComponent(url.password || "guest"),
  };
})();

/** A router connector `rabbit` (role route-container, SASL PLAIN) to that broker. */
export function rabbitConnector(): RouterEntity {
  return {
    type: "connector",
    attributes: {
      name: "rabbit",
      host: RABBITMQ.host,
      port: String(RABBITMQ.port),
      role: "route-container",
      saslMechanisms: "PLAIN",
      saslUsername: RABBITMQ.username,
      saslPassword: RABBITMQ.password,
    },
  };
}

/** True under CI (the CI sets CI=true): broker tests must fail, never skip. */
export const IN_CI = process.env.CI === "true";

export interface RabbitProbe {
  reachable: boolean;
  reason: string;
}

export function probeRabbitMq(timeout = 1_000): Promise<RabbitProbe> {
  return new Promise((resolve) => {
    const socket = connect({ host: RABBITMQ.host, port: RABBITMQ.port });
    const done = (probe: RabbitProbe): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(probe);
    };
    const timer = setTimeout(
      () => done({ reachable: false, reason: `no answer from ${RABBITMQ.host}:${RABBITMQ.port}` }),
      timeout,
    );
    // An AMQP 1.0 broker answers a SASL protocol header with its own header.
    socket.on("connect", () => socket.write(AMQP_SASL_HEADER));
    socket.on("data", (data) =>
      done(
        data.subarray(0, 4).toString() === "AMQP"
          ? { reachable: true, reason: "" }
          : { reachable: false, reason: "port 5672 does not speak AMQP 1.0 (plugin disabled?)" },
      ),
    );
    socket.on("error", (error) => done({ reachable: false, reason: error.message }));
  });
}

/** Throws a clear error when RabbitMQ is not reachable (used under CI). */
export function requireRabbitMq(probe: RabbitProbe): void {
  if (!probe.reachable) {
    throw new Error(
      `RabbitMQ with the AMQP 1.0 plugin is required on ${RABBITMQ.host}:${RABBITMQ.port} ` +
        `for the broker tests (${probe.reason}). Start it and run ` +
        "`rabbitmq-plugins enable rabbitmq_amqp1_0` (the CI script .ci/run does both).",
    );
  }
}

/**
 * Deletes the queues a test run made (rabbitmqctl, best effort: a queue left behind is only
 * clutter). Names are matched by prefix.
 */
export async function deleteQueues(prefix: string): Promise<void> {
  const { execFile } = await import("node:child_process");
  const { promisify } = await import("node:util");
  const run = promisify(execFile);
  try {
    const { stdout } = await run("rabbitmqctl", [
      "list_queues",
      "-q",
      "--no-table-headers",
      "name",
    ]);
    // One rabbitmqctl (an Erlang VM) per queue, seconds each on a loaded machine: four at once.
    const names = stdout
      .split("\n")
      .map((l) => l.trim())
      .filter((name) => name.startsWith(prefix));
    const next = async (): Promise<void> => {
      const name = names.shift();
      if (name === undefined) return;
      await run("rabbitmqctl", ["delete_queue", name]).catch(() => {});
      await next();
    };
    await Promise.all([next(), next(), next(), next()]);
  } catch {
    // rabbitmqctl missing or not allowed: leave them.
  }
}
