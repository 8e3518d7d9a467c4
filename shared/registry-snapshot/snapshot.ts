/**
 * What a deployed function needs of the registry, as a snapshot taken at deploy time (see
 * shared/ingress/README.md, "Registry at run time"): channels with their delivery, limits,
 * schema and producers, and the teams' principals. Built from a validated ChannelRegistry,
 * written as JSON next to the function bundle, read back (and checked) when the function starts.
 */
import { createHash } from "node:crypto";
import * as z from "zod/mini";
import { englishMessages, issueLines } from "../amqp/index.ts";
import type { ChannelRegistry } from "../registry/index.ts";
import { addressSegments, PartyResolver } from "../registry/index.ts";

export const SNAPSHOT_FORMAT = 1;

const snapshotChannel = z.object({
  address: z.string().check(z.minLength(1)),
  owner: z.string().check(z.minLength(1)),
  delivery: z.enum(["at-least-once", "at-most-once"]),
  maxMessageSize: z.int().check(z.positive()),
  producers: z.array(z.string()),
  schema: z.optional(z.record(z.string(), z.unknown())),
});

export const registrySnapshotSchema = z.object({
  format: z.literal(SNAPSHOT_FORMAT),
  /** sha256 of the snapshot's channels and teams: which registry a function runs with. */
  digest: z.string(),
  teams: z.array(z.object({ team: z.string(), principals: z.array(z.string()) })),
  channels: z.array(snapshotChannel),
});

export type RegistrySnapshot = z.infer<typeof registrySnapshotSchema>;
export type SnapshotChannel = z.infer<typeof snapshotChannel>;

/** The snapshot file does not hold a registry snapshot; names each problem and its path. */
export class RegistrySnapshotError extends Error {
  constructor(where: string, issues: readonly string[]) {
    super(
      `${where}: not a registry snapshot (${issues.join("; ")}); ` +
        "write it with `npm run bundle` from a valid project",
    );
    this.name = "RegistrySnapshotError";
  }
}

/** The snapshot of a validated registry (the caller checked it has no errors). */
export function snapshotRegistry(registry: ChannelRegistry): RegistrySnapshot {
  const teams = registry.teams.map((t) => ({ team: t.team, principals: [...t.principals] }));
  const channels = registry.channels.map((c) => {
    const schema = c.schema ?? c.payloadSchema;
    return {
      address: c.address,
      owner: c.owner,
      delivery: c.delivery,
      maxMessageSize: c.maxMessageSize,
      producers: [...c.producers],
      ...(schema === undefined ? {} : { schema }),
    };
  });
  return { format: SNAPSHOT_FORMAT, digest: snapshotDigest({ teams, channels }), teams, channels };
}

/** The digest of a snapshot's teams and channels (what `digest` must hold). */
export function snapshotDigest(content: Pick<RegistrySnapshot, "teams" | "channels">): string {
  const { teams, channels } = content;
  return createHash("sha256").update(JSON.stringify({ teams, channels })).digest("hex");
}

export function parseRegistrySnapshot(
  json: unknown,
  where = "registry snapshot",
): RegistrySnapshot {
  const result = registrySnapshotSchema.safeParse(json, englishMessages);
  if (!result.success) throw new RegistrySnapshotError(where, issueLines(result.error, "(root)"));
  return result.data;
}

/** A channel as a deployed function enforces it (the ingress: producers and size; triggers: schema, delivery). */
export interface DeployedChannel {
  address: string;
  owner: string;
  delivery: "at-least-once" | "at-most-once";
  maxMessageSize: number;
  schema: Record<string, unknown> | undefined;
  /** Every principal that may publish: named ones and the principals of named teams. */
  producers: ReadonlySet<string>;
}

/** Channel lookup and producer rules over one snapshot. */
export class DeployedRegistry {
  readonly digest: string;
  private readonly channels = new Map<string, DeployedChannel>();
  private readonly principals = new Set<string>();

  constructor(snapshot: RegistrySnapshot) {
    this.digest = snapshot.digest;
    // The registry's one reading of a producer entry (shared/registry/parties.ts): a team
    // (all its principals) or one declared principal; an ambiguous or undeclared name, nobody.
    const parties = new PartyResolver(snapshot.teams);
    for (const team of snapshot.teams) for (const p of team.principals) this.principals.add(p);
    for (const c of snapshot.channels) {
      const producers = new Set(parties.principalsIn(c.producers));
      this.channels.set(channelKey(c.address), {
        address: c.address,
        owner: c.owner,
        delivery: c.delivery,
        maxMessageSize: c.maxMessageSize,
        schema: c.schema,
        producers,
      });
    }
  }

  /** The channel registered under this address (`.` and `/` are the same separator). */
  channel(address: string): DeployedChannel | undefined {
    return this.channels.get(channelKey(address));
  }

  allChannels(): DeployedChannel[] {
    return [...this.channels.values()];
  }

  isPrincipal(name: string): boolean {
    return this.principals.has(name);
  }

  mayProduce(principal: string, channel: DeployedChannel): boolean {
    return channel.producers.has(principal);
  }
}

function channelKey(address: string): string {
  return addressSegments(address).join("/");
}
