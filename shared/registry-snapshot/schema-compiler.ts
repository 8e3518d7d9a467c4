/**
 * Compiles a payload schema with Ajv in this process: what a deployed function uses for a
 * schema its bundle has no precompiled validator for (a registry published after the deploy).
 * Its own module, imported only when needed: a function bundle keeps Ajv's compiler in a
 * chunk of its own, loaded on the first new schema, never at cold start.
 */
import { Ajv2020 } from "ajv/dist/2020.js";
import { PAYLOAD_SCHEMA_AJV_OPTIONS } from "../registry/index.ts";
import type { CompiledValidate } from "./validators.ts";

/** One Ajv per schema, as at deploy time: two schemas declaring the same $id must not clash. */
export function compileSchema(schema: Record<string, unknown>): CompiledValidate {
  return new Ajv2020(PAYLOAD_SCHEMA_AJV_OPTIONS).compile(schema);
}
