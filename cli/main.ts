import { parseArgs } from "node:util";
import { BRIDGE_OPTIONS, runBridge } from "./commands/bridge.ts";
import { CATALOG_OPTIONS, runCatalog } from "./commands/catalog.ts";
import { runDiff } from "./commands/diff.ts";
import { runEmulator } from "./commands/emulator.ts";
import { runGenerate } from "./commands/generate.ts";
import { runInfra } from "./commands/infra-plan.ts";
import { runRegistry } from "./commands/registry-push.ts";
import { runSyncCommand } from "./commands/sync.ts";
import { runTypes, TYPES_OPTIONS } from "./commands/types.ts";
import { runUp } from "./commands/up.ts";
import { runValidate } from "./commands/validate.ts";
import { LocalPlatformError, RUNTIME_FAILURE } from "./local/errors.ts";
import { USAGE, UsageError } from "./usage.ts";

/** Exit codes: 0 success, 1 invalid input, 2 usage error, 3 run-time failure. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "validate":
        return await runValidate(parse(rest, { json: { type: "boolean" } }));
      case "generate":
        return await runGenerate(
          parse<ParsedListArgs>(rest, {
            out: { type: "string" },
            flavour: { type: "string" },
            format: { type: "string" },
            "management-principal": { type: "string", multiple: true },
          }),
        );
      case "diff":
        return await runDiff(parse(rest, { json: { type: "boolean" } }));
      case "emulator":
        return await runEmulator(parse(rest, { out: { type: "string" } }));
      case "sync":
        return await runSyncCommand(
          parse<ParsedListArgs>(rest, {
            router: { type: "string", multiple: true },
            "dry-run": { type: "boolean" },
            json: { type: "boolean" },
            username: { type: "string" },
            "password-file": { type: "string" },
            ca: { type: "string" },
            state: { type: "string" },
            "management-principal": { type: "string", multiple: true },
            timeout: { type: "string" },
          }),
        );
      case "up":
        return await runUp(
          parse(rest, {
            once: { type: "boolean" },
            out: { type: "string" },
            engine: { type: "string" },
          }),
        );
      case "bridge":
        return await runBridge(parse(rest, BRIDGE_OPTIONS));
      case "catalog":
        return await runCatalog(parse(rest, CATALOG_OPTIONS));
      case "types":
        return await runTypes(parse(rest, TYPES_OPTIONS));
      case "infra":
        return await runInfra(
          parse(rest, { cloud: { type: "string" }, json: { type: "boolean" } }),
        );
      case "registry":
        return await runRegistry(
          parse(rest, { to: { type: "string" }, endpoint: { type: "string" } }),
        );
      case undefined:
      case "help":
      case "--help":
      case "-h":
        console.log(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command '${command}'`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`amqp-mesh: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    if (error instanceof LocalPlatformError) {
      console.error(`amqp-mesh: ${error.message}`);
      return RUNTIME_FAILURE;
    }
    console.error(`amqp-mesh: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

type Options = NonNullable<Parameters<typeof parseArgs>[0]>["options"];

export interface ParsedArgs {
  positionals: string[];
  values: Record<string, string | boolean | undefined>;
}

/** Parsed arguments where options may repeat (`multiple: true`). */
export interface ParsedListArgs {
  positionals: string[];
  values: Record<string, string | boolean | string[] | undefined>;
}

function parse<T extends ParsedListArgs = ParsedArgs>(args: string[], options: Options): T {
  try {
    const { values, positionals } = parseArgs({
      args,
      options,
      allowPositionals: true,
      strict: true,
    });
    return { positionals, values: values as T["values"] } as T;
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}
