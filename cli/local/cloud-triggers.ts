/**
 * The project's channel functions (`<project>/functions/*.ts` whose default export is
 * `defineChannelHandler(...)`) as channel triggers in bridge mode, each on its cloud's edge
 * routers, as deployed: a bridge consumes the channel (the edge routers as a failover list)
 * and invokes the function's cloud handler — on AWS the Lambda handler (middy, Powertools)
 * with the invocation Lambda Invoke would carry, on Azure the HTTP trigger with the
 * `HttpRequest` the Functions host would build — and settles each message by its answer.
 * The function publishes with the settings the deployed one reads (MESH_URLS = its cloud's
 * edge routers, its SASL login). Its registry (the catalog its publishes are checked against)
 * it reads as the deployed one does: from its cloud's store, live (`function-registries.ts`);
 * when it changes, the function opens a new publishing connection.
 *
 * Placement and login (the local platform's choice, written down in the README): a function
 * on a broker channel runs in the broker's environment (it reaches the queue there); the
 * others in the last environment of the topology, so that a message posted to the first
 * environment's ingress crosses the mesh to them. A function logs in as a principal that may
 * consume its channel, preferring the one allowed to publish to the channels its module names.
 */
import { randomUUID } from "node:crypto";
import type { WriteStream } from "node:fs";
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { HttpRequest, type HttpResponseInit, InvocationContext } from "@azure/functions";
import { createTriggerLambdaHandler } from "../../functions/aws/trigger/handler.ts";
import { createTriggerHttpHandler } from "../../functions/azure/trigger/handler.ts";
import { MeshClient, RenewablePublisher } from "../../shared/amqp/index.ts";
import type { ChannelRegistry, RegisteredChannel } from "../../shared/registry/index.ts";
import { PartyResolver } from "../../shared/registry/index.ts";
import type { Topology } from "../../shared/topology/index.ts";
import {
  type BatchResponse,
  ChannelBridge,
  type ChannelHandlerDefinition,
  channelPublisher,
  type FunctionInvoker,
  type InvokeResult,
  isChannelHandlerDefinition,
  liveChannelCatalog,
  publishSettingsFromEnv,
  type TriggerInvocation,
} from "../../shared/trigger/index.ts";
import { lambdaContext, logToFile } from "./cloud-sync.ts";
import type { FunctionRegistries } from "./function-registries.ts";
import type { Cloud } from "./registry-stores.ts";

export interface TriggerFunction {
  file: string;
  definition: ChannelHandlerDefinition<unknown>;
  /** Addresses the module's source names as string literals (what it may publish to). */
  named: string[];
}

export interface Invocation {
  trigger: string;
  cloud: Cloud;
  channel: string;
  records: TriggerInvocation["records"];
  failed: number;
  ms: number;
  /** performance.now() when the function answered. */
  at: number;
}

export interface LocalTrigger {
  name: string;
  channel: string;
  cloud: Cloud;
  environment: string;
  routers: string[];
  login: string;
  description: string;
  /** The registry it enforces now (its release's digest). */
  readonly registryDigest: string;
  stop(): Promise<void>;
}

/**
 * The channel functions of a project, loaded from `<dir>/functions/*.ts`; a module that
 * cannot be loaded is named with the reason in `failed` (the platform runs without it).
 */
