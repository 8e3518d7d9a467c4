/**
 * The ingress and the triggers learn the registry from the store, live, on both clouds: the
 * registry project in S3rver (AWS) or Azurite (Azure), the real config-sync handler driven by
 * the store's event (built from what the emulator reported), which syncs the routers and
 * publishes the gated snapshot; the real ingress handler (API Gateway v2 event; HttpRequest)
 * and the real trigger options reading it through the S3 / Blob snapshot store. A channel
 * added to the registry: 404 before, 202 after the refresh; garbage in `published/`: the old
 * registry stays, said in the log; a refused registry publishes nothing.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { pathToFileURL } from "node:url";
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { HttpRequest, InvocationContext } from "@azure/functions";
import { BlobServiceClient, type ContainerClient } from "@azure/storage-blob";
import * as esbuild from "esbuild";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { parse, stringify } from "yaml";
import { createIngressHandler } from "../../../functions/aws/ingress/handler.ts";
import { awsSnapshotStore } from "../../../functions/aws/live-registry.ts";
import { createSyncHandler, syncLoggerOf } from "../../../functions/aws/sync/handler.ts";
import { S3ObjectStore } from "../../../functions/aws/sync/s3-store.ts";
import { deployedTriggerOptions } from "../../../functions/aws/trigger/index.ts";
import { createIngressHttpHandler } from "../../../functions/azure/ingress/handler.ts";
import { azureSnapshotStore } from "../../../functions/azure/live-registry.ts";
import { BlobObjectStore } from "../../../functions/azure/sync/blob-store.ts";
import { createRegistryEventHandler } from "../../../functions/azure/sync/handler.ts";
import { deployedAzureTriggerOptions } from "../../../functions/azure/trigger/index.ts";
import { MeshClient, type ReceivedMessage } from "../../../shared/amqp/index.ts";
import {
  assembleIngress,
  ingressSettingsFromEnv,
  newApiKey,
} from "../../../shared/ingress/index.ts";
import { ManagementPool } from "../../../shared/management/index.ts";
import { validateProject } from "../../../shared/registry/index.ts";
import {
  deployedRegistryView,
  type LiveRegistry,
  precompiledValidators,
  type RegistrySnapshot,
  snapshotRegistry,
  validatorModuleSource,
} from "../../../shared/registry-snapshot/index.ts";
import {
  handleSyncTrigger,
  operationLogger,
  type SyncFunctionSettings,
  syncSettingsFromEnv,
} from "../../../shared/sync/index.ts";
import { NEEDS_OWN_ROUTERS } from "../../conformance/target.ts";
import {
  type BlobEmulator,
  objectCreatedEvent,
  type S3Emulator,
  startAzurite,
  startS3Emulator,
} from "../../support/storage-emulators.ts";
import { waitFor } from "../../support/wait.ts";
import { apiGatewayEvent, lambdaContext } from "../ingress/harness.ts";
import {
  EDGE,
  ENGINE,
  returnsChannel,
  SYNC_LOGIN,
  type SyncHarness,
  startSyncHarness,
  USERS,
} from "../sync/harness.ts";

const SNAPSHOT_KEY = "published/registry-snapshot.json";
const { key: apiKey, entry: apiKeyEntry } = newApiKey("sales-api");
const RETURN = { orderId: "ord-1", reason: "damaged" };

let h: SyncHarness;
let bundleDir: string;
let bundled: RegistrySnapshot;
let consumer: MeshClient;
const received: ReceivedMessage[] = [];

async function projectFiles(dir: string): Promise<Array<{ key: string; content: string }>> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
  return Promise.all(
    files
      .map((file) => ({ file, key: relative(dir, file).split(sep).join("/") }))
      .filter(({ key }) => key === "topology.yaml" || key.startsWith("registry/"))
      .map(async ({ file, key }) => ({ key, content: await readFile(file, "utf8") })),
  );
}

/** sales.yaml with a new channel, sales/returns, whose payload schema the bundle never saw. */
async function salesWithReturns(): Promise<string> {
  const doc = parse(await readFile(join(h.project.dir, "registry", "sales.yaml"), "utf8")) as {
    channels: unknown[];
  };
  doc.channels.push({
    ...returnsChannel(),
    schema: {
      type: "object",
      required: ["orderId", "reason"],
      properties: { orderId: { type: "string" }, reason: { type: "string" } },
    },
  });
  return stringify(doc);
}

