/** `amqp-mesh types <dir> --out <file>`: TypeScript types of every channel's payload. */
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { PayloadTypeError, payloadTypesModule } from "../../shared/catalog/index.ts";
import type { CommandArgs, CommandOptions } from "../args.ts";
import { defineCommand } from "../command.ts";
import { loadValidProject } from "../load-project.ts";
import { projectDir } from "../project-dir.ts";
import { UsageError } from "../usage.ts";

const options = {
  out: { type: "string", value: "<file>", help: "the TypeScript file to write" },
} as const satisfies CommandOptions;

export const typesCommand = defineCommand({
  name: "types",
  summary: "TypeScript types of every channel's payload, from its schema",
  args: "<dir>",
  description:
    "TypeScript types of every channel's payload and the channel map that types\n" +
    'defineChannelHandler<"address"> and context.publish("address", ...).\n' +
    "Exit 0 written, 1 invalid project or a schema without a type (nothing written).",
  options,
  examples: ["types examples --out examples/functions/channel-payloads.ts"],
  run: runTypes,
});

/** Exit 0 written, 1 invalid project or a schema without a type (nothing written). */
async function runTypes(args: CommandArgs<typeof options>): Promise<number> {
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
