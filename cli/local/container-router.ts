/**
 * A router config made ready to run in a container as the infra programs run it: every file
 * it reads (certificates, keys, the SASL config and database) moved under the container's run
 * folder at the paths the deployment uses, with the variables the entrypoint writes them from
 * — named by the same code the programs name them with (`routerFiles`, `envSecrets`,
 * `entrypointEnvironment`) — and the files' contents to hand over as mounted secret files, as
 * Container Apps mounts Key Vault secrets (`<VARIABLE>_FILE`).
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { envSecrets, type RouterFile, routerFiles } from "../../infra/project.ts";
import { entrypointEnvironment, SECRET_MOUNT } from "../../infra/router/entrypoint.ts";
import { StackSettings } from "../../infra/settings.ts";
import {
  type RouterConfig,
  type RouterEntity,
  renderJsonFile,
  SASL_CONFIG_NAME,
} from "../../shared/router-config/index.ts";
import { LocalPlatformError } from "./errors.ts";

/** The deployment's run folder (the stack settings' default). */
export const RUN_DIR = StackSettings.parse({}).runDir;

/** A secret file handed to the container: its name under SECRET_MOUNT and its content. */
export interface SecretFile {
  name: string;
  content: Buffer;
}

export interface ContainerRouter {
  config: RouterConfig;
  /** The variables a router container gets in the clear (the config, MESH_FILES…). */
  environment: Record<string, string>;
  /** `<VARIABLE>_FILE` variables naming the secret files under SECRET_MOUNT. */
  fileVariables: Record<string, string>;
  secrets: SecretFile[];
  /** `env:NAME` secrets the config reads that are not set here: the router runs without them. */
  unsetSecrets: string[];
}

const TLS_FIELDS = [
  ["caCertFile", "ca"],
  ["certFile", "cert"],
  ["privateKeyFile", "key"],
] as const;

/** The sasldb a Cyrus SASL config file names (`sasldb_path: …`). */
function sasldbPath(saslConfig: string): string | undefined {
  return /^\s*sasldb_path\s*:\s*(\S+)\s*$/m.exec(saslConfig)?.[1];
}

/** The path in the container of a profile's file (where the programs put it too). */
function tlsPath(profile: string, field: string): string {
  return `${RUN_DIR}/tls/${profile}-${field}.pem`;
}

function profileOf(entity: RouterEntity): string {
  return String(entity.attributes.name).split("/").pop() ?? "tls";
}

/**
 * The config as the router in its container reads it: certificates, keys and the SASL config
 * under the run folder (what config-sync compares a container router's entities with).
 */
export function inContainer(config: RouterConfig): RouterConfig {
  return {
    ...config,
    entities: config.entities.map((entity) => {
      const attributes = { ...entity.attributes };
      if (entity.type === "sslProfile") {
        for (const [attribute, field] of TLS_FIELDS)
          if (typeof attributes[attribute] === "string")
            attributes[attribute] = tlsPath(profileOf(entity), field);
      } else if (entity.type === "router" && typeof attributes.saslConfigDir === "string") {
        attributes.saslConfigDir = `${RUN_DIR}/sasl`;
        attributes.saslConfigName = SASL_CONFIG_NAME;
      } else {
        return entity;
      }
      return { ...entity, attributes };
    }),
  };
}

/**
 * `config` (whose files are on this machine) as a container runs it. `env` supplies the
 * `env:NAME` secrets the config reads (default this process's environment).
 */
export async function containerRouter(
  config: RouterConfig,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ContainerRouter> {
  /** Path in the container → the file on this machine it is copied from. */
  const sources = new Map<string, string>();
  const sasl: { configDir?: string; database?: string } = {};
  let saslConfigText: string | undefined;
  for (const entity of config.entities) {
    const attributes = entity.attributes;
    if (entity.type === "sslProfile") {
      for (const [attribute, field] of TLS_FIELDS) {
        const source = attributes[attribute];
        if (typeof source === "string") sources.set(tlsPath(profileOf(entity), field), source);
      }
    } else if (entity.type === "router" && typeof attributes.saslConfigDir === "string") {
      const name = String(attributes.saslConfigName ?? SASL_CONFIG_NAME);
      const file = join(attributes.saslConfigDir, `${name}.conf`);
      const text = await readFile(file, "utf8").catch(() => {
        throw new LocalPlatformError(
          `router '${config.routerId}': its SASL config ${file} cannot be read`,
        );
      });
      sasl.configDir = `${RUN_DIR}/sasl`;
      const database = sasldbPath(text);
      saslConfigText = text;
      if (database !== undefined) {
        sasl.database = `${RUN_DIR}/sasl/users.sasldb`;
        sources.set(sasl.database, database);
        saslConfigText = text.replace(database, sasl.database);
      }
    }
  }
  const running = inContainer(config);
  const files: RouterFile[] = routerFiles(running, { sasl });
  const secrets: SecretFile[] = [];
  const fileVariables: Record<string, string> = {};
  for (const file of files) {
    if (file.variable === "MESH_SASL_CONFIG") {
      // This run's own SASL config (the programs render the same text for the deployment).
      if (saslConfigText !== undefined) file.content = saslConfigText;
      continue;
    }
    const source = sources.get(file.path);
    if (source === undefined) continue;
    const raw = await readFile(source).catch(() => {
      throw new LocalPlatformError(
        `router '${config.routerId}': ${source} (for ${file.variable}) cannot be read`,
      );
    });
    secrets.push({
      name: file.key,
      content: file.base64 ? Buffer.from(raw.toString("base64")) : raw,
    });
    fileVariables[`${file.variable}_FILE`] = `${SECRET_MOUNT}/${file.key}`;
  }
  const wanted = envSecrets(running);
  const secretVariables = wanted.filter((name) => (env[name] ?? "") !== "");
  for (const name of secretVariables) {
    const key = `env-${name}`;
    secrets.push({ name: key, content: Buffer.from(env[name] ?? "") });
    fileVariables[`${name}_FILE`] = `${SECRET_MOUNT}/${key}`;
  }
  const environment = entrypointEnvironment(
    { files, secretVariables, config: running },
    RUN_DIR,
    renderJsonFile(running),
  );
  return {
    config: running,
    environment,
    fileVariables,
    secrets,
    unsetSecrets: wanted.filter((name) => !secretVariables.includes(name)),
  };
}
