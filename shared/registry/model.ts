import type { Channel, TeamDocument } from "./schema.ts";

/** A channel as the rest of the platform sees it: its spec plus the team that owns it. */
export interface RegisteredChannel extends Channel {
  owner: string;
  /** Resolved JSON Schema of the payload (inline or from schemaFile), if any. */
  payloadSchema?: Record<string, unknown>;
  /** Where the channel is declared, for error messages. */
  source: { file: string; line: number; column: number };
}

/** The whole registry after loading: every team document, every channel. */
export interface ChannelRegistry {
  teams: (TeamDocument & { file: string })[];
  channels: RegisteredChannel[];
}
