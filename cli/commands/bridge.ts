/**
 * `amqp-mesh bridge <dir> --channel <address> (--handler <module> | --lambda <function> |
 * --azure <url>)`: bridge mode of a channel trigger. Consumes the channel from an edge router
 * (MESH_URLS, `--url`, or `--router <id>` of the project's topology) and feeds the function:
 * in this process, through Lambda Invoke, or over HTTP with the Azure function key
 * (AZURE_FUNCTION_KEY). Runs until SIGINT/SIGTERM, then stops gracefully and prints what it
 * settled. Exit 3 when the function cannot be invoked at all (not found, not authorized), or
 * the router refuses the bridge's login or denies it by policy (a router that is down is
 * waited for, with backoff).
 */
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { lambdaInvoker } from "../../functions/aws/trigger/lambda-invoker.ts";
import {
  isFinalConnectionFailure,
  MeshClient,
  type MeshClientConfigInput,
} from "../../shared/amqp/index.ts";
import { ingressSettingsFromEnv } from "../../shared/ingress/index.ts";
import { addressSegments, type RegisteredChannel } from "../../shared/registry/index.ts";
import { consumerAddresses, readRouterConfigs } from "../../shared/router-config/index.ts";
import type { RouterFlavour, Topology } from "../../shared/topology/index.ts";
import {
  type BridgeFatalError,
  type BridgeStats,
  ChannelBridge,
  catalogOfRegistry,
  channelPublisher,
  FileAttemptLedger,
  type FunctionInvoker,
  httpInvoker,
  inProcessInvoker,
  isChannelHandlerDefinition,
} from "../../shared/trigger/index.ts";
import type { CommandArgs, CommandOptions } from "../args.ts";
import { defineCommand } from "../command.ts";
import { loadValidProject } from "../load-project.ts";
import { RUNTIME_FAILURE } from "../local/errors.ts";
import { outDirFor, untilInterrupted } from "../local/platform.ts";
import { projectDir } from "../project-dir.ts";
import { UsageError } from "../usage.ts";

const options = {
  channel: { type: "string", value: "<address>", help: "the channel to consume (required)" },
  handler: {
    type: "string",
    value: "<module>",
    help: "run the function in this process: a module whose default export is defineChannelHandler(...)",
  },
  lambda: { type: "string", value: "<function>", help: "invoke this AWS Lambda function" },
  azure: {
    type: "string",
    value: "<url>",
    help: "invoke this Azure function over HTTP (its key from AZURE_FUNCTION_KEY)",
  },
  url: {
    type: "string",
    value: "<amqp-url>",
    help: "the edge router to consume from (else MESH_URLS)",
  },
  router: {
    type: "string",
    value: "<id>",
    help: "the edge router of the project's topology to consume from (instead of --url)",
  },
  principal: {
    type: "string",
    value: "<name>",
    help: "log in as this principal with its local password (from the running `up`)",
  },
  out: {
    type: "string",
    value: "<dir>",
    help: "the running `up`'s out folder, for --principal (default out/<project folder name>)",
  },
  "batch-size": { type: "string", value: "<n>", help: "messages per invocation (default 10)" },
  "max-wait-ms": {
    type: "string",
    value: "<ms>",
    help: "how long a batch waits to fill (default 100)",
  },
  concurrency: { type: "string", value: "<n>", help: "invocations at once (default 4)" },
  "max-attempts": {
    type: "string",
    value: "<n>",
    help: "attempts per message before it is dead-lettered (default 5)",
  },
  "retry-delay-ms": {
    type: "string",
    value: "<ms>",
    help: "first retry delay, doubling with each attempt (default 500)",
  },
  "lambda-endpoint": {
    type: "string",
    value: "<url>",
    help: "the Lambda API endpoint (a local emulator)",
  },
  region: { type: "string", value: "<region>", help: "the Lambda's region (default AWS_REGION)" },
  flavour: {
    type: "string",
    value: "<flavour>",
    help: "the routers' flavour, qpid-dispatch or skupper-router: where a broker channel is consumed (default: the running `up`'s, else the topology's)",
  },
} as const satisfies CommandOptions;

type ParsedArgs = CommandArgs<typeof options>;

export const bridgeCommand = defineCommand({
  name: "bridge",
  summary: "run a channel's trigger function on its messages",
  args: "[<dir>]",
  description:
    "Consumes the channel from an edge router, batches, invokes the function (in process,\n" +
    "Lambda Invoke, or Azure over HTTP), settles each message by its answer and dead-letters\n" +
    "it after the last attempt; runs until Ctrl-C/SIGTERM. <dir> defaults to examples.\n" +
    "Exit 3 when the function cannot be invoked, or the router refuses the login.",
  options,
  examples: [
    "bridge examples --channel sales/orders --handler examples/functions/order-invoicing.ts --router aws-eu-edge-1 --principal billing-worker",
  ],
  run: runBridge,
});

