/**
 * The --target file is input from the user: any text gives the routers it names or a
 * UsageError that says what is wrong and where — never another error, never a router whose
 * URL is not amqp(s)://.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseTargetFile, routerUrls } from "../../../cli/mesh-target.ts";
import { UsageError } from "../../../cli/usage.ts";

describe("--target <file>", () => {
  it("reads the routers of a well-formed file, ids optional, other keys allowed", () => {
    expect(
      parseTargetFile(
        JSON.stringify({
          engine: "ignored",
          routers: [
            { url: "amqp://127.0.0.1:5672", id: "a", flavour: "qpid-dispatch" },
            { url: "amqps://r:5671" },
          ],
        }),
        "mesh.json",
      ),
    ).toEqual([
      { url: "amqp://127.0.0.1:5672", id: "a" },
      { url: "amqps://r:5671", id: undefined },
    ]);
  });

  it("says what is wrong and where", () => {
    expect(() => parseTargetFile("{", "m.json")).toThrow(/^--target m\.json: not JSON/);
    expect(() => parseTargetFile("{}", "m.json")).toThrow(/^--target m\.json at routers: /);
    expect(() => parseTargetFile('{"routers": []}', "m.json")).toThrow(
      "must name at least one router",
    );
    expect(() => parseTargetFile('{"routers": [{"url": "http://x"}]}', "m.json")).toThrow(
      "--target m.json at routers.0.url: must be an amqp:// or amqps:// URL",
    );
  });

  it("any text: the routers, each with an amqp(s) URL, or a UsageError", () => {
    const router = fc.record(
      {
        url: fc.oneof(
          fc.string(),
          fc.constantFrom("amqp://h:1", "amqps://h", "amqp://", "http://h"),
        ),
        id: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
      },
      { requiredKeys: [] },
    );
    const text = fc.oneof(
      fc.string(),
      fc.json(),
      fc
        .record({ routers: fc.oneof(fc.array(router), fc.anything()) })
        .map((o) => JSON.stringify(o)),
    );
    fc.assert(
      fc.property(text, (input) => {
        try {
          const routers = parseTargetFile(input, "f.json");
          expect(routers.length).toBeGreaterThan(0);
          for (const r of routers) expect(r.url).toMatch(/^amqps?:\/\/[^/\s]+/);
        } catch (error) {
          expect(error).toBeInstanceOf(UsageError);
          expect((error as Error).message.startsWith("--target f.json")).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("--router values: URLs split at commas, anything else a UsageError naming it without credentials", () => {
    expect(routerUrls(["amqp://a:1, amqps://b:2", "amqp://c:3"])).toEqual([
      "amqp://a:1",
      "amqps://b:2",
      "amqp://c:3",
    ]);
    expect(() => routerUrls(["http://user:secret@h"])).toThrow(
      "--router 'http://***@h' is not an amqp:// or amqps:// URL",
    );
    fc.assert(
      fc.property(fc.array(fc.string()), (values) => {
        try {
          for (const url of routerUrls(values)) expect(url).toMatch(/^amqps?:\/\/[^/\s]+/);
        } catch (error) {
          expect(error).toBeInstanceOf(UsageError);
        }
      }),
    );
  });
});
