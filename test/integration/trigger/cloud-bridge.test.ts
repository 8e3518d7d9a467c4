/**
 * The bridge into both clouds' function fronts, the same behaviours for each: on AWS through
 * a local stand-in of the Lambda Invoke API (the real @aws-sdk/client-lambda calls it, the
 * real middy handler answers), on Azure through a stand-in of the Functions host's HTTP front
 * (function key checked, the real v4 HTTP handler). Counted from the router's side: each
 * delivery's outcome as the router reported it to the producer, the dead letters that came
 * through the router, the router's delivery count on the bridge's link.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import type { HttpHandler } from "@azure/functions";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createTriggerLambdaHandler } from "../../../functions/aws/trigger/index.ts";
import { lambdaInvoker } from "../../../functions/aws/trigger/lambda-invoker.ts";
import { createTriggerHttpHandler } from "../../../functions/azure/trigger/handler.ts";
import { MeshClient } from "../../../shared/amqp/index.ts";
import {
  type BridgeFatalError,
  ChannelBridge,
  type ChannelHandlerDefinition,
  channelPublisher,
  defineChannelHandler,
  type FunctionInvoker,
  httpInvoker,
} from "../../../shared/trigger/index.ts";
import { closeAllClients, connectClient } from "../../support/amqp-client.ts";
import { type FunctionsHost, startFunctionsHost } from "../../support/azure-functions-host.ts";
import {
  type LambdaHandlerUnderTest,
  type LambdaInvokeServer,
  startLambdaInvokeServer,
  TEST_CREDENTIALS,
  TEST_REGION,
} from "../../support/lambda-invoke-server.ts";
import { startTargetMesh, stopTargetMeshes, type TargetMesh } from "../../support/target-mesh.ts";
import { waitFor } from "../../support/wait.ts";
import {
  deadLetterReceiver,
  exampleRegistry,
  order,
  orderMessage,
  produce,
  recordingHandler,
  routerLinkCounts,
  TARGET_FLAVOUR,
  TRIGGER_TARGET,
} from "./harness.ts";

process.env.POWERTOOLS_METRICS_DISABLED = "true";
const FUNCTION_KEY = "local-function-key";

let mesh: TargetMesh;
let publisherClient: MeshClient;
const bridges: ChannelBridge[] = [];
const servers: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  mesh = await startTargetMesh(
    { flavour: TARGET_FLAVOUR, routers: [{ id: "edge" }] },
    TRIGGER_TARGET,
  );
  publisherClient = new MeshClient({ urls: [mesh.router("edge").url] });
});
afterEach(async () => {
  for (const bridge of bridges.splice(0)) await bridge.stop(1_000);
  for (const server of servers.splice(0)) await server.close();
  await closeAllClients();
});
afterAll(async () => {
  await publisherClient.close(100);
  await stopTargetMeshes();
});

interface Cloud {
  /** Deploys the definitions under their names; the invoker reaches `name` (deployed or not). */
  deploy(
    definitions: ChannelHandlerDefinition<never>[],
    name: string,
  ): Promise<{ invoker: FunctionInvoker; invocations(): number }>;
}

const clouds: Record<"aws-lambda" | "azure-functions", Cloud> = {
  "aws-lambda": {
    async deploy(definitions, name) {
      const { catalog } = await exampleRegistry();
      const functions: Record<string, LambdaHandlerUnderTest> = {};
      for (const d of definitions)
        functions[d.name] = createTriggerLambdaHandler(d, {
          catalog,
          publish: channelPublisher(publisherClient, catalog),
          logger: new Logger({ serviceName: "trigger-test", logLevel: "SILENT" }),
          metrics: new Metrics({ namespace: "amqp-mesh-test", serviceName: d.name }),
        });
      const server: LambdaInvokeServer = await startLambdaInvokeServer(functions);
      servers.push(server);
      return {
        invoker: lambdaInvoker({
          functionName: name,
          endpoint: server.url,
          region: TEST_REGION,
          credentials: TEST_CREDENTIALS,
        }),
        invocations: () => server.invocations.filter((i) => i.functionName === name).length,
      };
    },
  },
  "azure-functions": {
    async deploy(definitions, name) {
      const { catalog } = await exampleRegistry();
      const routes: Record<string, HttpHandler> = {};
      for (const d of definitions)
        routes[`triggers/${d.name}`] = createTriggerHttpHandler(d, {
          catalog,
          publish: channelPublisher(publisherClient, catalog),
        });
      const host: FunctionsHost = await startFunctionsHost(routes, FUNCTION_KEY);
      servers.push(host);
      return {
        invoker: httpInvoker({ url: `${host.url}/triggers/${name}`, functionKey: FUNCTION_KEY }),
        invocations: () => host.calls.filter((c) => c.route === `triggers/${name}`).length,
      };
    },
  },
};

