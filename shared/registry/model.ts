import type { PathLocator } from "../yaml/position.ts";
import type { Channel, TeamDocument } from "./schema.ts";

/** A channel as the rest of the platform sees it: its spec plus the team that owns it. */
export interface RegisteredChannel extends Channel {
  owner: string;
  /** Resolved JSON Schema of the payload (inline or from schemaFile), if any. */
  payloadSchema?: Record<string, unknown>;
  /** Where the channel is declared, for error messages. */
  source: { file: string; line: number; column: number };
  /** Path of the channel inside its document, e.g. ["channels", 2]; absent when built in code. */
  documentPath?: (string | number)[];
}

/** A team document as loaded, with the file it came from. */
export type RegisteredTeam = TeamDocument & {
  file: string;
  /** Line and column of a path in `file`; absent for registries built in code. */
  locate?: PathLocator;
};

/** The whole registry after loading: every team document, every channel. */
export interface ChannelRegistry {
  teams: RegisteredTeam[];
  channels: RegisteredChannel[];
}
