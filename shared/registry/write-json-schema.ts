import { writeFile } from "node:fs/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
import { registryJsonSchemaText } from "./json-schema.ts";

/** Where the committed JSON Schema of the registry format lives. */
export const REGISTRY_JSON_SCHEMA_FILE = fileURLToPath(
  new URL("./registry.schema.json", import.meta.url),
);

/** Regenerate with: npx tsx shared/registry/write-json-schema.ts */
export async function writeRegistryJsonSchema(
  file: string = REGISTRY_JSON_SCHEMA_FILE,
): Promise<string> {
  await writeFile(file, registryJsonSchemaText());
  return file;
}

const invokedDirectly =
  process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  const file = await writeRegistryJsonSchema();
  console.log(`wrote ${file}`);
}
