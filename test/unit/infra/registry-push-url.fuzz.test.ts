/**
 * `registry push --to`: any text is either a store (bucket or container, and a prefix that is
 * empty or whole segments ending in '/') or a usage error saying which forms are accepted.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseStoreUrl } from "../../../cli/commands/registry-push.ts";
import { UsageError } from "../../../cli/usage.ts";

const segment = fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,8}$/);
const bucket = fc
  .stringMatching(/^[a-z0-9][a-z0-9-]{1,10}[a-z0-9]$/)
  .filter((b) => !b.includes("--"));

describe("registry push --to", { timeout: 120_000 }, () => {
  it("reads s3:// and azblob:// URLs into a bucket or container and a prefix of whole segments", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("s3", "azblob"),
        bucket,
        fc.array(segment, { maxLength: 4 }),
        fc.boolean(),
        (scheme, name, segments, slash) => {
          const path = segments.join("/") + (slash && segments.length > 0 ? "/" : "");
          const store = parseStoreUrl(`${scheme}://${name}/${path}`);
          expect(store.kind).toBe(scheme);
          expect(store.kind === "s3" ? store.bucket : store.container).toBe(name);
          expect(store.prefix).toBe(segments.length === 0 ? "" : `${segments.join("/")}/`);
        },
      ),
    );
  });

  it("refuses anything else with a usage error, and never anything but a usage error", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.webUrl(),
          fc.constantFrom(
            "s3://",
            "s3://A/x",
            "azblob://ab--c/x",
            "s3://b/a/../x",
            "https://x.blob.core.windows.net/",
          ),
        ),
        (text) => {
          try {
            const store = parseStoreUrl(text);
            expect(store.prefix === "" || store.prefix.endsWith("/")).toBe(true);
            expect(store.prefix.split("/")).not.toContain("..");
          } catch (error) {
            expect(error).toBeInstanceOf(UsageError);
            expect((error as Error).message).toMatch(/--to/);
          }
        },
      ),
    );
  });

  it("takes an https blob URL with its SAS", () => {
    expect(
      parseStoreUrl("https://acct.blob.core.windows.net/registry/eu/mesh?sv=2024&sig=abc"),
    ).toEqual({
      kind: "azblob",
      container: "registry",
      prefix: "eu/mesh/",
      serviceUrl: "https://acct.blob.core.windows.net",
      sas: "sv=2024&sig=abc",
    });
  });
});
