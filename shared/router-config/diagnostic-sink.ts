import type { Diagnostic } from "../diagnostics.ts";
import type { ChannelRegistry, RegisteredChannel } from "../registry/model.ts";
import { START_OF_FILE } from "../yaml/position.ts";

/** Collects generation diagnostics, pointing at the channel or topology entry to fix. */
export class DiagnosticSink {
  readonly diagnostics: Diagnostic[] = [];

  private readonly registry: ChannelRegistry;
  private readonly topologyFile: string;

  constructor(registry: ChannelRegistry, topologyFile: string) {
    this.registry = registry;
    this.topologyFile = topologyFile;
  }

  channel(
    channel: RegisteredChannel,
    severity: Diagnostic["severity"],
    code: string,
    message: string,
    hint: string,
    path: (string | number)[] = [],
  ): void {
    this.diagnostics.push({
      severity,
      code,
      file: channel.source.file,
      line: channel.source.line,
      column: channel.source.column,
      path: [...this.channelPath(channel), ...path],
      message,
      hint,
    });
  }

  topology(
    severity: Diagnostic["severity"],
    code: string,
    path: (string | number)[],
    message: string,
    hint: string,
  ): void {
    // The topology model keeps no positions; point at the file and the path inside it.
    this.diagnostics.push({
      severity,
      code,
      file: this.topologyFile,
      ...START_OF_FILE,
      path,
      message,
      hint,
    });
  }

  private channelPath(channel: RegisteredChannel): (string | number)[] {
    const team = this.registry.teams.find((t) => t.team === channel.owner);
    const index = team?.channels.findIndex((c) => c.address === channel.address) ?? -1;
    return index >= 0 ? ["channels", index] : ["channels"];
  }
}
