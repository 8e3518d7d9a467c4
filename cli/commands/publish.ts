/**
 * `amqp-mesh publish <channel> [<dir>] [--data <json|@file>] [--cloudevent] [--as <principal>]
 * [--count n]`: publishes at-least-once on a channel as a principal and reports how many the
 * router accepted. The router decides who may publish (its vhost policy): a principal that
 * is not among the channel's producers is refused, and this says so.
 */
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import {
  isMeshError,
  type JsonValue,
  type MeshMessage,
  toAmqpMessage,
} from "../../shared/amqp/index.ts";
import type { CommandArgs, CommandOptions } from "../args.ts";
import {
  CLIENT_OPTIONS,
  channelAndPrincipal,
  clientFor,
  clientRouterUrl,
  principalLogin,
} from "../client-login.ts";
import { defineCommand } from "../command.ts";
import { loadValidProject } from "../load-project.ts";
import { RUNTIME_FAILURE } from "../local/errors.ts";
import { projectDir } from "../project-dir.ts";
import { UsageError } from "../usage.ts";

const options = {
  ...CLIENT_OPTIONS,
  data: {
    type: "string",
    value: "<json|@file>",
    help: "the payload: JSON text, or @file holding it (default {})",
  },
  cloudevent: {
    type: "boolean",
    help: "send it as a CloudEvent (binary mode; type amqp-mesh.cli.publish)",
  },
  count: { type: "string", value: "<n>", help: "how many messages (default 1, at most 1000000)" },
  deadline: {
    type: "string",
    value: "<ms>",
    help: "how long each publish may wait for credit and its outcome (default 10000)",
  },
} as const satisfies CommandOptions;

export const publishCommand = defineCommand({
  name: "publish",
  summary: "publish messages on a channel as a principal (at-least-once)",
  args: "<channel> [<dir>]",
  description:
    "Publishes --count messages on the channel from one router, each awaited until the router\n" +
    "accepts it, and prints how many were accepted and how fast. The password comes from\n" +
    "--password-file / MESH_SASL_PASSWORD, or from a local up's out/<project>/local-users.json.\n" +
    "<dir> defaults to examples. Exit 1 bad input, 3 refused or not accepted.",
  options,
  examples: [
    `publish sales/orders --data '{"orderId":"o-1","customerId":"c-1","lines":[{"sku":"s","quantity":1}]}'`,
    "publish sales/events --cloudevent --count 1000 --as sales-api --at aws-eu-edge-1",
  ],
  run: runPublish,
});

export function parseCount(value: string | undefined, max = 1_000_000): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1 || n > max)
    throw new UsageError(`--count must be a whole number from 1 to ${max}`);
  return n;
}

async function payloadOf(data: string | undefined): Promise<JsonValue> {
  if (data === undefined) return {};
  let text = data;
  if (data.startsWith("@")) {
    try {
      text = await readFile(data.slice(1), "utf8");
    } catch {
      throw new UsageError(`--data ${data}: the file cannot be read`);
    }
  }
  try {
    return JSON.parse(text) as JsonValue;
  } catch (error) {
    throw new UsageError(
      `--data is not JSON: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/** Messages in flight at once: the router's default link capacity is 250. */
const WINDOW = 200;

async function runPublish(args: CommandArgs<typeof options>): Promise<number> {
  const [channelName, dirArg, ...rest] = args.positionals;
  if (channelName === undefined) throw new UsageError("publish needs a <channel>");
  if (rest.length > 0) throw new UsageError("publish takes <channel> [<dir>]");
  const count = parseCount(args.values.count) ?? 1;
  const deadline = parseCount(args.values.deadline, 600_000) ?? 10_000;
  const payload = await payloadOf(args.values.data);
  const dir = await projectDir(dirArg ?? "examples");
  const project = await loadValidProject(dir);
  if (project === undefined) return 1;
  const { channel, principal } = channelAndPrincipal(
    project.registry,
    dir,
    channelName,
    args.values.as,
    "producer",
  );
  const router = await clientRouterUrl(args, project.topology);
  const client = clientFor(router.url, await principalLogin(args, dir, principal), args);
  const run = randomUUID().slice(0, 8);
  const message = (i: number): MeshMessage => {
    const id = `cli-${run}-${i + 1}`;
    if (args.values.cloudevent === true)
      return toAmqpMessage({
        specversion: "1.0",
        id,
        source: `amqp-mesh-cli/${principal}`,
        type: "amqp-mesh.cli.publish",
        time: new Date().toISOString(),
        datacontenttype: "application/json",
        data: payload,
      });
    return { body: payload, messageId: id, contentType: "application/json" };
  };
  const where = `${principal}@${router.id ?? router.url}`;
  const started = performance.now();
  let accepted = 0;
  let failure: unknown;
  try {
    let next = 0;
    const worker = async () => {
      while (failure === undefined && next < count) {
        const i = next++;
        try {
          await client.publish(channel.address, message(i), { deadline });
          accepted++;
        } catch (error) {
          failure ??= error;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(WINDOW, count) }, worker));
  } finally {
    await client.close();
  }
  const ms = performance.now() - started;
  const rate = accepted === 0 ? "" : `, ${Math.round((accepted * 1000) / ms)} msg/s`;
  console.log(
    `published on ${channel.address} as ${where}: ${accepted}/${count} accepted in ${ms.toFixed(0)} ms${rate}`,
  );
  if (failure === undefined) return 0;
  const code = isMeshError(failure) ? ` [${failure.code}]` : "";
  console.error(`publish: ${failure instanceof Error ? failure.message : String(failure)}${code}`);
  return RUNTIME_FAILURE;
}
