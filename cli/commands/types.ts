/** `amqp-mesh types <dir> --out <file>`: TypeScript types of every channel's payload. */
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { PayloadTypeError, payloadTypesModule } from "../../shared/catalog/index.ts";
import { loadValidProject } from "../load-project.ts";
import type { ParsedArgs } from "../main.ts";
import { projectDir } from "../project-dir.ts";
import { UsageError } from "../usage.ts";

export const TYPES_OPTIONS = { out: { type: "string" } } as const;

/** Exit 0 written, 1 invalid project or a schema without a type (nothing written). */
export async function runTypes(args: ParsedArgs): Promise<number> {
  if (args.positionals.length > 1) throw new UsageError("types takes one <dir>");
  const dir = await projectDir(args.positionals[0]);
  const out = args.values.out;
  if (typeof out !== "string" || out === "") throw new UsageError("types needs --out <file>");
  const project = await loadValidProject(dir);
  if (project === undefined) return 1;
  let text: string;
  try {
    text = await payloadTypesModule(project.registry);
  } catch (error) {
    if (!(error instanceof PayloadTypeError)) throw error;
    console.error(`types: ${error.message}; nothing written`);
    return 1;
  }
  const file = resolve(out);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, text);
  console.log(`wrote the payload types of ${project.registry.channels.length} channels to ${file}`);
  return 0;
}
