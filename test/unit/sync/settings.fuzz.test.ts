/**
 * The functions' input boundaries under arbitrary input: settings from the environment
 * (a SyncConfigError naming variables, never echoing the password), the state document
 * (a SyncStateError), and an Event Grid event (a trigger or nothing, never a throw).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { toSyncTrigger } from "../../../functions/azure/sync/handler.ts";
import {
  parseSyncState,
  SyncConfigError,
  SyncStateError,
  syncSettingsFromEnv,
} from "../../../shared/sync/index.ts";

const SECRET = "s3cr3t-do-not-print";

describe("config-sync boundaries (fuzz)", () => {
  it("settings: valid ones parse, others are a SyncConfigError without the password", () => {
    const value = fc.oneof(
      fc.string(),
      fc.constantFrom(
        "amqp://r:5672",
        "amqps://a:5671,amqps://b:5671",
        "0",
        "-1",
        "12.5",
        "PLAIN",
        "EXTERNAL",
      ),
    );
    fc.assert(
      fc.property(
        fc.record({
          SYNC_ROUTER_URLS: value,
          MESH_SASL_USERNAME: fc.option(value, { nil: undefined }),
          MESH_SASL_MECHANISM: fc.option(value, { nil: undefined }),
          SYNC_FULL_INTERVAL_MS: fc.option(value, { nil: undefined }),
          SYNC_TIMEOUT_MS: fc.option(value, { nil: undefined }),
        }),
        (env) => {
          try {
            const settings = syncSettingsFromEnv({ ...env, MESH_SASL_PASSWORD: SECRET });
            expect(settings.routers.length).toBeGreaterThan(0);
            for (const r of settings.routers) expect(r.url).toMatch(/^amqps?:\/\//);
          } catch (error) {
            expect(error).toBeInstanceOf(SyncConfigError);
            expect((error as Error).message).not.toContain(SECRET);
          }
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it("state documents: a state or a SyncStateError", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.anything().map((v) => JSON.stringify(v) ?? ""),
        ),
        (text) => {
          try {
            expect(parseSyncState(text, "state.json").version).toBe(1);
          } catch (error) {
            expect(error).toBeInstanceOf(SyncStateError);
          }
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it("Event Grid events: a trigger for a BlobCreated with a blob subject, else none; never a throw", () => {
    const event = fc.record({
      id: fc.string(),
      topic: fc.string(),
      subject: fc.oneof(
        fc.string(),
        fc.string().map((s) => `/blobServices/default/containers/c/blobs/${s}`),
      ),
      eventType: fc.oneof(fc.string(), fc.constant("Microsoft.Storage.BlobCreated")),
      eventTime: fc.oneof(
        fc.string(),
        fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
      ),
      data: fc.option(fc.dictionary(fc.string(), fc.anything()), { nil: undefined }),
      dataVersion: fc.string(),
      metadataVersion: fc.string(),
    });
    fc.assert(
      fc.property(event, (e) => {
        const trigger = toSyncTrigger(e);
        if (trigger !== undefined) {
          expect(e.eventType).toBe("Microsoft.Storage.BlobCreated");
          expect(trigger.kind === "object-written" && e.subject.endsWith(trigger.key)).toBe(true);
        }
      }),
      { numRuns: 2_000 },
    );
  });
});
