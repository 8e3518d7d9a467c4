/**
 * The router entrypoint (infra/router/entrypoint.sh) run by a POSIX shell with a fake router
 * that records what it was started with: the files it writes, their permissions, the
 * variables the router inherits, and the errors for missing or malformed input — which never
 * print a secret.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ENTRYPOINT_FILE } from "../../../infra/router/entrypoint.ts";
import { generateRouterConfigs, renderJsonFile } from "../../../shared/router-config/index.ts";
import { loadExampleRegistry, loadExampleTopology } from "../router-config/example-project.ts";

const PEM = "-----BEGIN CERTIFICATE-----\nMIIBsecretcertbody\n-----END CERTIFICATE-----";
const KEY = "-----BEGIN PRIVATE KEY-----\nTOPSECRETKEYMATERIAL\n-----END PRIVATE KEY-----";
const CONFIG = '[["router", {"id": "r1", "mode": "interior"}]]';
/** Bytes of a binary file (a sasldb is a Berkeley DB): NULs and high bytes survive base64. */
const SASLDB = Buffer.from([0, 1, 2, 255, 254, 10, 13, 0, 97]);

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), "amqp-mesh-entrypoint-"));
  dirs.push(dir);
  return dir;
}

interface Run {
  status: number | null;
  stderr: string;
  stdout: string;
  /** What the fake router recorded: its arguments and the environment it inherited. */
  router?: { args: string[]; env: Record<string, string> };
  runDir: string;
}

/** Runs the entrypoint with `env` (and nothing else of this process's environment but PATH). */
/**
 * The shells the script meets: Debian's dash (our images) and bash (where `sh` is bash, as on
 * UBI-based upstream images).
 */
const SHELLS = ["sh", "bash"] as const;
let shell: (typeof SHELLS)[number] = "sh";

function run(env: Record<string, string>, args: string[] = []): Run {
  const dir = scratch();
  const runDir = join(dir, "run");
  const record = join(dir, "router.json");
  const fakeRouter = join(dir, "fake-router");
  // A shell script, not node: it records its arguments and its environment (NUL-separated).
  writeFileSync(
    fakeRouter,
    `#!/bin/sh\nprintf '%s\\0' "$@" >"${record}.args"\nenv -0 >"${record}.env"\n`,
    { mode: 0o755 },
  );
  const result = spawnSync(shell, [ENTRYPOINT_FILE, ...args], {
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      MESH_RUN_DIR: runDir,
      MESH_ROUTER_COMMAND: fakeRouter,
      ...env,
    },
    encoding: "utf8",
  });
  let router: Run["router"];
  if (existsSync(`${record}.args`)) {
    const fields = (file: string) => readFileSync(file, "utf8").split("\0").slice(0, -1);
    router = {
      args: fields(`${record}.args`),
      env: Object.fromEntries(
        fields(`${record}.env`).map((line) => [
          line.slice(0, line.indexOf("=")),
          line.slice(line.indexOf("=") + 1),
        ]),
      ),
    };
  }
  return { status: result.status, stderr: result.stderr, stdout: result.stdout, router, runDir };
}

const mode = (path: string) => statSync(path).mode & 0o777;

