/**
 * The config-sync functions end to end, with real storage emulators and routers: the
 * registry project is uploaded to S3rver (AWS) or Azurite (Azure); each write's event is
 * built the way EventBridge ("Object Created") and Event Grid (Microsoft.Storage.BlobCreated)
 * deliver it, from what the emulator reported (key, ETag, sequencer), checked against the
 * platform schema, and handed to the function, which reconciles the routers (the emulator,
 * or real ones with MESH_TARGET). Requests are counted on the wire.
 */
import { readdir, readFile } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { Logger } from "@aws-lambda-powertools/logger";
import { S3EventNotificationEventBridgeSchema } from "@aws-lambda-powertools/parser/schemas";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { InvocationContext, type Timer } from "@azure/functions";
import { BlobServiceClient, type ContainerClient } from "@azure/storage-blob";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { parse, stringify } from "yaml";
import {
  createSyncHandler,
  syncLoggerOf as powertoolsLogger,
} from "../../../functions/aws/sync/handler.ts";
import { S3ObjectStore } from "../../../functions/aws/sync/s3-store.ts";
import { BlobObjectStore } from "../../../functions/azure/sync/blob-store.ts";
import {
  createDriftTimerHandler,
  createRegistryEventHandler,
} from "../../../functions/azure/sync/handler.ts";
import { ManagementPool, openManagement } from "../../../shared/management/index.ts";
import {
  handleSyncTrigger,
  loggingPool,
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
import { lambdaContext } from "../ingress/harness.ts";
import {
  EDGE,
  ENGINE,
  INTERIOR,
  returnsChannel,
  SYNC_LOGIN,
  type SyncHarness,
  startSyncHarness,
} from "./harness.ts";

let h: SyncHarness;

async function uptimeOf(routerId: string): Promise<number> {
  const session = await openManagement({ url: h.routers.url(routerId), sasl: SYNC_LOGIN });
  try {
    const type = session.flavour === "skupper-router" ? "routerMetrics" : "router";
    const [row] = await session.management.query(type, { attributeNames: ["uptimeSeconds"] });
    return Number(row?.attributes.uptimeSeconds);
  } finally {
    await session.close();
  }
}

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

async function salesWithReturns(): Promise<string> {
  const doc = parse(await readFile(join(h.project.dir, "registry", "sales.yaml"), "utf8")) as {
    channels: unknown[];
  };
  doc.channels.push(returnsChannel());
  return stringify(doc);
}

function settingsFor(h: SyncHarness): SyncFunctionSettings {
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

describe.skipIf(ENGINE === undefined)(`config-sync functions — ${NEEDS_OWN_ROUTERS}`, () => {
  beforeAll(async () => {
    h = await startSyncHarness();
  }, 120_000);
  afterAll(async () => {
    await h?.close();
  });

  describe("AWS: S3 → EventBridge Object Created → Lambda (middy, Powertools parser)", () => {
    const bucket = "registry";
    let s3: S3Emulator;
    let pool: ManagementPool;
    let handler: ReturnType<typeof createSyncHandler>;
    let lines: string[];

    /** The EventBridge event S3 sends for a write, from the record S3rver emitted for it. */
    const eventBridgeEventFor = (key: string): unknown => objectCreatedEvent(s3, key);

    async function put(key: string, content: string): Promise<void> {
      await s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: content }));
    }

    beforeAll(async () => {
      s3 = await startS3Emulator();
      await s3.createBucket(bucket);
      for (const { key, content } of await projectFiles(h.project.dir)) await put(key, content);
      const logger = new Logger({ serviceName: "amqp-mesh-config-sync-test" });
      const settings = settingsFor(h);
      const log = powertoolsLogger(logger);
      pool = loggingPool({ timeoutMs: settings.timeoutMs });
      const store = new S3ObjectStore(s3.client, bucket);
      handler = createSyncHandler({
        logger,
        sync: (trigger) =>
          handleSyncTrigger(trigger, {
            store,
            settings,
            pool,
            logger: log,
            prepareConfig: h.routers.prepareConfig,
          }),
      });
    });
    afterAll(async () => {
      await pool?.close();
      await s3?.stop();
    });
    beforeEach(() => {
      h.resetTaps();
      lines = [];
      vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
        lines.push(String(chunk));
        return true;
      });
      return () => vi.restoreAllMocks();
    });

    it("the event built from S3rver's write is a valid S3-via-EventBridge event", async () => {
      await put(
        "registry/logistics.yaml",
        await readFile(join(h.project.dir, "registry", "logistics.yaml"), "utf8"),
      );
      expect(
        S3EventNotificationEventBridgeSchema.safeParse(
          eventBridgeEventFor("registry/logistics.yaml"),
        ).success,
      ).toBe(true);
    });

    it("an uploaded registry change reconciles the routers: exactly the difference, logged per operation", async () => {
      await put("registry/sales.yaml", await salesWithReturns());
      const summary = await handler(
        eventBridgeEventFor("registry/sales.yaml"),
        lambdaContext(30_000),
      );
      expect(summary).toMatchObject({
        trigger: "object-written",
        ignored: false,
        outcome: "ok",
        totals: { creates: 2, updates: 2, failedOperations: 0 },
      });
      expect(h.writes().map((w) => `${w.router} ${w.operation} ${w.name}`)).toEqual([
        `${INTERIOR} CREATE amqp-mesh/address/sales/returns`,
        `${INTERIOR} UPDATE amqp-mesh/vhost/$default`,
        `${EDGE} CREATE amqp-mesh/address/sales/returns`,
        `${EDGE} UPDATE amqp-mesh/vhost/$default`,
      ]);
      const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
      const operations = logged.filter(
        (l) =>
          l.message === "management operation" &&
          ["CREATE", "UPDATE"].includes(String(l.operation)),
      );
      expect(operations).toHaveLength(4);
      expect(operations[0]).toMatchObject({
        level: "INFO",
        service: "amqp-mesh-config-sync-test",
        statusCode: 201,
        name: "amqp-mesh/address/sales/returns",
      });
      expect(lines.join("")).not.toContain(SYNC_LOGIN.password);
    });

    it("the same event delivered again: zero write operations", async () => {
      const summary = await handler(
        eventBridgeEventFor("registry/sales.yaml"),
        lambdaContext(30_000),
      );
      expect(summary.outcome).toBe("ok");
      expect(h.writes()).toEqual([]);
    });

    it("a write outside the project (the state document, a README) is ignored without a request", async () => {
      await put("docs/README.md", "# the registry bucket");
      const summary = await handler(eventBridgeEventFor("docs/README.md"), lambdaContext(30_000));
      expect(summary).toMatchObject({ ignored: true });
      expect(h.requests()).toBe(0);
    });

    it("an event that is not S3-via-EventBridge is refused by the parser before the core", async () => {
      await expect(
        handler({ Records: [{ eventSource: "aws:s3" }] }, lambdaContext(30_000)),
      ).rejects.toThrow(/parse/i);
      expect(h.requests()).toBe(0);
    });

    it("an invalid upload: refused with the problem, zero requests; the routers keep the last good state", async () => {
      await put("registry/broken.yaml", "team: [unclosed\n");
      const summary = await handler(
        eventBridgeEventFor("registry/broken.yaml"),
        lambdaContext(30_000),
      );
      expect(summary).toMatchObject({
        outcome: "refused",
        registry: { accepted: false, reason: "invalid" },
      });
      expect(summary.registry?.problems.join("\n")).toMatch(
        /s3:\/\/registry\/registry\/broken\.yaml:\d+:\d+: error/,
      );
      expect(h.requests()).toBe(0);
    });

    it("the EventBridge schedule, with that invalid upload still there: the routers held at the last good registry", async () => {
      const schedule = {
        version: "0",
        id: crypto.randomUUID(),
        "detail-type": "Scheduled Event",
        source: "aws.events",
        account: "123456789012",
        time: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
        region: "eu-west-1",
        resources: ["arn:aws:events:eu-west-1:123456789012:rule/amqp-mesh-config-sync-drift"],
        detail: {},
      };
      const summary = await handler(schedule, lambdaContext(30_000));
      expect(summary.trigger).toBe("schedule");
      expect(summary.registry?.usedLastGood).toBe(true);
      expect(summary.routers?.map((r) => r.status)).toEqual(["checked", "checked"]);
      expect(h.writes()).toEqual([]);
    });
  });

  describe("Azure: Blob → Event Grid BlobCreated → app.eventGrid; a timer for drift", () => {
    const containerName = "registry";
    let azurite: BlobEmulator;
    let container: ContainerClient;
    let pool: ManagementPool;
    let onEvent: ReturnType<typeof createRegistryEventHandler>;
    let onTimer: ReturnType<typeof createDriftTimerHandler>;
    const etags = new Map<string, string>();
    const logs: unknown[][] = [];

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

    const context = () =>
      new InvocationContext({
        invocationId: crypto.randomUUID(),
        functionName: "registrySync",
        logHandler: (level, ...args) => logs.push([level, ...args]),
      });

    beforeAll(async () => {
      azurite = await startAzurite();
      container = BlobServiceClient.fromConnectionString(
        azurite.connectionString,
      ).getContainerClient(containerName);
      await container.create();
      for (const { key, content } of await projectFiles(h.project.dir)) await upload(key, content);
      const settings = settingsFor(h);
      pool = new ManagementPool({ timeoutMs: settings.timeoutMs });
      const store = new BlobObjectStore(container);
      const core = (
        trigger: Parameters<typeof handleSyncTrigger>[0],
        logger: Parameters<typeof handleSyncTrigger>[1]["logger"],
      ) =>
        handleSyncTrigger(trigger, {
          store,
          settings,
          pool,
          logger,
          prepareConfig: h.routers.prepareConfig,
        });
      onEvent = createRegistryEventHandler(core);
      onTimer = createDriftTimerHandler(core);
    }, 60_000);
    afterAll(async () => {
      await pool?.close();
      await azurite?.stop();
    });
    beforeEach(() => {
      h.resetTaps();
      logs.length = 0;
    });

    it("starts from the registry as uploaded: routers already carry it (the AWS run put sales/returns there)", async () => {
      // Azure's container holds the example without sales/returns: the function takes it out again.
      const summary = await onEvent(blobCreated("registry/sales.yaml"), context());
      expect(summary.registry?.problems).toEqual([]);
      expect(summary.outcome).toBe("ok");
      expect(h.writes().map((w) => `${w.operation} ${w.name}`)).toEqual([
        "UPDATE amqp-mesh/vhost/$default",
        "DELETE amqp-mesh/address/sales/returns",
        "UPDATE amqp-mesh/vhost/$default",
        "DELETE amqp-mesh/address/sales/returns",
      ]);
    });

    it("an uploaded change reconciles the routers; the replayed event changes nothing", async () => {
      await upload("registry/sales.yaml", await salesWithReturns());
      const summary = await onEvent(blobCreated("registry/sales.yaml"), context());
      expect(summary).toMatchObject({ outcome: "ok", totals: { creates: 2, updates: 2 } });
      expect(
        logs.some(([level, message]) => level === "information" && message === "router synced"),
      ).toBe(true);
      h.resetTaps();
      expect((await onEvent(blobCreated("registry/sales.yaml"), context())).outcome).toBe("ok");
      expect(h.writes()).toEqual([]);
    });

    it("an event that is not BlobCreated is ignored without a request", async () => {
      const deleted = {
        ...blobCreated("registry/sales.yaml"),
        eventType: "Microsoft.Storage.BlobDeleted",
      };
      expect(await onEvent(deleted, context())).toMatchObject({ ignored: true });
      expect(h.requests()).toBe(0);
    });

    it("the drift timer sees a restarted router by its uptime and repairs it; the other is only checked", async () => {
      const timer: Timer = {
        isPastDue: false,
        schedule: { adjustForDST: true },
        scheduleStatus: {
          last: new Date().toISOString(),
          next: new Date().toISOString(),
          lastUpdated: new Date().toISOString(),
        },
      };
      // Its restart shows against the clock once it had been up longer than the tolerance (5 s).
      await waitFor(async () => (await uptimeOf(EDGE)) >= 7, {
        timeout: 20_000,
        what: "the edge to be up 7 s",
      });
      await h.routers.restart(EDGE);
      h.resetTaps();
      const summary = await onTimer(timer, context());
      expect(summary.routers?.find((r) => r.routerId === EDGE)?.status).toBe("synced");
      expect(summary.routers?.find((r) => r.routerId === INTERIOR)?.status).toBe("checked");
      expect(h.writes().map((w) => `${w.router} ${w.operation} ${w.name}`)).toEqual([
        `${EDGE} CREATE amqp-mesh/address/sales/returns`,
        `${EDGE} UPDATE amqp-mesh/vhost/$default`,
      ]);
    });
  });
});
