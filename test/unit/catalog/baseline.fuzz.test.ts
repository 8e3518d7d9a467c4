/** The last published catalog read back (an input boundary): any text is a baseline or a named error. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { CatalogBaselineError, readPublishedVersion } from "../../../shared/catalog/index.ts";

describe("reading a published team document", () => {
  it("never throws anything but CatalogBaselineError naming the file, on any text", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json().map((j) => stringify(JSON.parse(j))),
        ),
        (text) => {
          try {
            const version = readPublishedVersion(text, "cat/x.asyncapi.yaml");
            expect(Number.isInteger(version.major) && version.major >= 1).toBe(true);
          } catch (error) {
            expect(error).toBeInstanceOf(CatalogBaselineError);
            expect((error as Error).message.startsWith("cat/x.asyncapi.yaml: ")).toBe(true);
          }
        },
      ),
    );
  });

  it("reads any well-formed document's major and channel versions back", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.dictionary(fc.stringMatching(/^[a-z]{1,8}$/), fc.integer({ min: 1, max: 1_000 })),
        (major, channels) => {
          const text = stringify({
            asyncapi: "3.0.0",
            info: { version: `${major}.0.0+abc` },
            channels: Object.fromEntries(
              Object.entries(channels).map(([address, v]) => [
                `c_${address}`,
                { address, "x-amqp-mesh-version": v },
              ]),
            ),
          });
          const read = readPublishedVersion(text, "x");
          expect(read.major).toBe(major);
          expect(Object.fromEntries(read.channels)).toEqual(channels);
        },
      ),
    );
  });
});
