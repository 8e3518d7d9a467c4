/**
 * `amqp-mesh tail <channel> [<dir>] [--as <principal>] [--count n] [--peek]`: receives a
 * channel's messages as a principal and pretty-prints each: payload, CloudEvent attributes,
 * trace context. Each is settled accepted (taken off the channel), or with --peek released
 * (the router gives it to another consumer).
 */
import {
  CloudEventInvalidError,
  fromAmqpMessage,
  type ReceivedMessage,
  RetryableError,
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
import { untilInterrupted } from "../local/platform.ts";
import { projectDir } from "../project-dir.ts";
import { UsageError } from "../usage.ts";
import { parseCount } from "./publish.ts";

const options = {
  ...CLIENT_OPTIONS,
  count: { type: "string", value: "<n>", help: "stop after n messages (default: until Ctrl-C)" },
  peek: {
    type: "boolean",
    help: "release each message instead of accepting it (it stays on the channel)",
  },
  wait: {
    type: "string",
    value: "<ms>",
    help: "give up after this long (exit 3 when fewer than --count came)",
  },
  json: { type: "boolean", help: "one JSON object per message instead of the pretty print" },
} as const satisfies CommandOptions;

export const tailCommand = defineCommand({
  name: "tail",
  summary: "receive a channel's messages as a principal and print them",
  args: "<channel> [<dir>]",
  description:
    "Consumes the channel on one router and prints each message: ids, CloudEvent attributes,\n" +
    "trace context (traceparent) and the payload. Accepts each (it is consumed), or with\n" +
    "--peek releases it. Passwords as for publish. <dir> defaults to examples.\n" +
    "Exit 0 done (or Ctrl-C), 3 refused, or --wait ran out before --count messages.",
  options,
  examples: [
    "tail sales/orders --count 1",
    "tail sales/orders --as billing-worker --at azure-we-edge-1 --peek",
  ],
  run: runTail,
});

const PRINTED_PROPERTIES = ["traceparent", "tracestate"];

export function describeMessage(message: ReceivedMessage, n: number, address: string): string {
  const lines = [
    `── #${n} ${address}  message-id ${message.messageId ?? "-"}${message.deliveryCount > 0 ? `  (redelivery ${message.deliveryCount})` : ""}`,
  ];
  const meta = [
    message.contentType === undefined ? undefined : `content-type ${message.contentType}`,
    message.subject === undefined ? undefined : `subject ${message.subject}`,
    message.correlationId === undefined ? undefined : `correlation-id ${message.correlationId}`,
    message.creationTime === undefined
      ? undefined
      : `created ${message.creationTime.toISOString()}`,
  ].filter((x) => x !== undefined);
  if (meta.length > 0) lines.push(`   ${meta.join("  ")}`);
  let payload: unknown = message.body;
  try {
    const event = fromAmqpMessage(message);
    const { data, ...attributes } = event;
    lines.push(
      `   cloudevent ${Object.entries(attributes)
        .map(([k, v]) => `${k}=${v instanceof Uint8Array ? `<${v.length} bytes>` : String(v)}`)
        .join(" ")}`,
    );
    payload = data;
  } catch (error) {
    if (!(error instanceof CloudEventInvalidError)) throw error;
  }
  const trace = PRINTED_PROPERTIES.filter(
    (k) => message.applicationProperties[k] !== undefined,
  ).map((k) => `${k}=${String(message.applicationProperties[k])}`);
  if (trace.length > 0) lines.push(`   trace ${trace.join(" ")}`);
  const others = Object.entries(message.applicationProperties).filter(
    ([k]) =>
      !PRINTED_PROPERTIES.includes(k) &&
      !k.startsWith("cloudEvents:") &&
      !k.startsWith("cloudEvents_"),
  );
  if (others.length > 0)
    lines.push(`   properties ${others.map(([k, v]) => `${k}=${String(v)}`).join(" ")}`);
  const shown =
    payload instanceof Uint8Array
      ? `<${payload.length} bytes>`
      : typeof payload === "string"
        ? payload
        : JSON.stringify(payload, null, 2);
  lines.push(...(shown ?? "").split("\n").map((l) => `   ${l}`));
  return lines.join("\n");
}

async function runTail(args: CommandArgs<typeof options>): Promise<number> {
  const [channelName, dirArg, ...rest] = args.positionals;
  if (channelName === undefined) throw new UsageError("tail needs a <channel>");
  if (rest.length > 0) throw new UsageError("tail takes <channel> [<dir>]");
  const count = parseCount(args.values.count);
  const wait = parseCount(args.values.wait, 86_400_000);
  const dir = await projectDir(dirArg ?? "examples");
  const project = await loadValidProject(dir);
  if (project === undefined) return 1;
  const { channel, principal } = channelAndPrincipal(
    project.registry,
    dir,
    channelName,
    args.values.as,
    "consumer",
  );
  const router = await clientRouterUrl(args, project.topology);
  const client = clientFor(router.url, await principalLogin(args, dir, principal), args);
  const peek = args.values.peek === true;
  const seen = new Set<string>();
  let received = 0;
  let refused: Error | undefined;
  let done: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => {
    done = resolve;
  });
  console.error(
    `tail ${channel.address} as ${principal}@${router.id ?? router.url}${peek ? " (peek: released)" : ""}`,
  );
  const consumer = client.consume(
    channel.address,
    (message) => {
      const key = message.messageId ?? `#${received}`;
      const repeat = peek && seen.has(key);
      if (!repeat && (count === undefined || received < count)) {
        seen.add(key);
        received++;
        console.log(
          args.values.json === true
            ? JSON.stringify({
                address: channel.address,
                ...message,
                body:
                  message.body instanceof Uint8Array
                    ? Buffer.from(message.body).toString("base64")
                    : message.body,
              })
            : describeMessage(message, received, channel.address),
        );
        if (count !== undefined && received >= count) done();
      }
      if (peek) throw new RetryableError("peeked", { release: true });
    },
    {
      prefetch: Math.min(count ?? 10, 100),
      onError: (error) => {
        refused = error;
        done();
      },
    },
  );
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      finished,
      count === undefined ? untilInterrupted() : new Promise<never>(() => undefined),
      new Promise<void>((resolve) => {
        if (wait !== undefined) timer = setTimeout(resolve, wait);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    await consumer.stop().catch(() => undefined);
    await client.close();
  }
  if (refused !== undefined) {
    console.error(`tail: ${refused.message}`);
    return RUNTIME_FAILURE;
  }
  if (count !== undefined && received < count) {
    console.error(`tail: ${received} of ${count} messages within ${wait} ms`);
    return RUNTIME_FAILURE;
  }
  return 0;
}