function stringOption(args: ParsedArgs, name: keyof typeof options): string | undefined {
  return args.values[name];
}

function wholeNumber(
  args: ParsedArgs,
  name: keyof typeof options,
  min: number,
): number | undefined {
  const text = stringOption(args, name);
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < min)
    throw new UsageError(`--${name} must be a whole number ≥ ${min} (got '${text}')`);
  return value;
}

function sameAddress(a: string, b: string): boolean {
  return addressSegments(a).join("/") === addressSegments(b).join("/");
}

/** The router's client listener as a URL (amqp on loopback, amqps elsewhere). */
function routerUrl(topology: Topology, id: string): string {
  const router = topology.routers.find((r) => r.id === id);
  if (router === undefined)
    throw new UsageError(
      `--router '${id}' is not a router of the topology (${topology.routers.map((r) => r.id).join(", ")})`,
    );
  const clients = router.listeners.clients;
  if (clients === undefined) throw new UsageError(`router '${id}' has no client listener`);
  const host = clients.host ?? router.host;
  const loopback = host === "127.0.0.1" || host === "localhost";
  return `${loopback ? "amqp" : "amqps"}://${host}:${clients.port}`;
}

async function localPassword(out: string, principal: string): Promise<string> {
  const file = resolve(out, "local-users.json");
  let users: Record<string, unknown>;
  try {
    users = (JSON.parse(await readFile(file, "utf8")) as { users: Record<string, unknown> }).users;
  } catch {
    throw new UsageError(
      `--principal needs ${file}, which \`amqp-mesh up\` writes; start the local platform first`,
    );
  }
  const password = users?.[principal];
  if (typeof password !== "string")
    throw new UsageError(`principal '${principal}' is not in ${file}`);
  return password;
}

async function meshConfig(
  args: ParsedArgs,
  topology: Topology,
  out: string,
): Promise<MeshClientConfigInput> {
  const url = stringOption(args, "url");
  const router = stringOption(args, "router");
  if (url !== undefined && router !== undefined)
    throw new UsageError("give --url or --router, not both");
  const env: Record<string, string | undefined> = { ...process.env };
  if (url !== undefined) env.MESH_URLS = url;
  if (router !== undefined) env.MESH_URLS = routerUrl(topology, router);
  if ((env.MESH_URLS ?? "") === "")
    throw new UsageError(
      "no edge router: set MESH_URLS, or give --url <amqp-url> or --router <id>",
    );
  const principal = stringOption(args, "principal");
  if (principal !== undefined) {
    env.MESH_SASL_USERNAME = principal;
    env.MESH_SASL_PASSWORD = await localPassword(out, principal);
  }
  return ingressSettingsFromEnv(env).mesh;
}

/**
 * The flavour of the routers the bridge consumes from: `--flavour`, else that of the configs
 * the running `up` generated into `<out>/routers` (its `--engine`), else the topology's.
 */
async function routersFlavour(
  args: ParsedArgs,
  topology: Topology,
  out: string,
): Promise<RouterFlavour> {
  const given = stringOption(args, "flavour");
  if (given !== undefined) {
    if (given !== "qpid-dispatch" && given !== "skupper-router")
      throw new UsageError(`--flavour must be qpid-dispatch or skupper-router (got '${given}')`);
    return given;
  }
  const running = await readRouterConfigs(join(out, "routers")).catch(() => []);
  return running[0]?.flavour ?? topology.flavour;
}

async function loadDefinition(path: string, channel: string) {
  const module = (await import(pathToFileURL(resolve(path)).href)) as { default?: unknown };
  const definition = module.default;
  if (!isChannelHandlerDefinition(definition))
    throw new UsageError(
      `--handler ${path}: its default export must be defineChannelHandler({ channel, handler })`,
    );
  if (!sameAddress(definition.channel, channel))
    throw new UsageError(
      `--handler ${path} handles channel '${definition.channel}', not '${channel}'`,
    );
  return definition;
}

function summary(stats: BridgeStats): string {
  return (
    `received ${stats.received}, accepted ${stats.accepted}, dead-lettered ${stats.deadLettered}, ` +
    `rejected ${stats.rejected}, released ${stats.released}; ${stats.invocations} invocations ` +
    `(${stats.functionErrors} function errors, ${stats.invokeErrors} not reached), ${stats.retried} retries`
  );
}

