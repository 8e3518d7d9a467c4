/**
 * What each deployed function carries, from esbuild's metafile of the bundles `npm run bundle`
 * writes: a function pays (size, cold start) for everything in it, so what it does not use
 * must not be there. Bridge-mode triggers carry no idempotency guard (only queued mode needs
 * one: its broker redelivers whole batches); triggers carry nothing of the ingress; functions
 * that only publish carry no consumer or request code; no ingress or trigger carries zod's
 * classic API or the registry's YAML/schema modules, and config-sync carries zod/mini only. (Sizes and cold starts are measured by
 * `node test/bench/function-bundles.bench.ts`.)
 */
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BundleResult, bundleFunctions } from "../../tools/bundle/bundle.ts";

const out = join(process.cwd(), ".tmp", "bundle-contents");
let bundles: Map<string, BundleResult>;

beforeAll(async () => {
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  const results = await bundleFunctions("examples", out, () => {});
  bundles = new Map((results ?? []).map((r) => [`${r.target.cloud}/${r.target.name}`, r]));
}, 300_000);
afterAll(() => rm(out, { recursive: true, force: true }));

/** The files (paths from the repository root) that put bytes into the function's index.mjs. */
function inputs(name: string): string[] {
  const bundle = bundles.get(name);
  if (bundle === undefined) throw new Error(`no bundle ${name}`);
  return Object.values(bundle.metafile.outputs).flatMap((o) =>
    Object.entries(o.inputs)
      .filter(([, input]) => input.bytesInOutput > 0)
      .map(([file]) => file),
  );
}

/** How the example's trigger functions are deployed (examples/functions/aws/*.ts, azure.ts). */
const TRIGGERS = {
  "aws/order-invoicing": "bridge", // lambdaTrigger
  "aws/invoice-sending": "queued", // queuedLambdaTrigger
  "azure/billing-triggers": "queued", // azureTrigger + azureQueuedTrigger in one app
} as const;
const INGRESSES = ["aws/ingress", "azure/ingress"];

const IDEMPOTENCY = /node_modules\/@aws-lambda-powertools\/idempotency\/|^functions\/idempotency\//;
const CONSUMER_SIDE = /^shared\/amqp\/(client|consume|request)\.ts$/;