describe.each(SHELLS)("router entrypoint under %s", { timeout: 60_000 }, (name) => {
  beforeEach(() => {
    shell = name;
  });

  it("writes the config, certificates, key and SASL database 0600 in 0700 folders and execs the router with the config", () => {
    const dir = scratch();
    const runDir = join(dir, "run");
    const result = spawnEntrypoint(
      runDir,
      {
        MESH_ROUTER_CONFIG: CONFIG,
        MESH_FILES: `MESH_TLS_MESH_CA=${runDir}/tls/mesh-ca.pem MESH_TLS_MESH_KEY=${runDir}/tls/mesh-key.pem MESH_SASLDB_B64=${runDir}/sasl/users.sasldb`,
        MESH_TLS_MESH_CA: PEM,
        MESH_TLS_MESH_KEY: KEY,
        MESH_SASLDB_B64: SASLDB.toString("base64"),
        MESH_SECRET_VARIABLES: "RABBIT_PASSWORD",
        RABBIT_PASSWORD: "guest-password",
      },
      ["--extra"],
    );
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const configFile = join(runDir, "router.json");
    expect(result.router?.args).toEqual(["--config", configFile, "--extra"]);
    expect(result.router?.env.QDROUTERD_CONF).toBe(configFile);
    expect(result.router?.env.QDROUTERD_CONF_TYPE).toBe("json");
    expect(readFileSync(configFile, "utf8")).toBe(`${CONFIG}\n`);
    expect(readFileSync(join(runDir, "tls/mesh-ca.pem"), "utf8")).toBe(`${PEM}\n`);
    expect(readFileSync(join(runDir, "tls/mesh-key.pem"), "utf8")).toBe(`${KEY}\n`);
    expect(readFileSync(join(runDir, "sasl/users.sasldb"))).toEqual(SASLDB);
    for (const file of ["router.json", "tls/mesh-ca.pem", "tls/mesh-key.pem", "sasl/users.sasldb"])
      expect(mode(join(runDir, file)), file).toBe(0o600);
    for (const folder of ["", "tls", "sasl"])
      expect(mode(join(runDir, folder)), folder).toBe(0o700);
    // The key's content leaves the environment; the password the config reads stays.
    expect(result.router?.env.MESH_TLS_MESH_KEY).toBeUndefined();
    expect(result.router?.env.MESH_SASLDB_B64).toBeUndefined();
    expect(result.router?.env.RABBIT_PASSWORD).toBe("guest-password");
  });

  it("copies mounted secret files (VARIABLE_FILE), as Key Vault secrets arrive on Container Apps", () => {
    const dir = scratch();
    const runDir = join(dir, "run");
    const mounted = join(dir, "mnt");
    spawnSync("mkdir", ["-p", mounted]);
    writeFileSync(join(mounted, "key"), KEY);
    writeFileSync(join(mounted, "sasldb"), SASLDB.toString("base64"));
    writeFileSync(join(mounted, "config"), CONFIG);
    writeFileSync(join(mounted, "rabbit"), "from-key-vault");
    const result = spawnEntrypoint(runDir, {
      MESH_ROUTER_CONFIG_FILE: join(mounted, "config"),
      MESH_FILES: `MESH_TLS_MESH_KEY=${runDir}/tls/key.pem MESH_SASLDB_B64=${runDir}/sasl/users.sasldb`,
      MESH_TLS_MESH_KEY_FILE: join(mounted, "key"),
      MESH_SASLDB_B64_FILE: join(mounted, "sasldb"),
      MESH_SECRET_VARIABLES: "RABBIT_PASSWORD",
      RABBIT_PASSWORD_FILE: join(mounted, "rabbit"),
    });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(readFileSync(join(runDir, "tls/key.pem"), "utf8")).toBe(KEY);
    expect(readFileSync(join(runDir, "sasl/users.sasldb"))).toEqual(SASLDB);
    expect(mode(join(runDir, "tls/key.pem"))).toBe(0o600);
    expect(result.router?.env.RABBIT_PASSWORD).toBe("from-key-vault");
  });

  it("accepts the config as the generator renders it (JSON after '#' comment lines)", () => {
    const { configs } = generateRouterConfigs(loadExampleRegistry(), loadExampleTopology());
    const text = renderJsonFile(configs[0]!);
    expect(text.startsWith("#")).toBe(true);
    const runDir = join(scratch(), "run");
    const result = spawnEntrypoint(runDir, { MESH_ROUTER_CONFIG: text });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(readFileSync(join(runDir, "router.json"), "utf8")).toBe(`${text}\n`);
  });

  const failures: [string, (runDir: string) => Record<string, string>, RegExp][] = [
    ["no config", () => ({}), /MESH_ROUTER_CONFIG \(or MESH_ROUTER_CONFIG_FILE\) is not set/],
    [
      "a JSON config that is not a list",
      () => ({ MESH_ROUTER_CONFIG: '{"router": 1}' }),
      /not a JSON list/,
    ],
    [
      "an unknown config type",
      () => ({ MESH_ROUTER_CONFIG: CONFIG, MESH_ROUTER_CONFIG_TYPE: "yaml" }),
      /json or conf/,
    ],
    [
      "a file variable that is not set",
      (runDir) => ({
        MESH_ROUTER_CONFIG: CONFIG,
        MESH_FILES: `MESH_TLS_MESH_KEY=${runDir}/tls/key.pem`,
      }),
      /MESH_TLS_MESH_KEY \(or MESH_TLS_MESH_KEY_FILE\) is not set/,
    ],
    [
      "a key that is not PEM",
      (runDir) => ({
        MESH_ROUTER_CONFIG: CONFIG,
        MESH_FILES: `MESH_TLS_MESH_KEY=${runDir}/tls/key.pem`,
        MESH_TLS_MESH_KEY: "TOPSECRETKEYMATERIAL without markers",
      }),
      /MESH_TLS_MESH_KEY is not PEM/,
    ],
    [
      "a SASL database that is not base64",
      (runDir) => ({
        MESH_ROUTER_CONFIG: CONFIG,
        MESH_FILES: `MESH_SASLDB_B64=${runDir}/users.sasldb`,
        MESH_SASLDB_B64: "TOPSECRET!!not*base64",
      }),
      /MESH_SASLDB_B64 is not valid base64/,
    ],
    [
      "a path outside the run folder",
      () => ({
        MESH_ROUTER_CONFIG: CONFIG,
        MESH_FILES: "MESH_TLS_MESH_KEY=/etc/key.pem",
        MESH_TLS_MESH_KEY: KEY,
      }),
      /outside MESH_RUN_DIR/,
    ],
    [
      "a path climbing out with ..",
      (runDir) => ({
        MESH_ROUTER_CONFIG: CONFIG,
        MESH_FILES: `MESH_TLS_MESH_KEY=${runDir}/../key.pem`,
        MESH_TLS_MESH_KEY: KEY,
      }),
      /must not contain '\.\.'/,
    ],
    [
      "an entry that is not VARIABLE=/path",
      () => ({ MESH_ROUTER_CONFIG: CONFIG, MESH_FILES: "no-equals-sign" }),
      /must be VARIABLE=\/path/,
    ],
    [
      "a secret file that cannot be read",
      (runDir) => ({
        MESH_ROUTER_CONFIG: CONFIG,
        MESH_FILES: `MESH_TLS_MESH_KEY=${runDir}/tls/key.pem`,
        MESH_TLS_MESH_KEY_FILE: `${runDir}/../mnt/no-such-secret`,
      }),
      /MESH_TLS_MESH_KEY_FILE names .*no-such-secret, which cannot be read/,
    ],
    [
      "a config file that cannot be read",
      (runDir) => ({ MESH_ROUTER_CONFIG_FILE: `${runDir}/../mnt/no-such-config` }),
      /MESH_ROUTER_CONFIG_FILE .*no-such-config cannot be read/,
    ],
    [
      "a secret variable's file that cannot be read",
      (runDir) => ({
        MESH_ROUTER_CONFIG: CONFIG,
        MESH_SECRET_VARIABLES: "RABBIT_PASSWORD",
        RABBIT_PASSWORD_FILE: `${runDir}/../mnt/no-such-password`,
      }),
      /RABBIT_PASSWORD_FILE names .*no-such-password, which cannot be read/,
    ],
    [
      "a secret variable the config reads that is not set",
      () => ({ MESH_ROUTER_CONFIG: CONFIG, MESH_SECRET_VARIABLES: "RABBIT_PASSWORD" }),
      /RABBIT_PASSWORD \(or RABBIT_PASSWORD_FILE\) is not set/,
    ],
  ];
  for (const [what, env, message] of failures)
    it(`refuses ${what}: exit 78, a message naming it, no secret printed, no router started`, () => {
      const runDir = join(scratch(), "run");
      const result = spawnEntrypoint(runDir, env(runDir));
      expect(result.status).toBe(78);
      expect(result.stderr).toMatch(message);
      expect(result.stderr).toMatch(/^amqp-mesh-entrypoint: /);
      expect(result.stderr + result.stdout).not.toMatch(/TOPSECRET|MIIB/);
      expect(result.router).toBeUndefined();
    });
});

function spawnEntrypoint(runDir: string, env: Record<string, string>, args: string[] = []): Run {
  return run({ ...env, MESH_RUN_DIR: runDir }, args);
}
