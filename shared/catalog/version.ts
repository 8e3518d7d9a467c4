/**
 * A team document's version, from the registry alone so every run gives the same one:
 * `<major>.0.0+<digest>`. The registry asks for a channel's `version` to be raised with each
 * breaking change (shared/registry compat; config-sync refuses one that is not), so
 * major = 1 + Σ (version − 1) over the team's channels rises with every breaking change of
 * any of them. The build metadata is a digest of what the document says about the channels:
 * any other change shows there.
 */
import { createHash } from "node:crypto";
import stableStringify from "fast-json-stable-stringify";
import type { RegisteredChannel } from "../registry/index.ts";

export function documentMajor(channels: readonly RegisteredChannel[]): number {
  return 1 + channels.reduce((sum, channel) => sum + (channel.version - 1), 0);
}

/** The facts of a channel the catalog shows; where it was declared does not count. */
function catalogFacts(channel: RegisteredChannel): unknown {
  const {
    source: _source,
    documentPath: _path,
    schema: _schema,
    schemaFile: _file,
    ...facts
  } = channel;
  return facts;
}

export function documentVersion(channels: readonly RegisteredChannel[]): string {
  const digest = createHash("sha256")
    .update(stableStringify(channels.map(catalogFacts)))
    .digest("hex")
    .slice(0, 12);
  return `${documentMajor(channels)}.0.0+${digest}`;
}
