/**
 * The payload validators of a snapshot read from the store. Nothing executable comes from
 * the store: a channel whose schema is the one the bundle was built with keeps its
 * precompiled validator (the same schema text, by address); one whose schema is new or
 * changed gets a validator compiled by Ajv in this process from the schema (data), with the
 * same options as at deploy time — so a request gets the same violations either way. Ajv's
 * compiler is imported only then (`loadCompiler`), never at cold start.
 */
import type { RegistryRelease, ValidatorFactory } from "./live.ts";
import type { RegistrySnapshot, SnapshotChannel } from "./snapshot.ts";
import {
  type CompiledValidate,
  type PayloadValidator,
  type PayloadValidators,
  validatorKey,
  wrapValidate,
} from "./validators.ts";

export type SchemaCompiler = (schema: Record<string, unknown>) => CompiledValidate;

/** Ajv's compiler, imported on first use (a chunk of its own in a function bundle). */
export async function loadSchemaCompiler(): Promise<SchemaCompiler> {
  return (await import("./schema-compiler.ts")).compileSchema;
}

/**
 * Validators for snapshots that were not bundled: reuses the bundle's precompiled validators
 * and the previous live release's compiled ones for unchanged schemas, compiles the rest —
 * all before the release is swapped in, so a schema Ajv refuses refuses the whole snapshot.
 */
export function liveValidators(
  bundled: { snapshot: RegistrySnapshot; validators: PayloadValidators },
  loadCompiler: () => Promise<SchemaCompiler> = loadSchemaCompiler,
): ValidatorFactory {
  /** Validators by schema text, of the release in use; replaced at each new release. */
  let known = new Map<string, PayloadValidator>();
  const bundledBySchema = new Map<string, SnapshotChannel>();
  for (const c of bundled.snapshot.channels)
    if (c.schema !== undefined) bundledBySchema.set(schemaKey(c.address, c.schema), c);
  let compiler: SchemaCompiler | undefined;

  return async (snapshot: RegistrySnapshot, _previous: RegistryRelease) => {
    const next = new Map<string, PayloadValidator>();
    const byAddress = new Map<string, PayloadValidator>();
    for (const channel of snapshot.channels) {
      if (channel.schema === undefined) continue;
      const key = schemaKey(channel.address, channel.schema);
      let validator = known.get(key);
      if (validator === undefined) {
        const same = bundledBySchema.get(key);
        if (same !== undefined)
          validator = bundled.validators.forChannel({
            ...same,
            schema: same.schema,
            producers: new Set(),
          });
      }
      if (validator === undefined) {
        compiler ??= await loadCompiler();
        try {
          validator = wrapValidate(compiler(channel.schema));
        } catch (error) {
          throw new Error(
            `the schema of channel '${channel.address}' does not compile (${error instanceof Error ? error.message : String(error)})`,
          );
        }
      }
      next.set(key, validator);
      byAddress.set(validatorKey(channel.address), validator);
    }
    known = next;
    return {
      forChannel(channel) {
        if (channel.schema === undefined) return undefined;
        const validator = byAddress.get(validatorKey(channel.address));
        if (validator === undefined)
          throw new Error(`no validator for channel '${channel.address}' in this registry release`);
        return validator;
      },
    };
  };
}

/** A schema's identity: its channel and its text (the snapshot keeps the registry's key order). */
function schemaKey(address: string, schema: Record<string, unknown>): string {
  return `${address}\n${JSON.stringify(schema)}`;
}
