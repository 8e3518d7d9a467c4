import * as z from "zod/mini";
import { type Diagnostic, hasErrors } from "../diagnostics.ts";
import type { ParsedYaml } from "../yaml/parse.ts";
import { START_OF_FILE } from "../yaml/position.ts";
import { checkWithSchema } from "../yaml/schema-diagnostics.ts";
import type { ChannelRegistry, RegisteredChannel, RegisteredTeam } from "./model.ts";
import { REGISTRY_PATTERN_RULES } from "./patterns.ts";
import { readPayloadSchemaFile, type SchemaFileReader } from "./payload-schema-file.ts";
import { Channel, NAME_PATTERN, PRINCIPAL_PATTERN, TeamDocument } from "./schema.ts";

export interface RegistryLoadResult {
  registry: ChannelRegistry;
  diagnostics: Diagnostic[];
}

/** The team part of a document; channels are checked one by one so one bad channel spares the rest. */
const TeamHeader = z.extend(TeamDocument, { channels: z._default(z.array(z.unknown()), []) });

const CHECK = { codePrefix: "registry", patterns: REGISTRY_PATTERN_RULES };

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** When the header is invalid, keep the team if its name is usable, to avoid follow-up errors. */
function salvageHeader(value: unknown): z.output<typeof TeamHeader> | undefined {
  if (!isRecord(value) || typeof value.team !== "string" || !NAME_PATTERN.test(value.team))
    return undefined;
  const principals = Array.isArray(value.principals)
    ? value.principals.filter(
        (p): p is string => typeof p === "string" && PRINCIPAL_PATTERN.test(p),
      )
    : [];
  return {
    team: value.team,
    principals,
    channels: Array.isArray(value.channels) ? value.channels : [],
  };
}

/**
 * A channel with bad fields, parsed again without them, so that the registry rules (overlap,
 * references, ...) still report on it: every problem at once, not one round per fix. The
 * bad fields themselves were reported already; a bad address makes the channel unusable.
 */
function salvageChannel(raw: unknown): Channel | undefined {
  if (!isRecord(raw)) return undefined;
  const first = Channel.safeParse(raw);
  if (first.success) return first.data;
  const badKeys = new Set<string>();
  for (const issue of first.error.issues) {
    if (issue.code === "unrecognized_keys") for (const key of issue.keys) badKeys.add(key);
    else if (issue.path.length > 0) badKeys.add(String(issue.path[0]));
  }
  const kept = Object.fromEntries(Object.entries(raw).filter(([key]) => !badKeys.has(key)));
  // A missing or bad description says nothing the rules across teams need: they still run
  // on the channel (its address is what another team's file may conflict with).
  kept.description ??= "(no valid description)";
  const second = Channel.safeParse(kept);
  return second.success ? second.data : undefined;
}

function rawChannelList(value: unknown): unknown[] {
  return isRecord(value) && Array.isArray(value.channels) ? value.channels : [];
}

async function loadChannel(
  raw: unknown,
  index: number,
  owner: string,
  parsed: ParsedYaml,
  diagnostics: Diagnostic[],
  readSchemaFile: SchemaFileReader,
): Promise<RegisteredChannel | undefined> {
  const documentPath = ["channels", index];
  const checked = checkWithSchema(Channel, raw, parsed, { ...CHECK, basePath: documentPath });
  diagnostics.push(...checked.diagnostics);
  const channel = checked.data ?? salvageChannel(raw);
  if (channel === undefined) return undefined;
  let payloadSchema = channel.schema;
  if (channel.schemaFile !== undefined) {
    const fromFile = await readSchemaFile(parsed.file, channel.schemaFile);
    if (fromFile.ok) payloadSchema ??= fromFile.schema;
    else {
      const path = [...documentPath, "schemaFile"];
      diagnostics.push({
        severity: "error",
        code: fromFile.code,
        file: parsed.file,
        ...parsed.locate(path),
        path,
        message: fromFile.message,
        hint: fromFile.hint,
      });
    }
  }
  return {
    ...channel,
    owner,
    ...(payloadSchema ? { payloadSchema } : {}),
    source: { file: parsed.file, ...parsed.locate(documentPath) },
    documentPath,
  };
}

/** One team document as loaded: the team (undefined when unusable), its channels, its problems. */
export interface TeamDocumentLoad {
  team: RegisteredTeam | undefined;
  channels: RegisteredChannel[];
  diagnostics: Diagnostic[];
}

/**
 * Checks one parsed team document: its header, then each channel on its own (a bad channel
 * spares the rest; channels of an unusable team are still checked). The document's file
 * names its schemaFiles' folder; `readSchemaFile` fetches them (from disk by default).
 */
export async function loadTeamDocument(
  parsed: ParsedYaml,
  readSchemaFile: SchemaFileReader = readPayloadSchemaFile,
): Promise<TeamDocumentLoad> {
  const diagnostics: Diagnostic[] = [];
  const loaded = await checkTeamDocument(parsed, diagnostics, readSchemaFile);
  return { team: loaded?.team, channels: loaded?.channels ?? [], diagnostics };
}

async function checkTeamDocument(
  parsed: ParsedYaml,
  diagnostics: Diagnostic[],
  readSchemaFile: SchemaFileReader,
) {
  const file = parsed.file;
  diagnostics.push(...parsed.diagnostics);
  if (hasErrors(parsed.diagnostics)) return undefined;
  if (parsed.value === undefined || parsed.value === null) {
    diagnostics.push({
      severity: "error",
      code: "registry/empty-document",
      file,
      ...START_OF_FILE,
      path: [],
      message: "the registry document is empty",
      hint: "start it with 'team: <name>' and a 'channels:' list, or delete the file",
    });
    return undefined;
  }
  const header = checkWithSchema(TeamHeader, parsed.value, parsed, CHECK);
  diagnostics.push(...header.diagnostics);
  const team = header.data ?? salvageHeader(parsed.value);
  const rawChannels = team?.channels ?? rawChannelList(parsed.value);
  const channels: RegisteredChannel[] = [];
  for (const [index, raw] of rawChannels.entries()) {
    // Channels of an unusable team are still checked, so every problem shows at once.
    const channel = await loadChannel(
      raw,
      index,
      team?.team ?? "",
      parsed,
      diagnostics,
      readSchemaFile,
    );
    if (channel) channels.push(channel);
  }
  if (team === undefined) return undefined;
  const registered: RegisteredTeam = { ...team, channels, file, locate: parsed.locate };
  return { team: registered, channels };
}

/** The error for a registry folder that cannot be read (or is not there). */
export function unreadableRegistryFolder(folder: string): Diagnostic {
  return {
    severity: "error",
    code: "registry/missing-directory",
    file: folder,
    ...START_OF_FILE,
    path: [],
    message: `registry folder ${folder} cannot be read`,
    hint: "create it and put one <team>.yaml document per team in it",
  };
}

/** The warning for a registry folder without a team document. */
export function noRegistryDocuments(folder: string): Diagnostic {
  return {
    severity: "warning",
    code: "registry/no-documents",
    file: folder,
    ...START_OF_FILE,
    path: [],
    message: `registry folder ${folder} holds no *.yaml documents`,
    hint: "add one <team>.yaml document per team",
  };
}
