/**
 * Payload validation as the ingress and the triggers use it: a validator per channel that
 * returns every violation with its JSON pointer. The validators come either from Ajv at run time
 * (`runtime-validators.ts`: compiled once per channel, on first use) or precompiled at
 * deploy time (`validator-source.ts` writes them; `precompiledValidators` wraps them) —
 * both are Ajv's code for the same schema, with the same errors.
 */
import type { DeployedChannel } from "./snapshot.ts";

/** One violation of a payload schema, located by a JSON pointer into the checked document. */
export interface Violation {
  pointer: string;
  detail: string;
  /** The JSON Schema keyword that failed (`required`, `type`, `pattern`...). */
  keyword: string;
}

/** The parts of an Ajv error read here (ErrorObject, without importing Ajv). */
export interface SchemaError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

/** Ajv's validate function shape: true when valid, else errors on the function. */
export interface CompiledValidate {
  (data: unknown): boolean | Promise<unknown>;
  errors?: SchemaError[] | null;
}

/** Every violation of the channel's schema, pointers prefixed with `base` (empty when valid). */
export type PayloadValidator = (data: unknown, base: string) => Violation[];

export interface PayloadValidators {
  /** The channel's validator; undefined when the channel has no schema. */
  forChannel(channel: DeployedChannel): PayloadValidator | undefined;
}

/** The key a channel's validator is stored under in a precompiled module. */
export function validatorKey(address: string): string {
  return address;
}

function escapePointerSegment(segment: string): string {
  return segment.replace(/~/g, "~0").replace(/\//g, "~1");
}

/** An Ajv error as a violation; `required` and friends point at the member concerned. */
export function violationOf(error: SchemaError, base: string): Violation {
  const params = error.params;
  const member =
    typeof params.missingProperty === "string"
      ? params.missingProperty
      : typeof params.additionalProperty === "string"
        ? params.additionalProperty
        : typeof params.unevaluatedProperty === "string"
          ? params.unevaluatedProperty
          : undefined;
  const pointer =
    base + error.instancePath + (member === undefined ? "" : `/${escapePointerSegment(member)}`);
  const allowed = Array.isArray(params.allowedValues)
    ? `: ${params.allowedValues.map((v) => JSON.stringify(v)).join(", ")}`
    : "";
  return { pointer, keyword: error.keyword, detail: `${error.message ?? "is invalid"}${allowed}` };
}

/** Wraps an Ajv validate function (runtime-compiled or precompiled) as a PayloadValidator. */
export function wrapValidate(validate: CompiledValidate): PayloadValidator {
  return (data, base) => {
    if (validate(data) === true) return [];
    return (validate.errors ?? []).map((e) => violationOf(e, base));
  };
}

/** Validators precompiled at deploy time: a module of Ajv standalone functions by address. */
export function precompiledValidators(
  compiled: Readonly<Record<string, CompiledValidate>>,
): PayloadValidators {
  const wrapped = new Map<string, PayloadValidator>();
  for (const [key, validate] of Object.entries(compiled)) wrapped.set(key, wrapValidate(validate));
  return {
    forChannel(channel) {
      if (channel.schema === undefined) return undefined;
      const validator = wrapped.get(validatorKey(channel.address));
      if (validator === undefined) {
        throw new Error(
          `no precompiled validator for channel '${channel.address}': the validators module ` +
            "does not match the registry snapshot; bundle both again with `npm run bundle`",
        );
      }
      return validator;
    },
  };
}
