/** Every command of the CLI, in the order the overview lists them: a new command is a file and a line here. */
import type { Command } from "../command.ts";
import { bridgeCommand } from "./bridge.ts";
import { catalogCommand } from "./catalog.ts";
import { consoleCommand } from "./console.ts";
import { diffCommand } from "./diff.ts";
import { emulatorCommand } from "./emulator.ts";
import { generateCommand } from "./generate.ts";
import { infraCommand } from "./infra-plan.ts";
import { publishCommand } from "./publish.ts";
import { registryCommand } from "./registry-push.ts";
import { statusCommand } from "./status.ts";
import { syncCommand } from "./sync.ts";
import { tailCommand } from "./tail.ts";
import { typesCommand } from "./types.ts";
import { upCommand } from "./up.ts";
import { validateCommand } from "./validate.ts";
import { verifyCommand } from "./verify.ts";

export const COMMANDS: readonly Command[] = [
  validateCommand,
  generateCommand,
  diffCommand,
  syncCommand,
  emulatorCommand,
  upCommand,
  consoleCommand,
  statusCommand,
  publishCommand,
  tailCommand,
  verifyCommand,
  bridgeCommand,
  catalogCommand,
  typesCommand,
  infraCommand,
  registryCommand,
];
