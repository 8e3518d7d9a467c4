/**
 * The Azure config-sync app module itself (functions/azure/sync/index.ts, the bundle's `main`),
 * imported with its settings in the environment — the registry container on Azurite, the
 * routers behind wire taps — and its exported Event Grid handler invoked with
 * InvocationContexts built here, as the Functions host would. Its management pool is shared
 * by every invocation of the worker: each invocation must see the management operations it
 * made, and only those, even when two run at once.
 */
import { readdir, readFile } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { type EventGridEvent, InvocationContext } from "@azure/functions";
import { BlobServiceClient, type ContainerClient } from "@azure/storage-blob";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BlobEmulator, startAzurite } from "../../support/storage-emulators.ts";
import { ENGINE, SYNC_LOGIN, type SyncHarness, startSyncHarness } from "./harness.ts";

type SyncApp = typeof import("../../../functions/azure/sync/index.ts");

let h: SyncHarness;
let azurite: BlobEmulator;
let container: ContainerClient;
let syncApp: SyncApp;
const containerName = "registry";
const etags = new Map<string, string>();

async function upload(key: string, content: string): Promise<void> {
  const response = await container
    .getBlockBlobClient(key)
    .upload(content, Buffer.byteLength(content));
  etags.set(key, String(response.etag));
}

/** The Event Grid event Blob storage sends for a write, from what Azurite answered to it. */
function blobCreated(key: string): EventGridEvent {
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

/** An invocation's context, and the management operations logged into it. */
function invocation(): { context: InvocationContext; operations: string[] } {
  const operations: string[] = [];
  const context = new InvocationContext({
    invocationId: crypto.randomUUID(),
    functionName: "registrySync",
    logHandler: (_level, message, fields) => {
      if (typeof message !== "string" || !message.startsWith("management operation")) return;
      const f = fields as { router: string; operation: string; entityType: string };
      operations.push(`${f.router} ${f.operation} ${f.entityType}`);
    },
  });
  return { context, operations };
}

const requestsOnTheWire = () => [...h.taps.values()].reduce((n, t) => n + t.requests.length, 0);

// The module syncs the configs as generated; real routers run them with local file paths
// (the harness's prepareConfig), which the deployed app has no setting for.
describe.skipIf(ENGINE !== "emulator")(
  "Azure config-sync app: operation logs per invocation (emulator routers; the app takes no prepareConfig)",
  () => {
    beforeAll(async () => {
      h = await startSyncHarness();
      azurite = await startAzurite();
      container = BlobServiceClient.fromConnectionString(
        azurite.connectionString,
      ).getContainerClient(containerName);
      await container.create();
      const entries = await readdir(h.project.dir, { recursive: true, withFileTypes: true });
      for (const entry of entries.filter((e) => e.isFile())) {
        const file = join(entry.parentPath, entry.name);
        const key = relative(h.project.dir, file).split(sep).join("/");
        if (key === "topology.yaml" || key.startsWith("registry/"))
          await upload(key, await readFile(file, "utf8"));
      }
      Object.assign(process.env, {
        SYNC_ROUTER_URLS: h
          .targets()
          .map((t) => t.url)
          .join(","),
        MESH_SASL_USERNAME: SYNC_LOGIN.username,
        MESH_SASL_PASSWORD: SYNC_LOGIN.password,
        SYNC_TIMEOUT_MS: "5000",
        SYNC_BLOB_CONNECTION_STRING: azurite.connectionString,
        SYNC_BLOB_CONTAINER: containerName,
      });
      syncApp = await import("../../../functions/azure/sync/index.ts");
    }, 120_000);
    afterAll(async () => {
      await syncApp?.pool.close();
      await azurite?.stop();
      await h?.close();
    });

    it("two concurrent invocations each log exactly the operations of one run; together, every request on the wire once", async () => {
      // Bring the routers to the uploaded registry, then take one settled run alone as the yardstick.
      const first = invocation();
      expect(
        (await syncApp.registryEventHandler(blobCreated("registry/sales.yaml"), first.context))
          .outcome,
      ).toBe("ok");
      const alone = invocation();
      h.resetTaps();
      expect(
        (await syncApp.registryEventHandler(blobCreated("registry/sales.yaml"), alone.context))
          .outcome,
      ).toBe("ok");
      expect(alone.operations.length).toBeGreaterThan(0);
      expect(alone.operations).toHaveLength(requestsOnTheWire());

      h.resetTaps();
      const a = invocation();
      const b = invocation();
      const summaries = await Promise.all([
        syncApp.registryEventHandler(blobCreated("registry/sales.yaml"), a.context),
        syncApp.registryEventHandler(blobCreated("registry/sales.yaml"), b.context),
      ]);
      expect(summaries.map((s) => s.outcome)).toEqual(["ok", "ok"]);
      expect(a.operations.sort()).toEqual([...alone.operations].sort());
      expect(b.operations.sort()).toEqual([...alone.operations].sort());
      expect(a.operations.length + b.operations.length).toBe(requestsOnTheWire());
    });
  },
);
