import * as z from "zod/mini";
import { TeamDocument } from "./schema.ts";

export const REGISTRY_JSON_SCHEMA_ID = "https://amqp-mesh.dev/schemas/registry.schema.json";

/**
 * JSON Schema (draft 2020-12) of one registry document, for editors (yaml-language-server:
 * `# yaml-language-server: $schema=...`). Input form: keys with defaults are optional.
 */
export function registryJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(TeamDocument, { io: "input", target: "draft-2020-12" });
  return {
    $schema: generated.$schema,
    $id: REGISTRY_JSON_SCHEMA_ID,
    title: "amqp-mesh channel registry document (one per team)",
    ...generated,
  };
}

/** The exact text committed as registry.schema.json. */
export function registryJsonSchemaText(): string {
  return `${JSON.stringify(registryJsonSchema(), null, 2)}\n`;
}
