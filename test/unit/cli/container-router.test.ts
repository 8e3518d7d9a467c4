/**
 * A router container of the local platform is configured as the infra programs configure the
 * deployed one: for each router of the example, the same file list (variables and paths under
 * the same run folder), the same `<VARIABLE>_FILE` secret files Container Apps gets, the same
 * `env:` secrets (but the key password: local keys have none) — compared with what
 * `deployEnvironment` and `entrypointEnvironment` give the programs, not with a list written
 * here. The files' contents travel only as secret files, never in the clear variables.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { containerRouter, inContainer, RUN_DIR } from "../../../cli/local/container-router.ts";
import { withLocalFiles } from "../../../cli/local/local-configs.ts";
import { deployEnvironment, readProject } from "../../../infra/project.ts";
import { entrypointEnvironment, SECRET_MOUNT } from "../../../infra/router/entrypoint.ts";
import { StackSettings } from "../../../infra/settings.ts";
import { generateRouterConfigs, renderSaslConfig } from "../../../shared/router-config/index.ts";
import { EXAMPLES_DIR } from "../router-config/example-project.ts";

const dir = mkdtempSync(join(tmpdir(), "amqp-mesh-container-router-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const project = await readProject(EXAMPLES_DIR);
const settings = StackSettings.parse({});
const { configs } = generateRouterConfigs(project.registry, project.topology, {
  managementPrincipals: [settings.managementPrincipal],
});

// This run's files, as `up` makes them (contents made up: only their way is checked).
const caFile = join(dir, "ca.pem");
writeFileSync(caFile, "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n");
const database = join(dir, "users.sasldb");
const SASLDB = Buffer.from([0, 1, 2, 255, 10]);
writeFileSync(database, SASLDB);
writeFileSync(join(dir, "amqp-mesh.conf"), renderSaslConfig({ configDir: dir, database }) ?? "");
const certificates = new Map(
  project.topology.routers.map((r) => {
    const certFile = join(dir, `${r.id}.pem`);
    const keyFile = join(dir, `${r.id}-key.pem`);
    writeFileSync(certFile, `-----BEGIN CERTIFICATE-----\n${r.id}\n-----END CERTIFICATE-----\n`);
    writeFileSync(
      keyFile,
      `-----BEGIN PRIVATE KEY-----\nKEY-OF-${r.id}\n-----END PRIVATE KEY-----\n`,
    );
    return [r.id, { certFile, keyFile }] as const;
  }),
);
const words = (text: string | undefined) => (text ?? "").split(" ").filter((w) => w !== "");
const files = {
  certificates: { dir, caFile, routers: certificates },
  sasl: { configDir: dir, database },
};

describe("a router container as the programs configure one", () => {
  for (const environment of project.topology.environments)
    for (const deployed of deployEnvironment(project, environment, {}, settings).routers)
      it(`${deployed.router.id}: the programs' variables, paths and secret files`, async () => {
        const config = configs.find((c) => c.routerId === deployed.router.id)!;
        const local = await containerRouter(withLocalFiles(config, files), {
          RABBIT_PASSWORD: "from-the-shell",
        });
        const programs = entrypointEnvironment(deployed, settings.runDir, deployed.configText);
        expect(RUN_DIR).toBe(settings.runDir);
        for (const name of [
          "MESH_FILES",
          "MESH_RUN_DIR",
          "MESH_ROUTER_CONFIG_TYPE",
          "MESH_ROUTER_COMMAND",
        ])
          expect(local.environment[name], name).toBe(programs[name]);
        expect(local.environment.MESH_SASL_CONFIG).toBe(programs.MESH_SASL_CONFIG);
        // Local keys have no password: the only env: secret the deployment has and this lacks.
        expect(words(local.environment.MESH_SECRET_VARIABLES)).toEqual(
          deployed.secretVariables.filter((name) => name !== "MESH_TLS_KEY"),
        );
        // The files the programs take from the secret store arrive as mounted files.
        const fromStore = deployed.files.filter((f) => f.content === undefined);
        expect(Object.keys(local.fileVariables).sort()).toEqual(
          [
            ...fromStore.map((f) => `${f.variable}_FILE`),
            ...words(local.environment.MESH_SECRET_VARIABLES).map((n) => `${n}_FILE`),
          ].sort(),
        );
        for (const value of Object.values(local.fileVariables))
          expect(value.startsWith(`${SECRET_MOUNT}/`)).toBe(true);
        const secret = (variable: string) => {
          const name = local.fileVariables[`${variable}_FILE`]?.slice(SECRET_MOUNT.length + 1);
          return local.secrets.find((s) => s.name === name)?.content.toString();
        };
        expect(secret("MESH_SASLDB_B64")).toBe(SASLDB.toString("base64"));
        if (deployed.secretVariables.includes("RABBIT_PASSWORD"))
          expect(secret("RABBIT_PASSWORD")).toBe("from-the-shell");
        const key = fromStore.find((f) => f.key.endsWith("-key"));
        if (key !== undefined) expect(secret(key.variable)).toContain(`KEY-OF-${config.routerId}`);
        // The clear variables hold no file content.
        expect(JSON.stringify(local.environment)).not.toMatch(/KEY-OF-|from-the-shell/);
        // The config the router reads names the files where the entrypoint writes them.
        expect(local.config).toEqual(inContainer(withLocalFiles(config, files)));
        const profile = local.config.entities.find((e) => e.type === "sslProfile");
        if (profile !== undefined)
          expect(deployed.files.map((f) => f.path)).toContain(profile.attributes.privateKeyFile);
      });

  it("leaves out an env: secret that is not set here, and says so", async () => {
    const interior = configs.find((c) => c.routerId === "aws-eu-interior-1")!;
    const local = await containerRouter(withLocalFiles(interior, files), {});
    expect(local.unsetSecrets).toEqual(["RABBIT_PASSWORD"]);
    expect(local.environment.MESH_SECRET_VARIABLES).toBe("");
  });
});
