/**
 * The environment-variable boundary the functions share (shared/settings/env.ts) under
 * arbitrary input: lists, positive durations and the mesh login never throw; a malformed
 * value is one problem naming the variable, never echoing a value; valid values come back
 * as written.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { listSetting, meshLoginFromEnv, positiveMsSetting } from "../../../shared/settings/env.ts";

const SECRET = "s3cr3t-do-not-print";
const blank = fc.constantFrom("", " ", "\t", "  \n ");

describe("environment settings (fuzz)", () => {
  it("lists: the items, trimmed, in order, empty ones left out", () => {
    const item = fc.string({ minLength: 1 }).filter((s) => !s.includes(",") && s.trim() !== "");
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            item.map((s) => ({ s, kept: true })),
            blank.map((s) => ({ s, kept: false })),
          ),
        ),
        fc.array(blank, { minLength: 2, maxLength: 2 }),
        (parts, [before, after]) => {
          const text = parts.map((p) => `${before}${p.s}${after}`).join(",");
          expect(listSetting(text)).toEqual(parts.filter((p) => p.kept).map((p) => p.s.trim()));
        },
      ),
      { numRuns: 2_000 },
    );
    fc.assert(
      fc.property(fc.option(fc.string(), { nil: undefined }), (text) => {
        for (const item of listSetting(text)) {
          expect(item).not.toBe("");
          expect(item).toBe(item.trim());
          expect(item).not.toContain(",");
        }
      }),
      { numRuns: 2_000 },
    );
  });

  it("durations: a positive whole number as written, the fallback when unset, else one problem without the value", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }).map(String),
          fc.constantFrom("0", "-1", "12.5", "1e3", "0x10", " 42 ", "9007199254740993", SECRET),
          blank,
        ),
        fc.boolean(),
        (text, unset) => {
          const env = { TIMEOUT_MS: unset ? undefined : text };
          const problems: string[] = [];
          const value = positiveMsSetting(env, "TIMEOUT_MS", 777, problems);
          if (unset || text.trim() === "") {
            expect([value, problems]).toEqual([777, []]);
          } else if (Number.isSafeInteger(Number(text)) && Number(text) > 0) {
            expect([value, problems]).toEqual([Number(text), []]);
          } else {
            expect(value).toBe(777);
            expect(problems).toEqual([
              "TIMEOUT_MS must be a positive whole number of milliseconds",
            ]);
          }
        },
      ),
      { numRuns: 3_000 },
    );
  });

  it("the mesh login: a mechanism of the three or one problem naming the variable; never the password", () => {
    const value = fc.oneof(
      fc.string(),
      fc.constantFrom("PLAIN", "EXTERNAL", "ANONYMOUS", "plain", "false", "true"),
    );
    fc.assert(
      fc.property(
        fc.record(
          {
            MESH_SASL_MECHANISM: value,
            MESH_SASL_USERNAME: value,
            MESH_TLS_CA: value,
            MESH_TLS_CERT: value,
            MESH_TLS_KEY: value,
            MESH_TLS_SERVERNAME: value,
            MESH_TLS_REJECT_UNAUTHORIZED: value,
          },
          { requiredKeys: [] },
        ),
        (partial) => {
          const env = { ...partial, MESH_SASL_PASSWORD: SECRET };
          const problems: string[] = [];
          const { sasl, tls } = meshLoginFromEnv(env, problems);
          const known = ["PLAIN", "EXTERNAL", "ANONYMOUS"];
          if (env.MESH_SASL_MECHANISM !== undefined && !known.includes(env.MESH_SASL_MECHANISM))
            expect(problems).toEqual(["MESH_SASL_MECHANISM must be PLAIN, EXTERNAL or ANONYMOUS"]);
          else {
            expect(problems).toEqual([]);
            expect(sasl.mechanism).toBe(
              env.MESH_SASL_MECHANISM ??
                (env.MESH_SASL_USERNAME === undefined ? "ANONYMOUS" : "PLAIN"),
            );
          }
          expect(problems.join(" ")).not.toContain(SECRET);
          expect(sasl.password).toBe(SECRET);
          expect(sasl.username).toBe(env.MESH_SASL_USERNAME);
          expect(tls.rejectUnauthorized).toBe(env.MESH_TLS_REJECT_UNAUTHORIZED !== "false");
          expect(tls.ca).toBe(env.MESH_TLS_CA || undefined);
        },
      ),
      { numRuns: 3_000 },
    );
  });
});
