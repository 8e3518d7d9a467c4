/** A snapshot store in memory and a published snapshot with one channel more, for the live registry's tests. */
import {
  type RegistrySnapshot,
  type SnapshotStore,
  snapshotDigest,
} from "../../../shared/registry-snapshot/index.ts";
import { exampleSnapshot } from "../trigger/snapshot.ts";

/** A store in memory: ETags count writes, a read with the current ETag is not-modified. */
export class MemorySnapshotStore implements SnapshotStore {
  readonly description = "memory://registry/published/registry-snapshot.json";
  text: string | undefined;
  etag = 0;
  reads = 0;
  failure: Error | undefined;

  write(text: string): void {
    this.text = text;
    this.etag++;
  }

  async read(ifNoneMatch?: string) {
    this.reads++;
    if (this.failure !== undefined) throw this.failure;
    if (this.text === undefined) return "missing" as const;
    const etag = `"${this.etag}"`;
    if (ifNoneMatch === etag) return "not-modified" as const;
    return { etag, text: this.text };
  }
}

const RETURNS_SCHEMA = {
  type: "object",
  required: ["orderId", "reason"],
  properties: { orderId: { type: "string" }, reason: { type: "string", minLength: 3 } },
};

/** The example snapshot with one channel more (sales/returns, produced by sales, with a schema). */
export function withReturns(base: RegistrySnapshot = exampleSnapshot()): RegistrySnapshot {
  const channels = [
    ...base.channels,
    {
      address: "sales/returns",
      owner: "sales",
      delivery: "at-least-once" as const,
      maxMessageSize: 65536,
      producers: ["sales"],
      schema: RETURNS_SCHEMA,
    },
  ];
  const content = { teams: base.teams, channels };
  return { format: 1, digest: snapshotDigest(content), ...content };
}
