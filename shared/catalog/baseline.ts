/**
 * The last published catalog as the baseline of the next one's versions: each team's
 * `<team>.asyncapi.yaml` read back for its major version and its channels' versions
 * (version.ts says how they count). A file that is not such a document is an error that
 * names it, never a silent restart of the count at 1.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { parse } from "yaml";
import * as z from "zod/mini";
import type { PublishedVersion } from "./version.ts";

/** The name of a team's document in a catalog folder. */
export const teamDocumentFile = (team: string): string => `${team}.asyncapi.yaml`;

export class CatalogBaselineError extends Error {
  override name = "CatalogBaselineError";
  readonly file: string;
  constructor(file: string, what: string) {
    super(
      `${file}: ${what}; it is read as the last published catalog (move it away, or give --previous another folder)`,
    );
    this.file = file;
  }
}

const publishedDocument = z.object({
  asyncapi: z.string(),
  info: z.object({ version: z.string().check(z.regex(/^[1-9]\d{0,8}\.\d+\.\d+(\+.*)?$/)) }),
  channels: z._default(
    z.record(
      z.string(),
      z.object({
        address: z.string(),
        "x-amqp-mesh-version": z.int().check(z.minimum(1)),
      }),
    ),
    {},
  ),
});

/** A published team document's version facts; CatalogBaselineError when it is not one. */
export function readPublishedVersion(text: string, file: string): PublishedVersion {
  let value: unknown;
  try {
    value = parse(text);
  } catch (error) {
    throw new CatalogBaselineError(file, `not YAML (${(error as Error).message.split("\n")[0]})`);
  }
  const parsed = publishedDocument.safeParse(value);
  if (!parsed.success) {
    const where = parsed.error.issues[0]?.path.join(".") || "(document)";
    throw new CatalogBaselineError(file, `not an amqp-mesh team document (at ${where})`);
  }
  const { info, channels } = parsed.data;
  return {
    major: Number(info.version.split(".")[0]),
    channels: new Map(Object.values(channels).map((c) => [c.address, c["x-amqp-mesh-version"]])),
  };
}

/** The baselines of the given teams found in `dir` (a missing folder or file: no baseline). */
export async function readPublishedVersions(
  dir: string,
  teams: readonly string[],
): Promise<Map<string, PublishedVersion>> {
  const present = new Set(await readdir(dir).catch(() => [] as string[]));
  const baselines = new Map<string, PublishedVersion>();
  for (const team of teams) {
    const name = teamDocumentFile(team);
    if (!present.has(name)) continue;
    const file = join(dir, name);
    baselines.set(team, readPublishedVersion(await readFile(file, "utf8"), file));
  }
  return baselines;
}