async function runBridge(args: ParsedArgs): Promise<number> {
  if (args.positionals.length > 1) throw new UsageError("bridge takes one <dir>");
  const dir = await projectDir(args.positionals[0] ?? "examples");
  const address = stringOption(args, "channel");
  if (address === undefined) throw new UsageError("bridge needs --channel <address>");
  const targets = (["handler", "lambda", "azure"] as const).filter(
    (t) => stringOption(args, t) !== undefined,
  );
  if (targets.length !== 1)
    throw new UsageError(
      "give exactly one of --handler <module>, --lambda <function>, --azure <url>",
    );
  const settings = {
    batchSize: wholeNumber(args, "batch-size", 1),
    maxWaitMs: wholeNumber(args, "max-wait-ms", 0),
    concurrency: wholeNumber(args, "concurrency", 1),
    maxAttempts: wholeNumber(args, "max-attempts", 1),
    retryDelayMs: wholeNumber(args, "retry-delay-ms", 0),
  };
  const project = await loadValidProject(dir);
  if (project === undefined) return 1;
  const channel: RegisteredChannel | undefined = project.registry.channels.find((c) =>
    sameAddress(c.address, address),
  );
  if (channel === undefined) {
    console.error(`bridge: channel '${address}' is not in the registry of ${dir}`);
    return 1;
  }
  const out = outDirFor(dir, args.values.out);
  // A broker channel on skupper-router is read from its queue's outlet (router-config README).
  const flavour = await routersFlavour(args, project.topology, out);
  const client = new MeshClient(
    {
      ...(await meshConfig(args, project.topology, out)),
      consumerAddresses: consumerAddresses(project.registry, flavour),
    },
    { log: (line) => console.error(line) },
  );
  const catalog = catalogOfRegistry(project.registry);
  let invoker: FunctionInvoker;
  const handler = stringOption(args, "handler");
  const lambda = stringOption(args, "lambda");
  const azure = stringOption(args, "azure");
  if (handler !== undefined) {
    const definition = await loadDefinition(handler, channel.address);
    invoker = inProcessInvoker(definition, { catalog, publish: channelPublisher(client, catalog) });
  } else if (lambda !== undefined) {
    invoker = lambdaInvoker({
      functionName: lambda,
      region: stringOption(args, "region") ?? process.env.AWS_REGION,
      endpoint: stringOption(args, "lambda-endpoint"),
    });
  } else {
    invoker = httpInvoker({ url: azure as string, functionKey: process.env.AZURE_FUNCTION_KEY });
  }
  const broker =
    channel.routing.kind === "broker"
      ? project.topology.brokers.find(
          (b) => b.name === (channel.routing as { broker: string }).broker,
        )
      : undefined;
  let giveUp: (error: BridgeFatalError) => void = () => {};
  const gaveUp = new Promise<BridgeFatalError>((resolve) => {
    giveUp = resolve;
  });
  // Attempts counted across restarts of this bridge (out/bridge-attempts/<channel>.json).
  const attempts = new FileAttemptLedger(
    join(out, "bridge-attempts", `${encodeURIComponent(channel.address)}.json`),
    undefined,
    (message) => console.error(`bridge: ${message}`),
  );
  if (attempts.problem !== undefined) console.error(`bridge: ${attempts.problem}`);
  const bridge = new ChannelBridge({
    client,
    channel: channel.address,
    deadLetter: channel.deadLetter,
    invoker,
    attempts,
    ...Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined)),
    // RabbitMQ 3.x's AMQP 1.0 plugin drops the connection on drain.
    ...(broker?.flavour === "rabbitmq" ? { drainOnStop: false } : {}),
    log: (line) => console.error(line),
    onFatal: giveUp,
  });
  const interrupted = untilInterrupted();
  // A signal also ends a bridge still waiting for its router; a refused login ends it at once
  // (a router that is down is waited for: that heals).
  const started = await Promise.race([
    bridge.start().then(
      () => true,
      (error: unknown) => {
        if (!isFinalConnectionFailure(error)) throw error;
        giveUp(error);
        return false;
      },
    ),
    interrupted.then(() => false),
  ]);
  if (started) console.log(`bridge ${channel.address} ready → ${invoker.description}`);
  const end = await Promise.race([
    interrupted.then((signal) => ({ signal })),
    gaveUp.then((error) => ({ error })),
  ]);
  if ("signal" in end) {
    console.log(`${end.signal}: stopping`);
    await bridge.stop();
  }
  console.log(`bridge ${channel.address}: ${summary(bridge.stats)}`);
  await client.close();
  if ("error" in end) {
    console.error(`bridge: ${end.error.message}`);
    return RUNTIME_FAILURE;
  }
  return 0;
}
