/**
 * The two ways to the same validator: Ajv at run time, and Ajv's standalone code written at
 * deploy time (what a function loads). Same payloads, same violations.
 */
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import * as esbuild from "esbuild";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import {
  type CompiledValidate,
  DeployedRegistry,
  precompiledValidators,
  runtimeValidators,
  snapshotRegistry,
  validatorModuleSource,
} from "../../../shared/registry-snapshot/index.ts";
import { exampleRegistry } from "../../integration/ingress/harness.ts";

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function precompiled(
  source: string,
): Promise<{ validators: Record<string, CompiledValidate>; digest: string }> {
  await mkdir(join(process.cwd(), ".tmp"), { recursive: true });
  const dir = await mkdtemp(join(process.cwd(), ".tmp", "validators-"));
  dirs.push(dir);
  const file = join(dir, "validators.mjs");
  // Bundled as `npm run bundle` does: Ajv's runtime helpers are required from the module.
  await esbuild.build({
    stdin: { contents: source, resolveDir: process.cwd() },
    bundle: true,
    format: "esm",
    platform: "node",
    outfile: file,
    logLevel: "silent",
    banner: {
      js: 'import { createRequire } from "node:module"; const require = createRequire(import.meta.url);',
    },
  });
  return import(pathToFileURL(file).href);
}

describe("payload validators", () => {
  it("precompiled and runtime-compiled validators report the same violations", async () => {
    const snapshot = snapshotRegistry(await exampleRegistry());
    const module = await precompiled(validatorModuleSource(snapshot));
    expect(module.digest).toBe(snapshot.digest);
    const registry = new DeployedRegistry(snapshot);
    const runtime = runtimeValidators();
    const standalone = precompiledValidators(module.validators);
    const orders = registry.channel("sales/orders")!;
    const payload = fc.oneof(
      fc.jsonValue(),
      fc.record(
        {
          orderId: fc.oneof(fc.constant("ord-12"), fc.string()),
          customerId: fc.oneof(fc.string(), fc.integer()),
          currency: fc.constantFrom("EUR", "CHF"),
          lines: fc.array(
            fc.record(
              { sku: fc.string(), quantity: fc.integer({ min: -1, max: 3 }) },
              { requiredKeys: [] },
            ),
          ),
        },
        { requiredKeys: [] },
      ),
    );
    fc.assert(
      fc.property(payload, (value) => {
        expect(standalone.forChannel(orders)?.(value, "/data")).toEqual(
          runtime.forChannel(orders)?.(value, "/data"),
        );
      }),
      { numRuns: 500 },
    );
    expect(runtime.forChannel(registry.channel("sales/events")!)).toBeUndefined();
  });

  it("points at the member concerned, escaped per RFC 6901", async () => {
    const snapshot = snapshotRegistry(await exampleRegistry());
    const registry = new DeployedRegistry(snapshot);
    const validate = runtimeValidators().forChannel(registry.channel("sales/orders")!)!;
    const violations = validate(
      { orderId: "ord-1", customerId: "c", lines: [{ sku: "s", quantity: 1 }], "a/b~c": 1 },
      "/0",
    );
    expect(violations).toEqual([
      {
        pointer: "/0/a~1b~0c",
        keyword: "additionalProperties",
        detail: "must NOT have additional properties",
      },
    ]);
  });

  it("a validators module that does not match the snapshot is refused with the fix", async () => {
    const registry = new DeployedRegistry(snapshotRegistry(await exampleRegistry()));
    expect(() => precompiledValidators({}).forChannel(registry.channel("sales/orders")!)).toThrow(
      /npm run bundle/,
    );
  });
});