export async function projectFunctions(
  dir: string,
): Promise<{ found: TriggerFunction[]; failed: Array<{ file: string; reason: string }> }> {
  const folder = join(dir, "functions");
  const found: TriggerFunction[] = [];
  const failed: Array<{ file: string; reason: string }> = [];
  let names: string[];
  try {
    names = (await readdir(folder)).filter((n) => n.endsWith(".ts")).sort();
  } catch {
    return { found, failed };
  }
  for (const name of names) {
    const file = join(folder, name);
    const source = await readFile(file, "utf8");
    // Only modules that define a handler: an app module (azure.ts) builds deployed triggers on import.
    if (!source.includes("defineChannelHandler")) continue;
    let module: { default?: unknown };
    try {
      module = (await import(pathToFileURL(file).href)) as { default?: unknown };
    } catch (error) {
      failed.push({ file, reason: loadFailure(file, source, error) });
      continue;
    }
    if (!isChannelHandlerDefinition(module.default)) continue;
    const named = [...source.matchAll(/["'`]([a-z0-9][\w.-]*(?:\/[\w.-]+)+)["'`]/gi)].map(
      (m) => m[1] as string,
    );
    found.push({ file, definition: module.default, named });
  }
  return { found, failed };
}

/** This repository's channel-handler module, which a project's functions import. */
const TRIGGER_MODULE = fileURLToPath(new URL("../../shared/trigger/index.ts", import.meta.url));

/**
 * Why a function module did not load, and what to do: a project copied out of this repository
 * keeps the examples' relative imports of it (`../../shared/trigger/index.ts`), which lead
 * nowhere from the copy — said with the import to write instead.
 */
export function loadFailure(file: string, source: string, error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  const missing = [...source.matchAll(/from\s+["'](\.{1,2}\/[^"']+)["']/g)]
    .map((m) => m[1] as string)
    .find((specifier) => !existsSync(resolve(dirname(file), specifier)));
  if (e?.code === "ERR_MODULE_NOT_FOUND" && missing !== undefined) {
    let instead = relative(dirname(file), TRIGGER_MODULE).split(sep).join("/");
    if (!instead.startsWith(".")) instead = `./${instead}`;
    return (
      `${file} imports '${missing}', which is not there (${resolve(dirname(file), missing)}): ` +
      "a project copied out of the amqp-mesh repository keeps the examples' imports of it; " +
      `import the platform's helpers from the repository instead ('${instead}' from this file), ` +
      "or keep the project inside the repository"
    );
  }
  return `${file} cannot be loaded: ${e?.message ?? String(error)}`;
}

export interface Placement {
  environment: string;
  cloud: Cloud;
  principal: string;
}

/** Where a function runs and as whom (see the module's comment). */
export function placeTrigger(
  fn: TriggerFunction,
  registry: ChannelRegistry,
  topology: Topology,
): Placement | string {
  const channel = registry.channels.find((c) => c.address === fn.definition.channel);
  if (channel === undefined) return `its channel '${fn.definition.channel}' is not in the registry`;
  const broker =
    channel.routing.kind === "broker"
      ? topology.brokers.find((b) => b.name === (channel.routing as { broker: string }).broker)
      : undefined;
  const environmentName = broker?.environment ?? topology.environments.at(-1)?.name;
  const environment = topology.environments.find((e) => e.name === environmentName);
  if (environment === undefined) return "the topology has no environment";
  const parties = new PartyResolver(registry.teams);
  const consumers = parties.principalsIn(channel.consumers);
  if (consumers.length === 0) return `channel '${channel.address}' names no consumer principal`;
  const publishes = (principal: string, c: RegisteredChannel) =>
    parties.principalsIn(c.producers).includes(principal);
  const score = (principal: string) =>
    fn.named.filter((address) =>
      registry.channels.some((c) => c.address === address && publishes(principal, c)),
    ).length;
  const principal = [...consumers].sort((a, b) => score(b) - score(a))[0] as string;
  return { environment: environment.name, cloud: environment.cloud as Cloud, principal };
}

function lambdaInvoker(
  fn: TriggerFunction,
  handler: ReturnType<typeof createTriggerLambdaHandler>,
): FunctionInvoker {
  const name = fn.definition.name;
  return {
    description: `lambda:${name} (in process, Invoke's JSON)`,
    async invoke(invocation): Promise<InvokeResult> {
      try {
        const answer = await handler(
          JSON.parse(JSON.stringify(invocation)),
          lambdaContext(name, 60_000),
        );
        return { kind: "answered", response: JSON.parse(JSON.stringify(answer ?? null)) };
      } catch (error) {
        const e = error as Error;
        return { kind: "function-error", message: `${e.name}: ${e.message}` };
      }
    },
  };
}

function azureInvoker(
  fn: TriggerFunction,
  handler: ReturnType<typeof createTriggerHttpHandler>,
  log: (line: string) => void,
): FunctionInvoker {
  const name = fn.definition.name;
  return {
    description: `azure:/triggers/${name} (in process, the host's HttpRequest)`,
    async invoke(invocation): Promise<InvokeResult> {
      const body = JSON.stringify(invocation);
      const request = new HttpRequest({
        method: "POST",
        url: `http://127.0.0.1/triggers/${name}`,
        headers: { "content-type": "application/json", "content-length": String(body.length) },
        body: { string: body },
      });
      const context = new InvocationContext({
        invocationId: randomUUID(),
        functionName: name,
        logHandler: (level, ...args) =>
          log(
            `${level} ${name} ${args.map((a) => (typeof a === "string" ? a : a instanceof Error ? a.message : JSON.stringify(a))).join(" ")}`,
          ),
      });
      try {
        const result = (await handler(request, context)) as HttpResponseInit;
        if ((result.status ?? 200) === 200) return { kind: "answered", response: result.jsonBody };
        return { kind: "function-error", message: `answered ${result.status}` };
      } catch (error) {
        // The host answers 500 when the function throws.
        return { kind: "function-error", message: `500 (${(error as Error).message})` };
      }
    },
  };
}

export interface StartTriggerOptions {
  fn: TriggerFunction;
  placement: Placement;
  /** The environment's edge routers, in failover order. */
  routers: ReadonlyArray<{ id: string; url: string }>;
  password: string;
  /** Where it reads the registry (its own reader of its cloud's store is opened here). */
  registries: FunctionRegistries;
  /** The channel's dead letter, if any. */
  deadLetter: string | undefined;
  /** The broker is RabbitMQ (its AMQP 1.0 plugin drops the connection on drain). */
  rabbit: boolean;
  /**
   * Where the platform consumes a channel when that is not its own address (a broker channel
   * on skupper-router: the queue's outlet, router-config's consumerAddresses).
   */
  consumerAddresses?: Readonly<Record<string, string>>;
  log: WriteStream;
  onInvocation?: (invocation: Invocation) => void;
}

export async function startTrigger(options: StartTriggerOptions): Promise<LocalTrigger> {
  const { fn, placement } = options;
  const name = fn.definition.name;
  const line = (text: string) => options.log.write(`${new Date().toISOString()} ${text}\n`);
  const env = {
    MESH_URLS: options.routers.map((r) => r.url).join(","),
    MESH_SASL_USERNAME: placement.principal,
    MESH_SASL_PASSWORD: options.password,
  };
  const mesh = publishSettingsFromEnv(env);
  if (mesh === undefined) throw new Error(`no edge routers for ${name}`);
  const { live } = options.registries.open(name, placement.cloud, line);
  const catalog = liveChannelCatalog(live);
  const publisher = new RenewablePublisher(mesh, { log: line });
  // The routers grant a new registry's rights to connections opened after it.
  live.onChange(() => void publisher.renew());
  const publish = channelPublisher(publisher, catalog);
  let invoker: FunctionInvoker;
  if (placement.cloud === "aws") {
    const logger = logToFile(new Logger({ serviceName: `amqp-mesh-trigger-${name}` }), options.log);
    const metrics = logToFile(
      new Metrics({ namespace: "amqp-mesh", serviceName: `trigger-${name}`, logger }),
      options.log,
    );
    invoker = lambdaInvoker(
      fn,
      createTriggerLambdaHandler(fn.definition, { catalog, publish, logger, metrics }),
    );
  } else {
    invoker = azureInvoker(fn, createTriggerHttpHandler(fn.definition, { catalog, publish }), line);
  }
  // Watched: each batch is reported to `up` with what it held and how it ended.
  const watched: FunctionInvoker = {
    description: invoker.description,
    async invoke(invocation) {
      const started = performance.now();
      const result = await invoker.invoke(invocation);
      const failed =
        result.kind === "function-error"
          ? invocation.records.length
          : ((result.response as BatchResponse | undefined)?.batchItemFailures?.length ?? 0);
      options.onInvocation?.({
        trigger: name,
        cloud: placement.cloud,
        channel: invocation.channel,
        records: invocation.records,
        failed,
        ms: performance.now() - started,
        at: performance.now(),
      });
      return result;
    },
  };
  const client = new MeshClient(
    {
      ...mesh,
      reconnect: { initialDelayMs: 200, maxDelayMs: 2_000 },
      ...(options.consumerAddresses ? { consumerAddresses: { ...options.consumerAddresses } } : {}),
    },
    { log: line },
  );
  const bridge = new ChannelBridge({
    client,
    channel: fn.definition.channel,
    deadLetter: options.deadLetter,
    invoker: watched,
    // Locally a message is handed on at once (deployed bridges batch: default 100 ms).
    maxWaitMs: 2,
    // Batches stay small at once: more of them in flight (deployed: the function's concurrency).
    concurrency: 16,
    ...(options.rabbit ? { drainOnStop: false } : {}),
    log: line,
    onFatal: (error) => line(`bridge ${name} stopped: ${error.message}`),
  });
  await bridge.start();
  return {
    name,
    channel: fn.definition.channel,
    cloud: placement.cloud,
    environment: placement.environment,
    routers: options.routers.map((r) => r.id),
    login: placement.principal,
    description: invoker.description,
    get registryDigest() {
      return live.digest;
    },
    stop: async () => {
      live.close();
      await bridge.stop().catch(() => undefined);
      await Promise.allSettled([client.close(500), publisher.close(500)]);
    },
  };
}
