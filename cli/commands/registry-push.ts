/**
 * `amqp-mesh registry push <dir> --to <s3://bucket/prefix | azblob://container/prefix |
 * https://account.blob.core.windows.net/container/prefix[?sas]> [--endpoint <url>]`:
 * validates the project, then uploads `topology.yaml` and `registry/**` under the prefix —
 * the keys config-sync reads and whose change events start it — and removes registry
 * objects the project no longer has. An invalid project uploads nothing.
 * Credentials: the AWS SDK's default chain; AZURE_STORAGE_CONNECTION_STRING, or a SAS in the URL.
 */
import { readdir, readFile } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import {
  DeleteObjectsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { BlobServiceClient, type ContainerClient } from "@azure/storage-blob";
import type { CommandArgs, CommandOptions } from "../args.ts";
import { defineCommand } from "../command.ts";
import { loadValidProject } from "../load-project.ts";
import { projectDir } from "../project-dir.ts";
import { UsageError } from "../usage.ts";

export type StoreUrl =
  | { kind: "s3"; bucket: string; prefix: string }
  | { kind: "azblob"; container: string; prefix: string; serviceUrl?: string; sas?: string };

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const CONTAINER = /^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;

/** The prefix as config-sync takes it: empty, or segments each ending with `/`. */
function normalPrefix(path: string, url: string): string {
  const prefix = path.replace(/^\/+/, "");
  if (prefix === "") return "";
  const withSlash = prefix.endsWith("/") ? prefix : `${prefix}/`;
  if (
    withSlash
      .split("/")
      .slice(0, -1)
      .some((s) => s === "" || s === "." || s === "..")
  )
    throw new UsageError(`--to ${url}: the prefix '${prefix}' has an empty, '.' or '..' segment`);
  return withSlash;
}

/** Reads `--to`; anything else is a usage error saying which forms are accepted. */
export function parseStoreUrl(text: string): StoreUrl {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(
      `--to '${text}' is not a URL: use s3://bucket/prefix, azblob://container/prefix or https://<account>.blob.core.windows.net/<container>/<prefix>`,
    );
  }
  if (url.protocol === "s3:") {
    if (!BUCKET.test(url.hostname))
      throw new UsageError(`--to ${text}: '${url.hostname}' is not an S3 bucket name`);
    return {
      kind: "s3",
      bucket: url.hostname,
      prefix: normalPrefix(decodeURIComponent(url.pathname), text),
    };
  }
  if (url.protocol === "azblob:") {
    if (!CONTAINER.test(url.hostname))
      throw new UsageError(`--to ${text}: '${url.hostname}' is not a blob container name`);
    return {
      kind: "azblob",
      container: url.hostname,
      prefix: normalPrefix(decodeURIComponent(url.pathname), text),
    };
  }
  if (url.protocol === "https:" && url.hostname.endsWith(".blob.core.windows.net")) {
    const [container = "", ...rest] = url.pathname.replace(/^\/+/, "").split("/");
    if (!CONTAINER.test(container))
      throw new UsageError(`--to ${text}: '${container}' is not a blob container name`);
    return {
      kind: "azblob",
      container,
      prefix: normalPrefix(decodeURIComponent(rest.join("/")), text),
      serviceUrl: `https://${url.hostname}`,
      ...(url.search !== "" ? { sas: url.search.slice(1) } : {}),
    };
  }
  throw new UsageError(
    `--to ${text}: use s3://bucket/prefix, azblob://container/prefix or https://<account>.blob.core.windows.net/<container>/<prefix>`,
  );
}

interface ProjectFile {
  /** Key relative to the prefix: topology.yaml, registry/<file>. */
  key: string;
  body: Buffer;
}

async function projectFiles(dir: string): Promise<ProjectFile[]> {
  const files: ProjectFile[] = [];
  const walk = async (folder: string): Promise<void> => {
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile())
        files.push({ key: relative(dir, path).split(sep).join("/"), body: await readFile(path) });
    }
  };
  await walk(join(dir, "registry"));
  files.sort((a, b) => (a.key < b.key ? -1 : 1));
  // The topology last: a run started by the registry's events already sees the new files.
  files.push({ key: "topology.yaml", body: await readFile(join(dir, "topology.yaml")) });
  return files;
}

interface Store {
  put(key: string, body: Buffer): Promise<void>;
  /** Keys under `registryPrefix`. */
  list(registryPrefix: string): Promise<string[]>;
  remove(keys: string[]): Promise<void>;
  close(): void;
}

