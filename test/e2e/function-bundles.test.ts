/**
 * What `npm run bundle` writes is what gets deployed: each bundle, loaded in a fresh Node
 * process the way its platform loads it (Lambda imports index.mjs and calls `handler`; the
 * Azure worker imports the app's main), configured only by environment variables, publishes
 * through an emulated router to a consumer.
 */
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { BlobServiceClient } from "@azure/storage-blob";
import { type CryptoKey, exportJWK, generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalMesh } from "../../emulator/index.ts";
import { MeshClient, type ReceivedMessage } from "../../shared/amqp/index.ts";
import { newApiKey } from "../../shared/ingress/index.ts";
import { bundleFunctions } from "../../tools/bundle/bundle.ts";
import { apiGatewayEvent } from "../integration/ingress/harness.ts";
import { startTestMesh, stopAllMeshes } from "../support/local-mesh.ts";
import { probeRedis, REDIS_URL, requireRedis } from "../support/redis.ts";
import { startAzurite, startS3Emulator } from "../support/storage-emulators.ts";
import { waitFor } from "../support/wait.ts";
import { withReturns } from "../unit/registry-snapshot/live-support.ts";

const out = join(process.cwd(), ".tmp", "bundle-test");
const ORDER = { orderId: "ord-5", customerId: "c", lines: [{ sku: "s", quantity: 1 }] };
let mesh: LocalMesh;
let consumerClient: MeshClient;
const received: ReceivedMessage[] = [];
const invoices: ReceivedMessage[] = [];
const { key, entry } = newApiKey("sales-api");

beforeAll(async () => {
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  mesh = await startTestMesh({ routers: [{ id: "edge" }] });
  consumerClient = new MeshClient({ urls: [mesh.router("edge").url] });
  await consumerClient.consume("sales/orders", (m) => void received.push(m)).ready();
  await consumerClient.consume("billing/invoices", (m) => void invoices.push(m)).ready();
});
afterAll(async () => {
  await consumerClient.close(100);
  await stopAllMeshes();
  await rm(out, { recursive: true, force: true });
});

/** Runs `script` (an ES module) in a fresh node; resolves with what it printed last. */
function runNode(script: string, env: Record<string, string>): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
      env: { PATH: process.env.PATH ?? "", POWERTOOLS_METRICS_DISABLED: "true", ...env },
      stdio: ["ignore", "pipe", "pipe"],
      cwd: process.cwd(),
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      const last = stdout.trim().split("\n").at(-1) ?? "";
      if (code !== 0) reject(new Error(`node exited ${code}: ${stderr}`));
      else resolve(JSON.parse(last));
    });
  });
}