describe("what each function bundle carries", () => {
  it("bundles every function of the example project", () => {
    expect([...bundles.keys()].sort()).toEqual(
      [...INGRESSES, ...Object.keys(TRIGGERS), "aws/sync", "azure/sync"].sort(),
    );
  });

  it("a trigger carries the idempotency guard (Powertools idempotency, the Redis client) only when it is deployed in queued mode", () => {
    for (const [name, mode] of Object.entries(TRIGGERS)) {
      const guard = inputs(name).filter((f) => IDEMPOTENCY.test(f));
      if (mode === "bridge") expect(guard, name).toEqual([]);
      else {
        expect(
          guard.some((f) => f.includes("@aws-lambda-powertools/idempotency/")),
          name,
        ).toBe(true);
        expect(guard, name).toContain("functions/idempotency/redis-cache-client.ts");
      }
    }
  });

  it("no trigger carries anything of the ingress; each reads the registry snapshot beside it", () => {
    for (const name of Object.keys(TRIGGERS)) {
      expect(
        inputs(name).filter((f) => f.startsWith("shared/ingress/")),
        name,
      ).toEqual([]);
      expect(inputs(name), name).toContain("shared/registry-snapshot/artifacts.ts");
    }
  });

  it("functions that only publish (ingress, triggers) carry no consumer or request code of the client", () => {
    for (const name of [...INGRESSES, ...Object.keys(TRIGGERS)]) {
      expect(
        inputs(name).filter((f) => CONSUMER_SIDE.test(f)),
        name,
      ).toEqual([]);
      expect(inputs(name), name).toContain("shared/amqp/sender-pool.ts");
    }
  });

  it("the live registry's store client and Ajv's compiler are files of their own, loaded later by import(), never part of index.mjs", () => {
    // (nor the Secrets Manager client and Powertools Parameters, nor @azure/identity and MSAL, nor jose)
    const STORE_SDK =
      /node_modules\/(@aws-sdk\/client-s3|@aws-sdk\/client-secrets-manager|@aws-lambda-powertools\/parameters|@azure\/storage-blob|@azure\/identity|@azure\/msal-node|@smithy\/|jose\/)/;
    const AJV_COMPILER = /node_modules\/ajv\/dist\/(2020|core|compile\/index)\.js$/;
    for (const name of [...INGRESSES, ...Object.keys(TRIGGERS)]) {
      const files = inputs(name);
      expect(
        files.filter((f) => STORE_SDK.test(f) || AJV_COMPILER.test(f)),
        name,
      ).toEqual([]);
      expect(files, name).toContain("shared/registry-snapshot/live.ts");
      const cloud = name.split("/")[0];
      const lazy = bundles.get(name)?.lazyMetafiles ?? [];
      const lazyInputs = lazy.flatMap((m) =>
        Object.values(m.outputs).flatMap((o) => Object.keys(o.inputs)),
      );
      expect(Object.keys(bundles.get(name)?.lazySizes ?? {}).sort(), name).toEqual(
        [
          `${cloud}-registry-store.mjs`,
          "schema-compiler.mjs",
          // AWS: the mesh password's Secrets Manager client, read at init only when a secret is named.
          ...(cloud === "aws" ? ["aws-secrets-client.mjs"] : []),
          // The ingresses: jose, for JWTs, only when the ingress accepts them.
          ...(INGRESSES.includes(name) ? ["jwt.mjs"] : []),
        ].sort(),
      );
      // Lambda's runtime provides the AWS SDK: the store file imports it, carries none of it.
      if (cloud === "aws") {
        const imports = lazy.flatMap((m) => Object.values(m.outputs).flatMap((o) => o.imports));
        expect(imports, name).toContainEqual(
          expect.objectContaining({ path: "@aws-sdk/client-s3", external: true }),
        );
        expect(
          lazyInputs.filter((f) => /node_modules\/(@aws-sdk|@smithy)\//.test(f)),
          name,
        ).toEqual([]);
      } else
        expect(
          lazyInputs.some((f) => f.includes("@azure/storage-blob/")),
          name,
        ).toBe(true);
      expect(
        lazyInputs.some((f) => AJV_COMPILER.test(f)),
        name,
      ).toBe(true);
    }
  });

  it("no ingress or trigger carries zod's classic API or the registry's schema modules (they need neither)", () => {
    // Config-sync validates registry files as `amqp-mesh validate` does: it needs them.
    for (const name of [...INGRESSES, ...Object.keys(TRIGGERS)]) {
      const files = inputs(name);
      expect(
        files.some((f) => f.includes("node_modules/zod/v4/mini/")),
        name,
      ).toBe(true);
      expect(
        files.filter((f) => f.includes("node_modules/zod/v4/classic/")),
        name,
      ).toEqual([]);
      expect(
        files.filter((f) => /shared\/(registry|topology)\/(schema|load|json-schema)\.ts$/.test(f)),
        name,
      ).toEqual([]);
    }
  });

  it("config-sync carries zod/mini only (its registry and topology schemas are written in it) and no Event Grid SDK", () => {
    for (const name of ["aws/sync", "azure/sync"]) {
      const files = inputs(name);
      expect(files, name).toContain("shared/registry/schema.ts");
      expect(
        files.filter((f) => f.includes("node_modules/zod/v4/classic/")),
        name,
      ).toEqual([]);
      // Powertools' event schemas are classic zod; the function's own are mini.
      expect(
        files.filter((f) => f.includes("@aws-lambda-powertools/parser/lib/esm/schemas/")),
        name,
      ).toEqual([]);
      expect(
        files.filter((f) => f.includes("node_modules/@azure/eventgrid/")),
        name,
      ).toEqual([]);
    }
  });

  it("Lambda functions import the AWS SDK the nodejs24.x runtime provides instead of carrying it", () => {
    for (const name of ["aws/ingress", "aws/order-invoicing", "aws/invoice-sending", "aws/sync"]) {
      const bundle = bundles.get(name);
      const carried = [bundle?.metafile, ...(bundle?.lazyMetafiles ?? [])].flatMap((m) =>
        Object.values(m?.outputs ?? {}).flatMap((o) => Object.keys(o.inputs)),
      );
      expect(
        carried.filter((f) => /node_modules\/(@aws-sdk|@smithy)\//.test(f)),
        name,
      ).toEqual([]);
    }
    const sync = Object.values(bundles.get("aws/sync")?.metafile.outputs ?? {}).flatMap(
      (o) => o.imports,
    );
    expect(sync).toContainEqual(
      expect.objectContaining({ path: "@aws-sdk/client-s3", external: true }),
    );
  });

  it("queued triggers carry Powertools idempotency without its JMESPath engine, and one Powertools commons", () => {
    for (const name of ["aws/invoice-sending", "azure/billing-triggers"]) {
      const files = inputs(name);
      expect(files, name).toContain("tools/bundle/substitutes/jmespath-fields.ts");
      expect(
        files.filter((f) => f.includes("@aws-lambda-powertools/jmespath/")),
        name,
      ).toEqual([]);
      expect(
        files.filter((f) => /@aws-lambda-powertools\/idempotency\/node_modules\//.test(f)),
        name,
      ).toEqual([]);
    }
  });

  it("Azure apps carry @azure/functions built from its ES sources, without HTTP streaming's proxy", () => {
    for (const name of ["azure/ingress", "azure/billing-triggers", "azure/sync"]) {
      const files = inputs(name);
      expect(
        files.some((f) => f.includes("node_modules/@azure/functions/src/app.ts")),
        name,
      ).toBe(true);
      expect(
        files.filter(
          (f) =>
            f.includes("node_modules/@azure/functions/dist/") ||
            f.includes("node_modules/@azure/functions/src/http/httpProxy.ts") ||
            f.includes("node_modules/cookie/"),
        ),
        name,
      ).toEqual([]);
      expect(files, name).toContain("tools/bundle/substitutes/azure-no-http-stream.ts");
    }
  });
});
