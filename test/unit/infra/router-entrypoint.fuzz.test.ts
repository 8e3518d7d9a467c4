/**
 * The entrypoint's input boundary under arbitrary variable contents: a PEM variable either
 * becomes exactly its file (when it holds BEGIN/END lines) or is refused with exit 78 — and
 * whatever it holds, nothing of it is printed.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ENTRYPOINT_FILE } from "../../../infra/router/entrypoint.ts";

/** Text an environment variable can hold: no NUL, and a marker to look for in the output. */
const content = fc
  .tuple(
    fc.string({ unit: "grapheme", maxLength: 40 }).map((s) => s.replaceAll("\0", "")),
    fc.boolean(),
    fc.string({ maxLength: 20 }).map((s) => s.replaceAll("\0", "")),
  )
  .map(([body, pem, tail]) =>
    pem
      ? `-----BEGIN PRIVATE KEY-----\nSECRETMARK${body}\n-----END PRIVATE KEY-----${tail}`
      : `SECRETMARK${body}${tail}`,
  );

describe("router entrypoint, fuzzed", { timeout: 120_000 }, () => {
  it("writes a PEM variable verbatim or refuses it, never printing it", () => {
    fc.assert(
      fc.property(content, (value) => {
        const dir = mkdtempSync(join(tmpdir(), "amqp-mesh-entrypoint-fuzz-"));
        try {
          const runDir = join(dir, "run");
          const file = join(runDir, "tls", "key.pem");
          const result = spawnSync("sh", [ENTRYPOINT_FILE], {
            env: {
              PATH: process.env.PATH ?? "/usr/bin:/bin",
              MESH_RUN_DIR: runDir,
              MESH_ROUTER_COMMAND: "true",
              MESH_ROUTER_CONFIG: "[]",
              MESH_FILES: `MESH_TLS_KEY=${file}`,
              MESH_TLS_KEY: value,
            },
            encoding: "utf8",
          });
          expect(`${result.stdout}${result.stderr}`).not.toContain("SECRETMARK");
          const stripped = value.replace(/\n+$/, "");
          const looksPem = /-----BEGIN /.test(stripped) && /-----END /.test(stripped);
          if (looksPem) {
            expect(result.status).toBe(0);
            expect(readFileSync(file, "utf8")).toBe(`${stripped}\n`);
          } else {
            expect(result.status).toBe(78);
            expect(result.stderr).toMatch(/MESH_TLS_KEY (is not PEM|is empty)/);
          }
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
        return true;
      }),
      { numRuns: 25 },
    );
  });

  it("never writes outside the run folder, whatever MESH_FILES names", () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom("..", "x", "/", "tls", ".", "etc", "a b"), { maxLength: 6 }),
        (segments) => {
          const dir = mkdtempSync(join(tmpdir(), "amqp-mesh-entrypoint-fuzz-"));
          try {
            const runDir = join(dir, "inner", "run");
            const path = `${runDir}/${segments.join("/")}`;
            const result = spawnSync("sh", [ENTRYPOINT_FILE], {
              env: {
                PATH: process.env.PATH ?? "/usr/bin:/bin",
                MESH_RUN_DIR: runDir,
                MESH_ROUTER_COMMAND: "true",
                MESH_ROUTER_CONFIG: "[]",
                MESH_FILES: `MESH_TLS_KEY=${path}`,
                MESH_TLS_KEY: "x",
              },
              encoding: "utf8",
            });
            // Whatever happened, nothing appeared beside the run folder.
            expect(existsSync(join(dir, "inner", "x"))).toBe(false);
            expect(existsSync(join(dir, "x"))).toBe(false);
            expect([0, 78]).toContain(result.status);
          } finally {
            rmSync(dir, { recursive: true, force: true });
          }
          return true;
        },
      ),
      { numRuns: 25 },
    );
  });
});