describe("function bundles", () => {
  it("bundles the example project, refusing nothing, into one folder per function", async () => {
    const results = await bundleFunctions("examples", out, () => {});
    expect(results?.map((r) => `${r.target.cloud}/${r.target.name}`)).toEqual([
      "aws/ingress",
      "azure/ingress",
      "aws/order-invoicing",
      "aws/invoice-sending",
      "azure/billing-triggers",
      "aws/sync",
      "azure/sync",
    ]);
    const snapshot = JSON.parse(
      await readFile(join(out, "aws", "ingress", "registry.json"), "utf8"),
    );
    expect(snapshot.channels.map((c: { address: string }) => c.address)).toContain("sales/orders");
    const azurePackage = JSON.parse(
      await readFile(join(out, "azure", "ingress", "package.json"), "utf8"),
    );
    expect(azurePackage).toMatchObject({ type: "module", main: "index.mjs" });
    // (seven functions, each index.mjs with its lazily loaded files: a minute on a busy machine)
  }, 300_000);

  const env = (): Record<string, string> => ({
    MESH_URLS: mesh.router("edge").url,
    INGRESS_API_KEYS: JSON.stringify([entry]),
  });

  it("the Lambda bundle answers an API Gateway event with 202 and the message arrives", async () => {
    const event = apiGatewayEvent({
      path: "/channels/sales%2Forders/messages",
      headers: {
        "content-type": "application/json",
        "x-api-key": key,
        "idempotency-key": "lambda-bundle-1",
      },
      body: JSON.stringify(ORDER),
    });
    const script = `
      const { handler } = await import(${JSON.stringify(join(out, "aws", "ingress", "index.mjs"))});
      const deadline = Date.now() + 10000;
      const context = { functionName: "ingress", awsRequestId: "r-1", invokedFunctionArn: "arn:aws:lambda:eu-west-1:1:function:ingress", getRemainingTimeInMillis: () => deadline - Date.now() };
      const result = await handler(JSON.parse(process.env.EVENT), context);
      console.log(JSON.stringify(result));
      process.exit(0);`;
    const result = (await runNode(script, { ...env(), EVENT: JSON.stringify(event) })) as {
      statusCode: number;
      body: string;
    };
    expect(result.statusCode, result.body).toBe(202);
    // The caller's key under its principal (shared/ingress/message-id.ts).
    expect(JSON.parse(result.body).messageId).toBe("sales-api/lambda-bundle-1");
    await waitFor(() => received.some((m) => m.messageId === "sales-api/lambda-bundle-1"));
  });

  it("the Lambda bundle verifies a JWT with jose loaded later from its own file (jwt.mjs), and refuses a forged one", async () => {
    // jose is not in index.mjs (the cold start of an API-key ingress does not pay for it).
    const index = await readFile(join(out, "aws", "ingress", "index.mjs"), "utf8");
    expect(index).toContain("./jwt.mjs");
    const { publicKey, privateKey } = await generateKeyPair("ES256");
    const forger = await generateKeyPair("ES256");
    const sign = (key: CryptoKey) =>
      new SignJWT({ sub: "sales-api" })
        .setProtectedHeader({ alg: "ES256", kid: "k1" })
        .setIssuer("https://issuer.example")
        .setAudience("amqp-mesh-ingress")
        .setIssuedAt()
        .setExpirationTime("5m")
        .sign(key);
    const event = (token: string, id: string) =>
      apiGatewayEvent({
        path: "/channels/sales%2Forders/messages",
        headers: {
          "content-type": "application/json",
          authorization: `Bearer ${token}`,
          "idempotency-key": id,
        },
        body: JSON.stringify(ORDER),
      });
    const script = `
      const { handler } = await import(${JSON.stringify(join(out, "aws", "ingress", "index.mjs"))});
      const deadline = Date.now() + 10000;
      const context = { functionName: "ingress", awsRequestId: "r-2", invokedFunctionArn: "arn:aws:lambda:eu-west-1:1:function:ingress", getRemainingTimeInMillis: () => deadline - Date.now() };
      const results = [];
      for (const e of JSON.parse(process.env.EVENTS)) results.push((await handler(e, context)).statusCode);
      console.log(JSON.stringify(results));
      process.exit(0);`;
    const statuses = await runNode(script, {
      ...env(),
      INGRESS_JWT_ISSUER: "https://issuer.example",
      INGRESS_JWT_AUDIENCE: "amqp-mesh-ingress",
      INGRESS_JWT_JWKS: JSON.stringify({
        keys: [{ ...(await exportJWK(publicKey)), kid: "k1", alg: "ES256" }],
      }),
      EVENTS: JSON.stringify([
        event(await sign(privateKey), "lambda-jwt-1"),
        event(await sign(forger.privateKey), "lambda-jwt-forged"),
      ]),
    });
    expect(statuses).toEqual([202, 401]);
    await waitFor(() => received.some((m) => m.messageId === "sales-api/lambda-jwt-1"));
    expect(received.some((m) => m.messageId === "sales-api/lambda-jwt-forged")).toBe(false);
  });

  it("a bundle refuses bad settings at import, with zod's English messages naming each field", async () => {
    const script = `
      try {
        await import(${JSON.stringify(join(out, "aws", "ingress", "index.mjs"))});
        console.log(JSON.stringify("imported"));
      } catch (error) {
        console.log(JSON.stringify(String(error)));
      }
      process.exit(0);`;
    const message = await runNode(script, {
      ...env(),
      INGRESS_API_KEYS: JSON.stringify([{ principal: "", sha256: 1 }]),
    });
    expect(message).toContain(
      "INGRESS_API_KEYS: 0.principal Too small: expected string to have >=1 characters",
    );
    expect(message).toContain("0.sha256 Invalid input: expected string, received number");
  });

  it("the Azure bundle's exported handler answers a real HttpRequest with 202 and the message arrives", async () => {
    const script = `
      const { HttpRequest, InvocationContext } = await import("@azure/functions");
      const { ingressHandler } = await import(${JSON.stringify(join(out, "azure", "ingress", "index.mjs"))});
      const request = new HttpRequest({
        method: "POST",
        url: "https://ingress.azurewebsites.net/channels/sales.orders/messages",
        headers: { "content-type": "application/json", "x-functions-key": ${JSON.stringify(key)}, "idempotency-key": "azure-bundle-1" },
        body: { string: ${JSON.stringify(JSON.stringify(ORDER))} },
      });
      const result = await ingressHandler(request, new InvocationContext({ functionName: "ingress", logHandler: () => {} }));
      console.log(JSON.stringify(result));
      process.exit(0);`;
    const result = (await runNode(script, env())) as { status: number; body: string };
    expect(result.status, result.body).toBe(202);
    await waitFor(() => received.some((m) => m.messageId === "sales-api/azure-bundle-1"));
  });

  it("the Azure ingress bundle registers with the Functions worker's core API and answers an invocation through it", async () => {
    // What the Node.js worker does: it answers require("@azure/functions-core") with its core
    // API, takes the library's programming model and the registered functions, and runs each
    // invocation through that model (arguments from the RPC request, response back to RPC).
    // The bundled @azure/functions (from its sources) does the conversions.
    const script = `
      const { default: Module } = await import("node:module");
      const registered = [];
      let model;
      const core = {
        version: "3.10.1",
        hostVersion: "4.1040.300",
        setProgrammingModel: (m) => { model = m; },
        getProgrammingModel: () => model,
        registerFunction: (metadata, callback) => { registered.push({ metadata, callback }); return { dispose() {} }; },
        registerHook: () => ({ dispose() {} }),
        log: () => {},
      };
      const original = Module.prototype.require;
      Module.prototype.require = function (id, ...rest) {
        return id === "@azure/functions-core" ? core : original.call(this, id, ...rest);
      };
      await import(${JSON.stringify(join(out, "azure", "ingress", "index.mjs"))});
      const fn = registered.find((r) => r.metadata.name === "ingress");
      const [trigger] = Object.entries(fn.metadata.bindings).find(([, b]) => b.type === "httpTrigger");
      const http = {
        method: "POST",
        url: "https://ingress.azurewebsites.net/channels/sales.orders/messages",
        headers: { "content-type": "application/json", "x-functions-key": ${JSON.stringify(key)}, "idempotency-key": "azure-worker-1" },
        body: { string: ${JSON.stringify(JSON.stringify(ORDER))} },
      };
      const invocation = model.getInvocationModel({
        invocationId: "i-1",
        metadata: { name: "ingress", bindings: fn.metadata.bindings },
        request: { invocationId: "i-1", inputData: [{ name: trigger, data: { http } }], triggerMetadata: {} },
        log: () => {},
      });
      const { context, inputs } = await invocation.getArguments();
      const result = await invocation.invokeFunction(context, inputs, fn.callback);
      const response = await invocation.getResponse(context, result);
      const capabilities = await model.getCapabilities({});
      const { statusCode, body } = response.returnValue.http;
      const text = Buffer.from(body.bytes ?? body.string ?? "").toString("utf8");
      console.log(JSON.stringify({ names: registered.map((r) => r.metadata.name), bindings: Object.values(fn.metadata.bindings), capabilities, statusCode, text }));
      process.exit(0);`;
    const result = (await runNode(script, env())) as {
      names: string[];
      bindings: { type: string; direction: string }[];
      capabilities: Record<string, string>;
      statusCode: string;
      text: string;
    };
    expect(result.names).toEqual(["ingress"]);
    expect(result.bindings).toContainEqual(
      expect.objectContaining({ type: "httpTrigger", direction: "in" }),
    );
    // No HTTP streaming: the proxy's URI is never offered to the host.
    expect(result.capabilities.HttpUri).toBeUndefined();
    expect(result.statusCode, result.text).toBe("202");
    expect(JSON.parse(result.text).messageId).toBe("sales-api/azure-worker-1");
    await waitFor(() => received.some((m) => m.messageId === "sales-api/azure-worker-1"));
  });

  /** What `amqp-mesh bridge` sends: one order of sales/orders. */
  const invocation = (messageId: string) => ({
    format: "amqp-mesh/trigger-invocation/1",
    channel: "sales/orders",
    records: [
      {
        id: "0",
        messageId,
        attempt: 1,
        body: JSON.stringify(ORDER),
        bodyEncoding: "utf8",
        contentType: "application/json",
        properties: {},
      },
    ],
  });

  it("the order-invoicing Lambda bundle answers the bridge's invocation and publishes the invoice", async () => {
    const script = `
      const { handler } = await import(${JSON.stringify(join(out, "aws", "order-invoicing", "index.mjs"))});
      const deadline = Date.now() + 10000;
      const context = { functionName: "order-invoicing", awsRequestId: "r-2", invokedFunctionArn: "arn:aws:lambda:eu-west-1:1:function:order-invoicing", getRemainingTimeInMillis: () => deadline - Date.now() };
      console.log(JSON.stringify(await handler(JSON.parse(process.env.EVENT), context)));
      process.exit(0);`;
    const result = await runNode(script, {
      MESH_URLS: mesh.router("edge").url,
      EVENT: JSON.stringify(invocation("lambda-order-1")),
    });
    expect(result).toEqual({ batchItemFailures: [] });
    await waitFor(() => invoices.some((m) => m.messageId === "lambda-order-1:billing/invoices"));
  });

  const invoice = { invoiceId: "inv-1", orderId: "ord-5", amount: 9.5 };
  /** What an Amazon MQ event source mapping sends: one invoice of the queue billing-invoices. */
  const amazonMqEvent = () => ({
    eventSource: "aws:mq",
    eventSourceArn: "arn:aws:mq:eu-west-1:123456789012:broker:billing:b-1",
    messages: [
      {
        messageID: "ID:AMQP_NO_PREFIX:inv-1",
        messageType: "jms/bytes-message",
        redelivered: false,
        destination: { physicalName: "billing-invoices" },
        data: Buffer.from(JSON.stringify(invoice)).toString("base64"),
        properties: null,
      },
    ],
  });

  it("the invoice-sending Lambda bundle (queued mode) takes an Amazon MQ event and reports what it processed", async () => {
    const script = `
      const { handler } = await import(${JSON.stringify(join(out, "aws", "invoice-sending", "index.mjs"))});
      const deadline = Date.now() + 10000;
      const context = { functionName: "invoice-sending", awsRequestId: "r-3", invokedFunctionArn: "arn:aws:lambda:eu-west-1:1:function:invoice-sending", getRemainingTimeInMillis: () => deadline - Date.now() };
      console.log(JSON.stringify(await handler(JSON.parse(process.env.EVENT), context)));
      process.exit(0);`;
    expect(await runNode(script, { EVENT: JSON.stringify(amazonMqEvent()) })).toEqual({
      processed: 1,
      skipped: 0,
    });
  });

  it("the invoice-sending Lambda bundle with IDEMPOTENCY_REDIS_URL runs a redelivered message once (the bundled guard reads its key)", async (context) => {
    const probe = await probeRedis();
    if (!probe.reachable) {
      if (process.env.CI) requireRedis(probe);
      context.skip();
    }
    // Two invocations, as two deliveries of one batch: the second finds the id done.
    const script = `
      const { handler } = await import(${JSON.stringify(join(out, "aws", "invoice-sending", "index.mjs"))});
      const context = (id) => ({ functionName: "invoice-sending", awsRequestId: id, invokedFunctionArn: "arn:aws:lambda:eu-west-1:1:function:invoice-sending", getRemainingTimeInMillis: () => 10000 });
      const event = JSON.parse(process.env.EVENT);
      const first = await handler(event, context("r-5"));
      const second = await handler(event, context("r-6"));
      console.log(JSON.stringify({ first, second }));
      process.exit(0);`;
    const event = amazonMqEvent();
    const [message] = event.messages;
    if (message === undefined) throw new Error("amazonMqEvent has no message");
    message.messageID = `ID:AMQP_NO_PREFIX:inv-${randomUUID()}`;
    expect(
      await runNode(script, {
        EVENT: JSON.stringify(event),
        IDEMPOTENCY_REDIS_URL: REDIS_URL,
        AWS_LAMBDA_FUNCTION_NAME: "invoice-sending",
      }),
    ).toEqual({ first: { processed: 1, skipped: 0 }, second: { processed: 0, skipped: 1 } });
  });

  it("the order-invoicing Lambda bundle (bridge mode) refuses an Amazon MQ event, naming the queued entry", async () => {
    const script = `
      const { handler } = await import(${JSON.stringify(join(out, "aws", "order-invoicing", "index.mjs"))});
      const context = { functionName: "order-invoicing", awsRequestId: "r-4", invokedFunctionArn: "arn:aws:lambda:eu-west-1:1:function:order-invoicing", getRemainingTimeInMillis: () => 10000 };
      try { await handler(JSON.parse(process.env.EVENT), context); console.log(JSON.stringify("handled")); }
      catch (error) { console.log(JSON.stringify(String(error))); }
      process.exit(0);`;
    const message = await runNode(script, { EVENT: JSON.stringify(amazonMqEvent()) });
    expect(message).toMatch(/deployed for bridge mode: deploy it with queuedLambdaTrigger/);
  });

  it("the Azure trigger app's handlers answer the bridge's HTTP call and a Service Bus batch", async () => {
    const script = `
      const { HttpRequest, InvocationContext } = await import("@azure/functions");
      const app = await import(${JSON.stringify(join(out, "azure", "billing-triggers", "index.mjs"))});
      const request = new HttpRequest({
        method: "POST",
        url: "https://billing.azurewebsites.net/triggers/order-invoicing",
        headers: { "content-type": "application/json" },
        body: { string: process.env.EVENT },
      });
      const http = await app.orderInvoicingHttp(request, new InvocationContext({ logHandler: () => {} }));
      const queued = await app.invoiceSendingQueue(
        [{ invoiceId: "inv-2", orderId: "ord-5", amount: 9.5 }],
        new InvocationContext({ logHandler: () => {}, triggerMetadata: { messageIdArray: ["inv-2"], deliveryCountArray: [1] } }),
      );
      console.log(JSON.stringify({ http, queued }));
      process.exit(0);`;
    const result = await runNode(script, {
      MESH_URLS: mesh.router("edge").url,
      EVENT: JSON.stringify(invocation("azure-order-1")),
    });
    expect(result).toEqual({
      http: { status: 200, jsonBody: { batchItemFailures: [] } },
      queued: { processed: ["inv-2"], skipped: [], failures: [] },
    });
    await waitFor(() => invoices.some((m) => m.messageId === "azure-order-1:billing/invoices"));
  });

  /**
   * A registry published after the deploy (what config-sync writes to published/): one channel
   * more, with a payload schema the bundle has no precompiled validator for. The bundle, told
   * where the store is, loads its store client and Ajv's compiler from the files beside it.
   */
  const RETURN = { orderId: "ord-5", reason: "damaged" };
  const liveScript = (entry: string, call: string) => `
      const app = await import(${JSON.stringify(entry)});
      const refresh = await app.registry.refresh();
      const calls = [];
      for (const [id, body] of [["bad", { orderId: 5 }], ["good", ${JSON.stringify(RETURN)}]]) calls.push(await (${call})(id, body));
      console.log(JSON.stringify({ refresh, digest: app.registry.current().digest, calls }));
      process.exit(0);`;

  it("the Lambda ingress bundle with REGISTRY_BUCKET enforces a registry published after its deploy (S3rver)", async () => {
    const returns: ReceivedMessage[] = [];
    await consumerClient.consume("sales/returns", (m) => void returns.push(m)).ready();
    const s3 = await startS3Emulator();
    try {
      await s3.createBucket("registry");
      const published = withReturns(
        JSON.parse(await readFile(join(out, "aws", "ingress", "registry.json"), "utf8")),
      );
      await s3.client.send(
        new PutObjectCommand({
          Bucket: "registry",
          Key: "published/registry-snapshot.json",
          Body: JSON.stringify(published),
        }),
      );
      // The API Gateway event below, with the body and idempotency key of each call.
      const call = `async (id, body) => {
        const base = JSON.parse(process.env.EVENT);
        const text = JSON.stringify(body);
        const headers = { ...base.headers, "idempotency-key": "live-" + id, "content-length": String(Buffer.byteLength(text)) };
        const context = { functionName: "ingress", awsRequestId: "r-" + id, invokedFunctionArn: "arn:aws:lambda:eu-west-1:1:function:ingress", getRemainingTimeInMillis: () => 10000 };
        return (await app.handler({ ...base, headers, body: text }, context)).statusCode;
      }`;
      const event = apiGatewayEvent({
        path: "/channels/sales%2Freturns/messages",
        headers: { "content-type": "application/json", "x-api-key": key },
        body: "{}",
      });
      const result = (await runNode(liveScript(join(out, "aws", "ingress", "index.mjs"), call), {
        ...env(),
        EVENT: JSON.stringify(event),
        REGISTRY_BUCKET: "registry",
        AWS_ENDPOINT_URL_S3: s3.endpoint,
        AWS_REGION: "eu-west-1",
        AWS_ACCESS_KEY_ID: "S3RVER",
        AWS_SECRET_ACCESS_KEY: "S3RVER",
        AWS_REQUEST_CHECKSUM_CALCULATION: "WHEN_REQUIRED",
        AWS_RESPONSE_CHECKSUM_VALIDATION: "WHEN_REQUIRED",
      })) as { refresh: { kind: string }; digest: string; calls: number[] };
      expect(result.refresh.kind).toBe("swapped");
      expect(result.digest).toBe(published.digest);
      expect(result.calls).toEqual([422, 202]);
      await waitFor(() => returns.some((m) => m.messageId === "sales-api/live-good"));
    } finally {
      await s3.stop();
    }
  });

  it("the Azure ingress bundle with REGISTRY_BLOB_CONTAINER enforces a registry published after its deploy (Azurite)", async () => {
    const azurite = await startAzurite();
    try {
      const container = BlobServiceClient.fromConnectionString(
        azurite.connectionString,
      ).getContainerClient("registry");
      await container.create();
      const published = withReturns(
        JSON.parse(await readFile(join(out, "azure", "ingress", "registry.json"), "utf8")),
      );
      const text = JSON.stringify(published);
      await container
        .getBlockBlobClient("published/registry-snapshot.json")
        .upload(text, Buffer.byteLength(text));
      const call = `async (id, body) => {
        const { HttpRequest, InvocationContext } = await import("@azure/functions");
        const request = new HttpRequest({
          method: "POST",
          url: "https://ingress.azurewebsites.net/channels/sales.returns/messages",
          headers: { "content-type": "application/json", "x-functions-key": ${JSON.stringify(key)}, "idempotency-key": "az-live-" + id },
          body: { string: JSON.stringify(body) },
        });
        return (await app.ingressHandler(request, new InvocationContext({ functionName: "ingress", logHandler: () => {} }))).status;
      }`;
      const result = (await runNode(liveScript(join(out, "azure", "ingress", "index.mjs"), call), {
        ...env(),
        REGISTRY_BLOB_CONTAINER: "registry",
        REGISTRY_BLOB_CONNECTION_STRING: azurite.connectionString,
      })) as { refresh: { kind: string }; digest: string; calls: number[] };
      expect(result.refresh.kind).toBe("swapped");
      expect(result.digest).toBe(published.digest);
      expect(result.calls).toEqual([422, 202]);
    } finally {
      await azurite.stop();
    }
  });
});
