import type { Diagnostic, Finding } from "../../diagnostics.ts";
import { START_OF_FILE } from "../../yaml/position.ts";
import type { ChannelRegistry, RegisteredChannel, RegisteredTeam } from "../model.ts";

/** Turns findings about channels and teams into positioned diagnostics. */
export class RegistryPlaces {
  /** Team document per file, looked up for every finding about a channel. */
  private readonly teamByFile = new Map<string, RegisteredTeam>();

  constructor(registry: ChannelRegistry) {
    for (const team of registry.teams)
      if (!this.teamByFile.has(team.file)) this.teamByFile.set(team.file, team);
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
    const team = this.teamByFile.get(channel.source.file);
    const documentPath = channel.documentPath;
    const path = documentPath ? [...documentPath, ...subPath] : subPath;
    const position =
      team?.locate && documentPath
        ? team.locate(path)
        : { line: channel.source.line, column: channel.source.column };
    return { severity: "error", ...finding, file: channel.source.file, ...position, path };
  }

  atTeam(team: RegisteredTeam, path: (string | number)[], finding: Finding): Diagnostic {
    const position = team.locate?.(path) ?? START_OF_FILE;
    return { severity: "error", ...finding, file: team.file, ...position, path };
  }
}
