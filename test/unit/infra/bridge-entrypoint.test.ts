/**
 * The bridge image's entrypoint (infra/bridge/entrypoint.sh) run by a POSIX shell with a fake
 * `node` first on PATH that records its arguments and environment: the settings a cloud gives
 * the container become the bridge's command line, mounted secret files become variables, and
 * a missing or malformed setting stops it (exit 78) naming the variable, never a secret. The
 * image itself is built and run in test/e2e/bridge-container.test.ts.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { unsetSecretPlaceholder } from "../../../infra/azure/routers.ts";

const ENTRYPOINT = join(import.meta.dirname, "../../../infra/bridge/entrypoint.sh");
const SECRET = "TOPSECRET-password";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

interface Run {
  status: number | null;
  stderr: string;
  node?: { args: string[]; env: Record<string, string> };
  dir: string;
}

function run(env: Record<string, string | undefined>, exitCode = 0): Run {
  const dir = mkdtempSync(join(tmpdir(), "amqp-mesh-bridge-entrypoint-"));
  dirs.push(dir);
  const bin = join(dir, "bin");
  const project = join(dir, "project");
  mkdirSync(bin);
  mkdirSync(project);
  writeFileSync(join(project, "topology.yaml"), "flavour: qpid-dispatch\n");
  const record = join(dir, "node");
  writeFileSync(
    join(bin, "node"),
    `#!/bin/sh\nprintf '%s\\0' "$@" >"${record}.args"\nenv -0 >"${record}.env"\nexit ${exitCode}\n`,
    { mode: 0o755 },
  );
  const settings: Record<string, string> = {
    PATH: `${bin}:${process.env.PATH ?? "/usr/bin:/bin"}`,
    MESH_BRIDGE_PROJECT: project,
  };
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) delete settings[key];
    else settings[key] = value.replaceAll("<dir>", dir);
  }
  const result = spawnSync("sh", [ENTRYPOINT], { env: settings, encoding: "utf8" });
  let node: Run["node"];
  if (existsSync(`${record}.args`)) {
    const fields = (file: string) => readFileSync(file, "utf8").split("\0").slice(0, -1);
    node = {
      args: fields(`${record}.args`),
      env: Object.fromEntries(
        fields(`${record}.env`).map((line) => [
          line.slice(0, line.indexOf("=")),
          line.slice(line.indexOf("=") + 1),
        ]),
      ),
    };
  }
  return { status: result.status, stderr: result.stderr, node, dir };
}

const BASE = {
  MESH_BRIDGE_CHANNEL: "sales/orders",
  MESH_URLS: "amqps://edge-1:5671",
  MESH_BRIDGE_LAMBDA: "order-invoicing",
};

describe("bridge entrypoint", () => {
  it("turns the environment into the bridge's command line", () => {
    const result = run({
      ...BASE,
      MESH_BRIDGE_LAMBDA_ENDPOINT: "http://127.0.0.1:9000",
      MESH_BRIDGE_BATCH_SIZE: "5",
      MESH_BRIDGE_MAX_ATTEMPTS: "3",
    });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.node?.args).toEqual([
      "/app/main.mjs",
      "bridge",
      join(result.dir, "project"),
      "--channel",
      "sales/orders",
      "--out",
      "/tmp/amqp-mesh-bridge",
      "--lambda",
      "order-invoicing",
      "--lambda-endpoint",
      "http://127.0.0.1:9000",
      "--batch-size",
      "5",
      "--max-attempts",
      "3",
    ]);
    expect(result.node?.env.MESH_URLS).toBe("amqps://edge-1:5671");
  });

  it("reads mounted secret files into the variables the bridge reads (Container Apps)", () => {
    const dir = mkdtempSync(join(tmpdir(), "amqp-mesh-bridge-secrets-"));
    dirs.push(dir);
    writeFileSync(join(dir, "password"), SECRET);
    writeFileSync(join(dir, "key"), "function-key");
    const result = run({
      ...BASE,
      MESH_BRIDGE_LAMBDA: undefined,
      MESH_BRIDGE_AZURE_URL: "https://fn.example/api/triggers/x",
      MESH_SASL_PASSWORD_FILE: join(dir, "password"),
      AZURE_FUNCTION_KEY_FILE: join(dir, "key"),
    });
    expect(result.stderr).toBe("");
    expect(result.node?.args.slice(7)).toEqual(["--azure", "https://fn.example/api/triggers/x"]);
    expect(result.node?.env.MESH_SASL_PASSWORD).toBe(SECRET);
    expect(result.node?.env.AZURE_FUNCTION_KEY).toBe("function-key");
    expect(result.node?.env.MESH_SASL_PASSWORD_FILE).toBeUndefined();
  });

  it("exits with the bridge's own exit code", () => {
    expect(run(BASE, 3).status).toBe(3);
  });

  const failures: [string, Record<string, string | undefined>, RegExp][] = [
    ["no channel", { MESH_BRIDGE_CHANNEL: undefined }, /MESH_BRIDGE_CHANNEL is not set/],
    ["no edge routers", { MESH_URLS: undefined }, /MESH_URLS is not set/],
    [
      "no function",
      { MESH_BRIDGE_LAMBDA: undefined },
      /MESH_BRIDGE_LAMBDA or MESH_BRIDGE_AZURE_URL must name the function/,
    ],
    [
      "two functions",
      { MESH_BRIDGE_AZURE_URL: "https://fn.example/x" },
      /give MESH_BRIDGE_LAMBDA or MESH_BRIDGE_AZURE_URL, not both/,
    ],
    [
      "an Azure function without its key",
      { MESH_BRIDGE_LAMBDA: undefined, MESH_BRIDGE_AZURE_URL: "https://fn.example/x" },
      /AZURE_FUNCTION_KEY \(or AZURE_FUNCTION_KEY_FILE\) is not set/,
    ],
    [
      "a secret file that cannot be read",
      { MESH_SASL_PASSWORD: undefined, MESH_SASL_PASSWORD_FILE: "<dir>/missing" },
      /MESH_SASL_PASSWORD_FILE names .*missing, which cannot be read/,
    ],
    [
      "a secret given twice",
      { MESH_SASL_PASSWORD: SECRET, MESH_SASL_PASSWORD_FILE: "<dir>/missing" },
      /give MESH_SASL_PASSWORD or MESH_SASL_PASSWORD_FILE, not both/,
    ],
    [
      "a password that is still the stack's placeholder",
      { MESH_SASL_PASSWORD: unsetSecretPlaceholder("billing-worker-password") },
      /MESH_SASL_PASSWORD is still the placeholder the stack declared/,
    ],
    [
      "a function key that is still the stack's placeholder",
      {
        MESH_BRIDGE_LAMBDA: undefined,
        MESH_BRIDGE_AZURE_URL: "https://fn.example/x",
        AZURE_FUNCTION_KEY: unsetSecretPlaceholder("order-invoicing-function-key"),
      },
      /AZURE_FUNCTION_KEY is still the placeholder the stack declared/,
    ],
    [
      "a number that is not one",
      { MESH_BRIDGE_BATCH_SIZE: "ten" },
      /MESH_BRIDGE_BATCH_SIZE must be a whole number, not 'ten'/,
    ],
    [
      "a project without a topology",
      { MESH_BRIDGE_PROJECT: "<dir>/nowhere" },
      /MESH_BRIDGE_PROJECT \(.*nowhere\) has no topology\.yaml/,
    ],
  ];
  for (const [what, env, message] of failures)
    it(`refuses ${what}: exit 78, the variable named, no secret printed, no bridge started`, () => {
      const result = run({ ...BASE, MESH_SASL_PASSWORD: SECRET, ...env });
      expect(result.status).toBe(78);
      expect(result.stderr).toMatch(/^amqp-mesh-bridge: /);
      expect(result.stderr).toMatch(message);
      expect(result.stderr).not.toContain(SECRET);
      expect(result.node).toBeUndefined();
    });
});
