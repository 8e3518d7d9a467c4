/**
 * How long a published registry snapshot takes to be enforced: from the start of its write to
 * the store (what config-sync does after its gate) to the live registry's swap (what the next
 * request or batch sees), through the real S3 and Blob snapshot stores on S3rver and Azurite,
 * at a poll interval. Each write comes at a random moment of the interval; median and max of
 * the edits, and the interval they are bound by (one interval plus a read):
 *
 *   node test/bench/live-registry.bench.ts [edits] [pollMs...]
 */
import { loadavg } from "node:os";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { BlobServiceClient } from "@azure/storage-blob";
import { S3SnapshotStore } from "../../functions/aws/registry-store.ts";
import { BlobSnapshotStore } from "../../functions/azure/registry-store.ts";
import { validateProject } from "../../shared/registry/index.ts";
import {
  LiveRegistry,
  liveValidators,
  runtimeValidators,
  type SnapshotStore,
  snapshotRegistry,
} from "../../shared/registry-snapshot/index.ts";
import { startAzurite, startS3Emulator } from "../support/storage-emulators.ts";
import { withReturns } from "../unit/registry-snapshot/live-support.ts";

const EDITS = Number(process.argv[2] ?? 20);
const POLLS = process.argv.slice(3).map(Number);
const KEY = "published/registry-snapshot.json";

const { registry } = await validateProject("examples");
if (registry === undefined) throw new Error("examples are invalid");
const a = snapshotRegistry(registry);
const b = withReturns(a);
const texts = [JSON.stringify(b), JSON.stringify(a)];

const median = (v: number[]) => [...v].sort((x, y) => x - y)[Math.floor(v.length / 2)] ?? 0;
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(" ");

async function measure(
  name: string,
  store: SnapshotStore,
  write: (text: string) => Promise<unknown>,
  pollMs: number,
): Promise<void> {
  await write(texts[1]!);
  const bundled = { snapshot: a, validators: runtimeValidators() };
  const live = new LiveRegistry({
    bundled,
    store,
    validatorsFor: liveValidators(bundled),
    pollMs,
  }).start();
  await live.refresh();
  const times: number[] = [];
  try {
    for (let i = 0; i < EDITS; i++) {
      const text = texts[i % 2]!;
      const digest = JSON.parse(text).digest as string;
      await new Promise((r) => setTimeout(r, Math.random() * pollMs));
      const swapped = new Promise<number>((resolve) => {
        const off = live.onChange(({ to }) => {
          if (to !== digest) return;
          off();
          resolve(performance.now());
        });
      });
      const started = performance.now();
      await write(text);
      times.push((await swapped) - started);
    }
  } finally {
    live.close();
  }
  console.log(
    `${name}, REGISTRY_POLL_MS=${pollMs}: write → enforced median ${median(times).toFixed(0)} ms, ` +
      `max ${Math.max(...times).toFixed(0)} ms over ${EDITS} edits (bound: one interval + one read)`,
  );
}

console.log(`load average at start: ${load()}`);
const s3 = await startS3Emulator();
const azurite = await startAzurite();
try {
  await s3.createBucket("registry");
  const client = new S3Client({
    endpoint: s3.endpoint,
    region: "eu-west-1",
    forcePathStyle: true,
    credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
  const container = BlobServiceClient.fromConnectionString(
    azurite.connectionString,
  ).getContainerClient("registry");
  await container.create();
  for (const pollMs of POLLS.length > 0 ? POLLS : [500]) {
    await measure(
      "S3 (S3rver)",
      new S3SnapshotStore(client, "registry", KEY),
      (text) => s3.client.send(new PutObjectCommand({ Bucket: "registry", Key: KEY, Body: text })),
      pollMs,
    );
    await measure(
      "Blob (Azurite)",
      new BlobSnapshotStore(container, KEY),
      (text) => container.getBlockBlobClient(KEY).upload(text, Buffer.byteLength(text)),
      pollMs,
    );
  }
  client.destroy();
} finally {
  await s3.stop();
  await azurite.stop();
}
console.log(`load average at end: ${load()}`);