/** What `npm run bundle` writes beside a function: registry.json and validators.mjs. */
async function writeBundleArtifacts(dir: string, snapshot: RegistrySnapshot): Promise<void> {
  await writeFile(join(dir, "registry.json"), JSON.stringify(snapshot));
  await esbuild.build({
    stdin: { contents: validatorModuleSource(snapshot), resolveDir: process.cwd() },
    bundle: true,
    format: "esm",
    platform: "node",
    outfile: join(dir, "validators.mjs"),
    logLevel: "silent",
    banner: {
      js: 'import { createRequire } from "node:module"; const require = createRequire(import.meta.url);',
    },
  });
}

function syncSettings(): SyncFunctionSettings {
  return syncSettingsFromEnv({
    SYNC_ROUTER_URLS: h
      .targets()
      .map((t) => t.url)
      .join(","),
    MESH_SASL_USERNAME: SYNC_LOGIN.username,
    MESH_SASL_PASSWORD: SYNC_LOGIN.password,
    SYNC_TIMEOUT_MS: "5000",
  });
}

/** The ingress's environment: the edge router, its login, the caller's API key. */
function ingressEnv(): Record<string, string> {
  return {
    MESH_URLS: h.routers.url(EDGE),
    MESH_SASL_USERNAME: "sales-api",
    MESH_SASL_PASSWORD: USERS.get("sales-api") ?? "",
    INGRESS_API_KEYS: JSON.stringify([apiKeyEntry]),
  };
}

const trigger = { name: "order-watch", channel: "sales/orders" };