function s3Store(target: Extract<StoreUrl, { kind: "s3" }>, endpoint: string | undefined): Store {
  const client = new S3Client(endpoint === undefined ? {} : { endpoint, forcePathStyle: true });
  return {
    async put(key, body) {
      await client.send(new PutObjectCommand({ Bucket: target.bucket, Key: key, Body: body }));
    },
    async list(prefix) {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(
          new ListObjectsV2Command({
            Bucket: target.bucket,
            Prefix: prefix,
            ContinuationToken: token,
          }),
        );
        for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token !== undefined);
      return keys;
    },
    async remove(keys) {
      for (let i = 0; i < keys.length; i += 1000)
        await client.send(
          new DeleteObjectsCommand({
            Bucket: target.bucket,
            Delete: { Objects: keys.slice(i, i + 1000).map((Key) => ({ Key })) },
          }),
        );
    },
    close: () => client.destroy(),
  };
}

function blobStore(target: Extract<StoreUrl, { kind: "azblob" }>): Store {
  const connection = process.env.AZURE_STORAGE_CONNECTION_STRING;
  let container: ContainerClient;
  if (target.sas !== undefined && target.serviceUrl !== undefined)
    container = new BlobServiceClient(`${target.serviceUrl}?${target.sas}`).getContainerClient(
      target.container,
    );
  else if (connection !== undefined && connection !== "")
    container = BlobServiceClient.fromConnectionString(connection).getContainerClient(
      target.container,
    );
  else
    throw new UsageError(
      "registry push to a blob container needs AZURE_STORAGE_CONNECTION_STRING, or a SAS in the https URL",
    );
  return {
    async put(key, body) {
      await container.getBlockBlobClient(key).uploadData(body);
    },
    async list(prefix) {
      const keys: string[] = [];
      for await (const blob of container.listBlobsFlat({ prefix })) keys.push(blob.name);
      return keys;
    },
    async remove(keys) {
      for (const key of keys) await container.deleteBlob(key);
    },
    close: () => undefined,
  };
}

const options = {
  to: {
    type: "string",
    value: "<store-url>",
    help: "s3://bucket/prefix, azblob://container/prefix or https://…blob…/container/prefix[?sas]",
  },
  endpoint: {
    type: "string",
    value: "<url>",
    help: "an S3-compatible endpoint (e.g. a local S3 emulator)",
  },
} as const satisfies CommandOptions;

export const registryCommand = defineCommand({
  name: "registry",
  summary: "push: validate a project and upload its registry to the store config-sync reads",
  args: "push <dir>",
  description:
    "Validate <dir>, then upload topology.yaml and registry/ under the prefix (what config-sync\n" +
    "reads; the store's change event starts it) and remove registry objects the project no\n" +
    "longer has. An invalid project uploads nothing (exit 1). Credentials: the AWS SDK's chain;\n" +
    "AZURE_STORAGE_CONNECTION_STRING or a SAS in the URL.",
  options,
  examples: ["registry push examples --to s3://my-registry-bucket/eu/"],
  run: runRegistry,
});

async function runRegistry(args: CommandArgs<typeof options>): Promise<number> {
  const [subcommand, ...positionals] = args.positionals;
  if (subcommand !== "push")
    throw new UsageError("registry takes a subcommand: registry push <dir> --to <url>");
  if (positionals.length > 1) throw new UsageError("registry push takes one <dir>");
  const dir = await projectDir(positionals[0]);
  const to = args.values.to;
  if (typeof to !== "string" || to === "")
    throw new UsageError("registry push needs --to <store-url>");
  const target = parseStoreUrl(to);
  const endpoint = typeof args.values.endpoint === "string" ? args.values.endpoint : undefined;
  if (endpoint !== undefined && target.kind !== "s3")
    throw new UsageError(
      "--endpoint is for S3 (an S3-compatible endpoint); a blob container's is in its URL or connection string",
    );

  const project = await loadValidProject(dir);
  if (project === undefined) {
    console.error("registry push: nothing uploaded");
    return 1;
  }
  const files = await projectFiles(dir);
  const store = target.kind === "s3" ? s3Store(target, endpoint) : blobStore(target);
  try {
    for (const file of files) await store.put(`${target.prefix}${file.key}`, file.body);
    const registryPrefix = `${target.prefix}registry/`;
    const pushed = new Set(files.map((f) => `${target.prefix}${f.key}`));
    const stale = (await store.list(registryPrefix)).filter((key) => !pushed.has(key));
    await store.remove(stale);
    console.log(
      `pushed ${files.length} files of ${dir} to ${to}${stale.length > 0 ? `; removed ${stale.length} no longer in the project (${stale.join(", ")})` : ""}`,
    );
    return 0;
  } catch (error) {
    console.error(
      `registry push: the upload to ${to} failed: ${error instanceof Error ? error.message : String(error)}`,
    );
    return 3;
  } finally {
    store.close();
  }
}
