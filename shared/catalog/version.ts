/**
 * A team document's version: `<major>.0.0+<digest>`. The registry asks for a channel's
 * `version` to be raised with each breaking change (shared/registry compat; config-sync
 * refuses one that is not).
 *
 * - Without a baseline (the first catalog), major = 1 + Σ (version − 1) over the team's
 *   channels, from the registry alone so every run gives the same one.
 * - Against the team's last published document (a baseline: `amqp-mesh catalog` reads the
 *   one in its out folder, or `--previous`), the major counts on from the baseline's: + the
 *   rise of each channel's version, and + 1 when a channel was removed or its version went
 *   down — both break its consumers, and neither shows in the sum above (it would go down).
 *   A change that breaks nobody keeps the baseline's major.
 *
 * The build metadata is a digest of what the document says about the channels: any other
 * change shows there.
 */
import { createHash } from "node:crypto";
import stableStringify from "fast-json-stable-stringify";
import type { RegisteredChannel } from "../registry/index.ts";

/** What a published team document says of its version: its major and each channel's version. */
export interface PublishedVersion {
  major: number;
  /** Channel address → its version in that document. */
  channels: ReadonlyMap<string, number>;
}

export function documentMajor(
  channels: readonly RegisteredChannel[],
  previous?: PublishedVersion,
): number {
  if (previous === undefined)
    return 1 + channels.reduce((sum, channel) => sum + (channel.version - 1), 0);
  const now = new Map(channels.map((c) => [c.address, c.version]));
  let rises = 0;
  let lost = false;
  for (const [address, before] of previous.channels) {
    const version = now.get(address);
    if (version === undefined || version < before) lost = true;
    else rises += version - before;
  }
  return previous.major + rises + (lost ? 1 : 0);
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

export function documentVersion(
  channels: readonly RegisteredChannel[],
  previous?: PublishedVersion,
): string {
  const digest = createHash("sha256")
    .update(stableStringify(channels.map(catalogFacts)))
    .digest("hex")
    .slice(0, 12);
  return `${documentMajor(channels, previous)}.0.0+${digest}`;
}
