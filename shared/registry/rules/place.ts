import type { Diagnostic, Finding } from "../../diagnostics.ts";
import { START_OF_FILE } from "../../yaml/position.ts";
import type { ChannelRegistry, RegisteredChannel } from "../model.ts";

/** Turns findings about channels and teams into positioned diagnostics. */
export class RegistryPlaces {
  private readonly registry: ChannelRegistry;

  constructor(registry: ChannelRegistry) {
    this.registry = registry;
  }

  /** `file:line:column` of a channel, for messages that name another party's channel. */
  where(channel: RegisteredChannel): string {
    return `${channel.source.file}:${channel.source.line}:${channel.source.column}`;
  }

  atChannel(
    channel: RegisteredChannel,
    subPath: (string | number)[],
    finding: Finding,
  ): Diagnostic {
    const team = this.registry.teams.find((t) => t.file === channel.source.file);
    const documentPath = channel.documentPath;
    const path = documentPath ? [...documentPath, ...subPath] : subPath;
    const position =
      team?.locate && documentPath
        ? team.locate(path)
        : { line: channel.source.line, column: channel.source.column };
    return { severity: "error", ...finding, file: channel.source.file, ...position, path };
  }

  atTeam(
    team: ChannelRegistry["teams"][number],
    path: (string | number)[],
    finding: Finding,
  ): Diagnostic {
    const position = team.locate?.(path) ?? START_OF_FILE;
    return { severity: "error", ...finding, file: team.file, ...position, path };
  }
}
