/**
 * vitest global setup: make sure RabbitMQ answers AMQP 1.0 before the broker suites run.
 * RabbitMQ 3.x speaks AMQP 1.0 only with its plugin; enable it when the command is here.
 * If the broker stays unreachable, the broker suites fail with their own clear message.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import rhea from "rhea";
import { RABBITMQ } from "../support/rabbitmq.ts";

function speaksAmqp10(timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const container = rhea.create_container();
    const connection = container.connect({ ...RABBITMQ, reconnect: false });
    const done = (ok: boolean) => {
      clearTimeout(timer);
      connection.removeAllListeners();
      connection.on("error", () => {});
      connection.close();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    connection.once("connection_open", () => done(true));
    connection.once("connection_error", () => done(false));
    connection.once("disconnected", () => done(false));
  });
}

export default async function setup(): Promise<void> {
  if (await speaksAmqp10(3000)) return;
  try {
    await promisify(execFile)("rabbitmq-plugins", ["enable", "--quiet", "rabbitmq_amqp1_0"]);
  } catch (error) {
    console.warn(`test setup: could not enable RabbitMQ's AMQP 1.0 plugin: ${String(error)}`);
    return;
  }
  for (let attempt = 0; attempt < 10; attempt++) {
    if (await speaksAmqp10(2000)) return;
  }
  console.warn(
    `test setup: RabbitMQ at ${RABBITMQ.host}:${RABBITMQ.port} does not answer AMQP 1.0`,
  );
}
