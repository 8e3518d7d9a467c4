import type { Diagnostic, Finding } from "../../diagnostics.ts";
import { START_OF_FILE } from "../../yaml/position.ts";
import type { TopologySource } from "../load.ts";

/** Positions findings in the topology file; a topology built in code points at line 1. */
export class TopologyPlaces {
  readonly file: string;
  private readonly source: TopologySource | undefined;

  constructor(source?: TopologySource) {
    this.source = source;
    this.file = source?.file ?? "topology.yaml";
  }

  position(path: (string | number)[]): { line: number; column: number } {
    return this.source?.locate(path) ?? START_OF_FILE;
  }

  /** `file:line:column` of a path, for messages that name the other party. */
  where(path: (string | number)[]): string {
    const { line, column } = this.position(path);
    return `${this.file}:${line}:${column}`;
  }

  at(path: (string | number)[], finding: Finding): Diagnostic {
    return { severity: "error", ...finding, file: this.file, ...this.position(path), path };
  }
}
