/**
 * How `up`'s functions learn the registry: each from its own cloud's store (S3rver, Azurite,
 * as `up` starts them), through the deployed functions' own store readers, polling by ETag.
 * A snapshot put where config-sync publishes it (with config-sync's own store classes) is
 * enforced by every reader of that cloud; a damaged one by none; the Azure functions' read-only
 * SAS reads that one blob and nothing else, and writes nothing.
 */
import { BlobServiceClient, ContainerClient, RestError } from "@azure/storage-blob";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type FunctionRegistries,
  functionRegistries,
  REGISTRY_SNAPSHOT_KEY,
} from "../../../cli/local/function-registries.ts";
import {
  REGISTRY_CONTAINER,
  type RegistryStores,
  startRegistryStores,
} from "../../../cli/local/registry-stores.ts";
import { snapshotRegistry } from "../../../shared/registry-snapshot/index.ts";
import { loadExampleRegistry } from "../../unit/router-config/example-project.ts";

const example = loadExampleRegistry();
const started = snapshotRegistry(example);
const events = example.channels.find((c) => c.address === "sales/events")!;
const edited = snapshotRegistry({
  ...example,
  channels: [...example.channels, { ...events, address: "sales/returns" }],
});

let stores: RegistryStores;
let registries: FunctionRegistries;
const logs = new Map<string, string[]>();
const log = (name: string) => (line: string) => logs.set(name, [...(logs.get(name) ?? []), line]);

beforeAll(async () => {
  stores = await startRegistryStores();
  // As in up: the first config-sync published before any function starts.
  await stores.awsStore.put(REGISTRY_SNAPSHOT_KEY, JSON.stringify(started));
  await stores.azureStore.put(REGISTRY_SNAPSHOT_KEY, JSON.stringify(started));
  registries = functionRegistries({ stores, snapshot: started, pollMs: 50 });
  registries.open("aws ingress", "aws", log("aws ingress"));
  registries.open("invoice-sending", "aws", log("invoice-sending"));
  registries.open("azure ingress", "azure", log("azure ingress"));
  registries.open("order-invoicing", "azure", log("order-invoicing"));
}, 60_000);

afterAll(async () => {
  registries?.close();
  await stores?.stop();
});

describe("up's functions read the registry from their cloud's store", () => {
  it("start on the registry up started with, and each cloud's readers follow what is published in their store only", async () => {
    expect(registries.all.map((r) => r.live.digest)).toEqual(Array(4).fill(started.digest));

    await stores.awsStore.put(REGISTRY_SNAPSHOT_KEY, JSON.stringify(edited));
    await registries.enforced(new Map([["aws", edited.digest.slice(0, 12)]]), 5_000);
    const digests = Object.fromEntries(registries.all.map((r) => [r.name, r.live.digest]));
    expect(digests).toEqual({
      "aws ingress": edited.digest,
      "invoice-sending": edited.digest,
      "azure ingress": started.digest,
      "order-invoicing": started.digest,
    });
    expect(registries.all[0]?.live.current().registry.channel("sales/returns")).toBeDefined();
    expect(logs.get("aws ingress")?.join("\n")).toContain(
      `(from s3://amqp-mesh-registry/${REGISTRY_SNAPSHOT_KEY})`,
    );

    await stores.azureStore.put(REGISTRY_SNAPSHOT_KEY, JSON.stringify(edited));
    await registries.enforced(new Map([["azure", edited.digest]]), 5_000);
    expect(registries.all.every((r) => r.live.digest === edited.digest)).toBe(true);
    expect(logs.get("order-invoicing")?.join("\n")).toMatch(
      new RegExp(
        `\\(from http://127\\.0\\.0\\.1:\\d+/devstoreaccount1/amqp-mesh-registry/${REGISTRY_SNAPSHOT_KEY}\\)`,
      ),
    );
  });

  it("a damaged snapshot is enforced by nobody: waiting for it times out naming every reader behind", async () => {
    const damaged = { ...started, channels: [] };
    await stores.awsStore.put(REGISTRY_SNAPSHOT_KEY, JSON.stringify(damaged));
    await expect(registries.enforced(new Map([["aws", started.digest]]), 1_000)).rejects.toThrow(
      /not enforced within 1 s by aws ingress \(still [0-9a-f]{12}\), invoice-sending/,
    );
    expect(registries.all.map((r) => r.live.digest)).toEqual(Array(4).fill(edited.digest));
    expect(logs.get("aws ingress")?.join("\n")).toMatch(/digest does not match its content/);
  });

  it("the Azure functions' connection string reads the published snapshot only, and cannot write it", async () => {
    const connection = registries.env("azure").REGISTRY_BLOB_CONNECTION_STRING!;
    expect(connection).not.toContain("AccountKey");
    const container = new ContainerClient(connection, REGISTRY_CONTAINER);
    const full = BlobServiceClient.fromConnectionString(
      stores.azurite.connectionString,
    ).getContainerClient(REGISTRY_CONTAINER);
    await full.getBlockBlobClient("registry/sales.yaml").upload("x", 1);

    expect((await container.getBlobClient(REGISTRY_SNAPSHOT_KEY).download()).etag).toBeDefined();
    const status = (call: Promise<unknown>) =>
      call.then(
        () => 200,
        (error: unknown) => (error instanceof RestError ? error.statusCode : -1),
      );
    expect(await status(container.getBlobClient("registry/sales.yaml").download())).toBe(403);
    expect(await status(container.getBlockBlobClient(REGISTRY_SNAPSHOT_KEY).upload("{}", 2))).toBe(
      403,
    );
  });
});
