/**
 * The bridge entrypoint's input boundary (its environment) under arbitrary values: a channel
 * or function name reaches the bridge as exactly one argument, whatever it holds (no word
 * splitting, no globbing, no option injection past its flag); a number setting is passed on
 * when it is digits and refused with exit 78 otherwise; a secret is never printed.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";

const ENTRYPOINT = join(import.meta.dirname, "../../../infra/bridge/entrypoint.sh");
const dir = mkdtempSync(join(tmpdir(), "amqp-mesh-bridge-entrypoint-fuzz-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
mkdirSync(join(dir, "bin"));
mkdirSync(join(dir, "project"));
writeFileSync(join(dir, "project", "topology.yaml"), "flavour: qpid-dispatch\n");
const record = join(dir, "args");
writeFileSync(join(dir, "bin", "node"), `#!/bin/sh\nprintf '%s\\0' "$@" >"${record}"\n`, {
  mode: 0o755,
});

/** Text a variable can hold: no NUL (and not empty, which means "unset" to the script). */
const text = fc
  .string({ unit: "grapheme", minLength: 1, maxLength: 30 })
  .map((s) => s.replaceAll("\0", ""))
  .filter((s) => s !== "");

function run(env: Record<string, string>) {
  rmSync(record, { force: true });
  const result = spawnSync("sh", [ENTRYPOINT], {
    env: {
      PATH: `${join(dir, "bin")}:${process.env.PATH ?? "/usr/bin:/bin"}`,
      MESH_BRIDGE_PROJECT: join(dir, "project"),
      MESH_URLS: "amqps://edge:5671",
      MESH_SASL_PASSWORD: "SECRETMARK-password",
      ...env,
    },
    encoding: "utf8",
  });
  const args = existsSync(record)
    ? readFileSync(record, "utf8").split("\0").slice(0, -1)
    : undefined;
  return { ...result, args };
}

describe("bridge entrypoint, fuzzed", { timeout: 120_000 }, () => {
  it("passes a channel and a function name on as one argument each, whatever they hold", () => {
    fc.assert(
      fc.property(text, text, (channel, fn) => {
        const result = run({ MESH_BRIDGE_CHANNEL: channel, MESH_BRIDGE_LAMBDA: fn });
        expect(result.status).toBe(0);
        const args = result.args ?? [];
        expect(args[args.indexOf("--channel") + 1]).toBe(channel);
        expect(args[args.indexOf("--lambda") + 1]).toBe(fn);
        expect(args).toHaveLength(9);
        expect(`${result.stdout}${result.stderr}`).not.toContain("SECRETMARK");
      }),
      { numRuns: 60 },
    );
  });

  it("passes a number setting on when it is digits and refuses anything else with exit 78", () => {
    fc.assert(
      fc.property(fc.oneof(text, fc.nat().map(String)), (value) => {
        const result = run({
          MESH_BRIDGE_CHANNEL: "sales/orders",
          MESH_BRIDGE_LAMBDA: "f",
          MESH_BRIDGE_CONCURRENCY: value,
        });
        if (/^[0-9]+$/.test(value)) {
          expect(result.status).toBe(0);
          expect(result.args?.slice(-2)).toEqual(["--concurrency", value]);
        } else {
          expect(result.status).toBe(78);
          expect(result.stderr).toMatch(
            /^amqp-mesh-bridge: MESH_BRIDGE_CONCURRENCY must be a whole number/,
          );
          expect(result.args).toBeUndefined();
        }
        expect(`${result.stdout}${result.stderr}`).not.toContain("SECRETMARK");
      }),
      { numRuns: 60 },
    );
  });
});