describe.skipIf(ENGINE === undefined)(
  `live registry in the functions — ${NEEDS_OWN_ROUTERS}`,
  () => {
    beforeAll(async () => {
      h = await startSyncHarness();
      const { registry } = await validateProject(h.project.dir);
      if (registry === undefined) throw new Error("the project copy is invalid");
      bundled = snapshotRegistry(registry);
      await mkdir(join(process.cwd(), ".tmp"), { recursive: true });
      bundleDir = await mkdtemp(join(process.cwd(), ".tmp", "live-registry-"));
      await writeBundleArtifacts(bundleDir, bundled);
      consumer = new MeshClient({
        urls: [h.routers.url(EDGE)],
        sasl: {
          mechanism: "PLAIN",
          username: "logistics-tracker",
          password: USERS.get("logistics-tracker") ?? "",
        },
      });
    }, 120_000);
    afterAll(async () => {
      await consumer?.close(100);
      await h?.close();
      if (bundleDir) await rm(bundleDir, { recursive: true, force: true });
    });

    describe("AWS: S3rver, EventBridge → config-sync Lambda, API Gateway v2 → ingress Lambda", () => {
      const bucket = "registry";
      let s3: S3Emulator;
      let pool: ManagementPool;
      let sync: ReturnType<typeof createSyncHandler>;
      let ingress: ReturnType<typeof createIngressHandler>;
      let live: LiveRegistry;
      let lines: string[] = [];
      let closeClient: () => Promise<void>;
      let triggerCatalog: { digest: string };

      /** The EventBridge event S3 sends for a write, from the record S3rver emitted for it. */
      const objectCreated = (key: string): unknown => objectCreatedEvent(s3, key);

      const put = (key: string, content: string) =>
        s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: content }));

      const publishedText = async () => {
        const object = await s3.client.send(
          new GetObjectCommand({ Bucket: bucket, Key: SNAPSHOT_KEY }),
        );
        return (await object.Body?.transformToString("utf-8")) ?? "";
      };

      const post = (channel: string, body: unknown, id: string) =>
        ingress(
          apiGatewayEvent({
            path: `/channels/${encodeURIComponent(channel)}/messages`,
            headers: {
              "content-type": "application/json",
              "x-api-key": apiKey,
              "idempotency-key": id,
            },
            body: JSON.stringify(body),
          }),
          lambdaContext(10_000),
        );

      beforeAll(async () => {
        s3 = await startS3Emulator();
        await s3.createBucket(bucket);
        for (const { key, content } of await projectFiles(h.project.dir)) await put(key, content);
        // The SDK's standard settings, as a Lambda (and `up`) would give them.
        vi.stubEnv("AWS_ENDPOINT_URL_S3", s3.endpoint);
        vi.stubEnv("AWS_REGION", "eu-west-1");
        vi.stubEnv("AWS_ACCESS_KEY_ID", "S3RVER");
        vi.stubEnv("AWS_SECRET_ACCESS_KEY", "S3RVER");
        vi.stubEnv("AWS_REQUEST_CHECKSUM_CALCULATION", "WHEN_REQUIRED");
        vi.stubEnv("AWS_RESPONSE_CHECKSUM_VALIDATION", "WHEN_REQUIRED");

        // Powertools' loggers (config-sync's, the trigger's) print errors only: the assertions
        // read the live registry's own log lines.
        vi.stubEnv("POWERTOOLS_LOG_LEVEL", "ERROR");
        vi.stubEnv("POWERTOOLS_METRICS_DISABLED", "true");
        const logger = new Logger({ serviceName: "amqp-mesh-config-sync-test" });
        const settings = syncSettings();
        const log = syncLoggerOf(logger);
        pool = new ManagementPool({
          timeoutMs: settings.timeoutMs,
          onOperation: operationLogger(log),
        });
        const store = new S3ObjectStore(s3.client, bucket);
        sync = createSyncHandler({
          logger,
          sync: (t) =>
            handleSyncTrigger(t, {
              store,
              settings,
              pool,
              logger: log,
              prepareConfig: h.routers.prepareConfig,
            }),
        });

        // The ingress as functions/aws/ingress/index.ts builds it, from its environment.
        const env = { ...ingressEnv(), REGISTRY_BUCKET: bucket, REGISTRY_POLL_MS: "100000" };
        const module = await import(pathToFileURL(join(bundleDir, "validators.mjs")).href);
        const validators = precompiledValidators(module.validators);
        const view = deployedRegistryView({
          bundled: { snapshot: bundled, validators },
          openStore: awsSnapshotStore(env),
          env,
          log: (line) => lines.push(line),
        });
        live = view.live as LiveRegistry;
        const deployed = assembleIngress(
          ingressSettingsFromEnv(env),
          bundled,
          validators,
          undefined,
          view.view,
        );
        closeClient = () => deployed.client.close(100);
        ingress = createIngressHandler(deployed.ingress, {
          logger: new Logger({ serviceName: "amqp-mesh-ingress-test", logLevel: "SILENT" }),
          metrics: new Metrics({ namespace: "test", serviceName: "ingress" }),
        });
        // A trigger as functions/aws/trigger/index.ts builds it, polling often.
        const options = await deployedTriggerOptions(trigger, pathToFileURL(`${bundleDir}/`), {
          REGISTRY_BUCKET: bucket,
          REGISTRY_POLL_MS: "100",
        });
        triggerCatalog = options.catalog;
      }, 60_000);
      afterAll(async () => {
        live?.close();
        await closeClient?.();
        await pool?.close();
        await s3?.stop();
        vi.unstubAllEnvs();
      });

      it("the first sync publishes the gated snapshot; the ingress keeps its (equal) registry", async () => {
        const summary = await sync(objectCreated("registry/sales.yaml"), lambdaContext(30_000));
        expect(summary).toMatchObject({ outcome: "ok", published: { key: SNAPSHOT_KEY } });
        expect(JSON.parse(await publishedText()).digest).toBe(bundled.digest);
        expect(await live.refresh()).toEqual({ kind: "same-digest" });
        expect(live.current().digest).toBe(bundled.digest);
      });

      it("a channel the bundle does not know: 404", async () => {
        const response = await post("sales/returns", RETURN, "aws-before");
        expect(response.statusCode, response.body).toBe(404);
      });

      it("a channel it knows: 202 — the ingress's connection to its routers is open from before the registry change", async () => {
        // A consumer of its own: a connection opened now would keep the old rights too.
        const orders = new MeshClient({
          urls: [h.routers.url(EDGE)],
          sasl: {
            mechanism: "PLAIN",
            username: "logistics-tracker",
            password: USERS.get("logistics-tracker") ?? "",
          },
        });
        const got: ReceivedMessage[] = [];
        try {
          await orders.consume("sales/orders", (m) => void got.push(m)).ready();
          const order = { orderId: "ord-2", customerId: "c", lines: [{ sku: "s", quantity: 1 }] };
          const response = await post("sales/orders", order, "aws-before-order");
          expect(response.statusCode, response.body).toBe(202);
          await waitFor(() => got.some((m) => m.messageId === "sales-api/aws-before-order"));
        } finally {
          await orders.close(100);
        }
      });

      it("a registry upload with the channel: config-sync syncs the routers and publishes; after the refresh the ingress answers 202, and validates the new schema", async () => {
        await put("registry/sales.yaml", await salesWithReturns());
        const summary = await sync(objectCreated("registry/sales.yaml"), lambdaContext(30_000));
        expect(summary.outcome).toBe("ok");
        const published = JSON.parse(await publishedText()) as RegistrySnapshot;
        expect(published.channels.map((c) => c.address)).toContain("sales/returns");
        expect(summary.published).toEqual({
          key: SNAPSHOT_KEY,
          digest: published.digest.slice(0, 12),
        });

        const changes: string[] = [];
        live.onChange(({ to }) => changes.push(to));
        expect(await live.refresh()).toMatchObject({ kind: "swapped", to: published.digest });
        expect(changes).toEqual([published.digest]);
        await consumer.consume("sales/returns", (m) => void received.push(m)).ready();
        const accepted = await post("sales/returns", RETURN, "aws-after");
        expect(accepted.statusCode, accepted.body).toBe(202);
        await waitFor(() => received.some((m) => m.messageId === "sales-api/aws-after"));
        const refused = await post("sales/returns", { orderId: 5 }, "aws-invalid");
        expect(refused.statusCode).toBe(422);
        expect(refused.body).toContain("/reason");
        // The trigger follows too (it polls every 100 ms).
        await waitFor(() => triggerCatalog.digest === published.digest);
      });

      it("its own write to published/ wakes config-sync for nothing: ignored, no router request", async () => {
        h.resetTaps();
        const summary = await sync(objectCreated(SNAPSHOT_KEY), lambdaContext(30_000));
        expect(summary).toMatchObject({ ignored: true });
        expect(h.requests()).toBe(0);
      });

      it("an invalid registry upload is refused and publishes nothing", async () => {
        const before = await publishedText();
        await put("registry/broken.yaml", "team: [unclosed\n");
        const summary = await sync(objectCreated("registry/broken.yaml"), lambdaContext(30_000));
        expect(summary).toMatchObject({ outcome: "refused" });
        expect(summary.published).toBeUndefined();
        expect(await publishedText()).toBe(before);
        await s3.client.send(
          new DeleteObjectCommand({ Bucket: bucket, Key: "registry/broken.yaml" }),
        );
      });

      it("garbage written to published/: the ingress keeps the last good registry and says so once", async () => {
        const digest = live.current().digest;
        lines = [];
        await put(SNAPSHOT_KEY, '{"format":1,"digest":"tampered","teams":[]');
        expect((await live.refresh()).kind).toBe("refused");
        expect((await live.refresh()).kind).toBe("unchanged");
        expect(live.current().digest).toBe(digest);
        const accepted = await post("sales/returns", RETURN, "aws-after-garbage");
        expect(accepted.statusCode, accepted.body).toBe(202);
        expect(lines).toHaveLength(1);
        expect(lines[0]).toContain(
          `s3://${bucket}/${SNAPSHOT_KEY}: not JSON; keeping registry ${digest.slice(0, 12)}`,
        );
      });
    });

    describe("Azure: Azurite, Event Grid → config-sync app, HttpRequest → ingress app", () => {
      const containerName = "registry";
      let azurite: BlobEmulator;
      let container: ContainerClient;
      let pool: ManagementPool;
      let onEvent: ReturnType<typeof createRegistryEventHandler>;
      let ingress: ReturnType<typeof createIngressHttpHandler>;
      let live: LiveRegistry;
      let lines: string[] = [];
      let closeClient: () => Promise<void>;
      let triggerCatalog: { digest: string };
      const etags = new Map<string, string>();

      async function upload(key: string, content: string): Promise<void> {
        const response = await container
          .getBlockBlobClient(key)
          .upload(content, Buffer.byteLength(content));
        etags.set(key, String(response.etag));
      }

      /** The Event Grid event Blob storage sends for a write, from what Azurite answered to it. */
      function blobCreated(key: string) {
        return {
          id: crypto.randomUUID(),
          topic: `/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/mesh/providers/Microsoft.Storage/storageAccounts/${azurite.account}`,
          subject: `/blobServices/default/containers/${containerName}/blobs/${key}`,
          eventType: "Microsoft.Storage.BlobCreated",
          eventTime: new Date().toISOString(),
          data: {
            api: "PutBlob",
            requestId: crypto.randomUUID(),
            eTag: etags.get(key),
            contentType: "application/octet-stream",
            contentLength: 1,
            blobType: "BlockBlob",
            url: `${container.url}/${key}`,
            sequencer: "00000000000000000000000000000001000000000000000a",
            storageDiagnostics: { batchId: crypto.randomUUID() },
          },
          dataVersion: "",
          metadataVersion: "1",
        };
      }

      const context = () => new InvocationContext({ functionName: "test", logHandler: () => {} });

      const publishedText = async () =>
        (await container.getBlobClient(SNAPSHOT_KEY).downloadToBuffer()).toString("utf8");

      const post = (channel: string, body: unknown, id: string) =>
        ingress(
          new HttpRequest({
            method: "POST",
            url: `https://ingress.azurewebsites.net/channels/${encodeURIComponent(channel)}/messages`,
            headers: {
              "content-type": "application/json",
              "x-functions-key": apiKey,
              "idempotency-key": id,
            },
            body: { string: JSON.stringify(body) },
          }),
          context(),
        );

      beforeAll(async () => {
        azurite = await startAzurite();
        container = BlobServiceClient.fromConnectionString(
          azurite.connectionString,
        ).getContainerClient(containerName);
        await container.create();
        for (const { key, content } of await projectFiles(h.project.dir))
          await upload(key, content);
        const settings = syncSettings();
        pool = new ManagementPool({ timeoutMs: settings.timeoutMs });
        const store = new BlobObjectStore(container);
        onEvent = createRegistryEventHandler((t, logger) =>
          handleSyncTrigger(t, {
            store,
            settings,
            pool,
            logger,
            prepareConfig: h.routers.prepareConfig,
          }),
        );
        const env = {
          ...ingressEnv(),
          REGISTRY_BLOB_CONTAINER: containerName,
          REGISTRY_BLOB_CONNECTION_STRING: azurite.connectionString,
          REGISTRY_POLL_MS: "100000",
        };
        const module = await import(pathToFileURL(join(bundleDir, "validators.mjs")).href);
        const validators = precompiledValidators(module.validators);
        const view = deployedRegistryView({
          bundled: { snapshot: bundled, validators },
          openStore: azureSnapshotStore(env),
          env,
          log: (line) => lines.push(line),
        });
        live = view.live as LiveRegistry;
        const deployed = assembleIngress(
          ingressSettingsFromEnv(env),
          bundled,
          validators,
          undefined,
          view.view,
        );
        closeClient = () => deployed.client.close(100);
        ingress = createIngressHttpHandler(deployed.ingress, { trustAppServiceAuth: false });
        const options = await deployedAzureTriggerOptions(trigger, pathToFileURL(`${bundleDir}/`), {
          REGISTRY_BLOB_CONTAINER: containerName,
          REGISTRY_BLOB_CONNECTION_STRING: azurite.connectionString,
          REGISTRY_POLL_MS: "100",
        });
        triggerCatalog = options.catalog;
      }, 90_000);
      afterAll(async () => {
        live?.close();
        await closeClient?.();
        await pool?.close();
        await azurite?.stop();
      });

      it("a registry upload adds a channel: 404 before, the snapshot published after the gate, 202 after the refresh; the trigger follows", async () => {
        // The example project as uploaded (the routers go back to it from the AWS side's edit).
        const first = await onEvent(blobCreated("registry/sales.yaml"), context());
        expect(first).toMatchObject({ outcome: "ok", published: { key: SNAPSHOT_KEY } });
        expect((await post("sales/returns", RETURN, "az-before")).status).toBe(404);

        await upload("registry/sales.yaml", await salesWithReturns());
        const summary = await onEvent(blobCreated("registry/sales.yaml"), context());
        expect(summary.outcome).toBe("ok");
        const published = JSON.parse(await publishedText()) as RegistrySnapshot;
        expect(published.channels.map((c) => c.address)).toContain("sales/returns");
        expect(await live.refresh()).toMatchObject({ kind: "swapped", to: published.digest });
        expect(await live.refresh()).toEqual({ kind: "unchanged" });
        await consumer.consume("sales/returns", (m) => void received.push(m)).ready();
        const accepted = await post("sales/returns", RETURN, "az-after");
        expect(accepted.status, String(accepted.body)).toBe(202);
        await waitFor(() => received.some((m) => m.messageId === "sales-api/az-after"));
        await waitFor(() => triggerCatalog.digest === published.digest);
      });

      it("its own write to published/ wakes config-sync for nothing: ignored, no router request", async () => {
        etags.set(
          SNAPSHOT_KEY,
          String((await container.getBlobClient(SNAPSHOT_KEY).getProperties()).etag),
        );
        h.resetTaps();
        const summary = await onEvent(blobCreated(SNAPSHOT_KEY), context());
        expect(summary).toMatchObject({ ignored: true });
        expect(h.requests()).toBe(0);
      });

      it("garbage written to published/: the ingress keeps the last good registry and says so once", async () => {
        const digest = live.current().digest;
        lines = [];
        await upload(SNAPSHOT_KEY, "<html>not a snapshot</html>");
        expect((await live.refresh()).kind).toBe("refused");
        expect(live.current().digest).toBe(digest);
        const accepted = await post("sales/returns", RETURN, "az-after-garbage");
        expect(accepted.status, String(accepted.body)).toBe(202);
        expect(lines).toHaveLength(1);
        expect(lines[0]).toContain(
          `/${containerName}/${SNAPSHOT_KEY}: not JSON; keeping registry ${digest.slice(0, 12)}`,
        );
        expect(lines[0]).not.toContain("AccountKey");
      });
    });
  },
);