async function startBridge(
  invoker: FunctionInvoker,
  options: Partial<ConstructorParameters<typeof ChannelBridge>[0]> = {},
) {
  const client = new MeshClient({ urls: [mesh.router("edge").url] });
  let fatal: BridgeFatalError | undefined;
  const bridge = new ChannelBridge({
    client,
    channel: "sales/orders",
    deadLetter: "sales/orders.dead",
    invoker,
    retryDelayMs: 10,
    retryMaxDelayMs: 50,
    maxWaitMs: 20,
    onFatal: (error) => {
      fatal = error;
    },
    ...options,
  });
  bridges.push(bridge);
  servers.push({ close: () => client.close(100) });
  await bridge.start();
  return { bridge, fatal: () => fatal };
}

describe.each(Object.keys(clouds) as Array<keyof typeof clouds>)("bridge into %s", (cloudName) => {
  const cloud = clouds[cloudName];

  it("settles each message by the function's batchItemFailures: retried, then dead-lettered", async () => {
    const fn = recordingHandler((id, attempt) => id === "ord-2" || (id === "ord-3" && attempt < 3));
    const deployed = await cloud.deploy([fn.definition], fn.definition.name);
    const { bridge } = await startBridge(deployed.invoker, { maxAttempts: 3 });
    const producer = await connectClient(mesh.router("edge").url);
    const dead = await deadLetterReceiver(producer);
    const outcomes = await produce(
      producer,
      "sales/orders",
      [1, 2, 3, 4].map((n) => orderMessage(order(n), `${cloudName}-${n}`)),
    );
    expect(outcomes.map((o) => o.outcome)).toEqual([
      "accepted",
      "accepted",
      "accepted",
      "accepted",
    ]);
    expect(Object.fromEntries(fn.seen)).toEqual({ "ord-1": 1, "ord-2": 3, "ord-3": 3, "ord-4": 1 });
    await waitFor(() => dead.messages.length === 1, { what: "the dead letter" });
    expect(dead.messages[0]?.message.message_id).toBe(`${cloudName}-2`);
    expect(dead.messages[0]?.message.application_properties?.["amqp-mesh-attempts"]).toBe(3);
    expect(
      (await routerLinkCounts(mesh.router("edge").url, "sales/orders", TARGET_FLAVOUR)).delivered,
    ).toBe(4);
    expect(bridge.stats).toMatchObject({ accepted: 3, deadLettered: 1, functionErrors: 0 });
  });

  it("retries a batch the function failed as a whole, then dead-letters it", async () => {
    // Deployed for another channel: the function throws on every invocation.
    const wrong = defineChannelHandler({
      channel: "billing/invoices",
      name: "misdeployed",
      handler: () => undefined,
    });
    const deployed = await cloud.deploy([wrong], "misdeployed");
    const { bridge } = await startBridge(deployed.invoker, { maxAttempts: 2 });
    const producer = await connectClient(mesh.router("edge").url);
    const dead = await deadLetterReceiver(producer);
    const [outcome] = await produce(producer, "sales/orders", [
      orderMessage(order(9), `${cloudName}-whole`),
    ]);
    expect(outcome?.outcome).toBe("accepted");
    await waitFor(() => dead.messages.length === 1, { what: "the dead letter" });
    // Lambda passes the error on (errorType: errorMessage); the Azure host answers a bare 500.
    const reason = String(
      dead.messages[0]?.message.application_properties?.["amqp-mesh-dead-letter-reason"],
    );
    expect(reason).toMatch(/failed 2 attempts; last: function error/);
    if (cloudName === "aws-lambda")
      expect(reason).toMatch(/ChannelMismatchError: .*handles channel "billing\/invoices"/);
    expect(bridge.stats.functionErrors).toBe(2);
    expect(deployed.invocations()).toBe(2);
  });

  it("stops and releases what it holds when the function does not exist (404)", async () => {
    const fn = recordingHandler();
    const deployed = await cloud.deploy([fn.definition], "not-deployed");
    const started = await startBridge(deployed.invoker);
    const producer = await connectClient(mesh.router("edge").url);
    const dead = await deadLetterReceiver(producer);
    const [outcome] = await produce(producer, "sales/orders", [orderMessage(order(1))]);
    // Released: the router may give it to another consumer; nothing was lost or dead-lettered.
    expect(outcome?.outcome).toBe("released");
    await waitFor(() => started.fatal() !== undefined, { what: "the bridge to give up" });
    expect(started.fatal()).toMatchObject({ status: 404 });
    expect(dead.messages).toEqual([]);
    expect(fn.calls).toEqual([]);
  });
});

describe("bridge into azure-functions, function key", () => {
  it("gives up at once when the host refuses the key (401)", async () => {
    const fn = recordingHandler();
    const deployed = await clouds["azure-functions"].deploy([fn.definition], fn.definition.name);
    const wrongKey = httpInvoker({
      url: deployed.invoker.description.replace(/^http:/, ""),
      functionKey: "not-the-key",
    });
    const started = await startBridge(wrongKey);
    const producer = await connectClient(mesh.router("edge").url);
    const [outcome] = await produce(producer, "sales/orders", [orderMessage(order(1))]);
    expect(outcome?.outcome).toBe("released");
    await waitFor(() => started.fatal() !== undefined, { what: "the bridge to give up" });
    expect(started.fatal()?.message).toMatch(/401.*function key/);
    expect(started.fatal()?.message).not.toContain("not-the-key");
    expect(fn.calls).toEqual([]);
  });
});
