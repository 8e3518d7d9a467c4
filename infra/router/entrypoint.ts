/**
 * The router entrypoint as the programs pass it to the upstream images: the script text runs
 * as `sh -c <script>`, so the pinned upstream image needs no rebuild to carry it. The
 * environment variables it reads are named here once, for both clouds.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { RouterFlavour } from "../../shared/topology/index.ts";
import type { DeployedRouter } from "../project.ts";

export const ENTRYPOINT_FILE = join(import.meta.dirname, "entrypoint.sh");

/** Where the secrets arrive as files: Key Vault secrets on Container Apps, local containers' too. */
export const SECRET_MOUNT = "/mnt/amqp-mesh-secrets";

export function entrypointScript(): string {
  return readFileSync(ENTRYPOINT_FILE, "utf8");
}

/** `sh -c <script> <$0>`: the container's command on both clouds. */
export function entrypointCommand(): string[] {
  return ["/bin/sh", "-c", entrypointScript(), "amqp-mesh-entrypoint"];
}

const ROUTER_COMMAND: Record<RouterFlavour, string> = {
  "qpid-dispatch": "qdrouterd",
  "skupper-router": "skrouterd",
};

/** The variables that are not secret: the config, where files go, which variables hold them. */
export function entrypointEnvironment(
  router: Pick<DeployedRouter, "files" | "secretVariables" | "config">,
  runDir: string,
  configText: string,
): Record<string, string> {
  const environment: Record<string, string> = {
    MESH_ROUTER_CONFIG: configText,
    MESH_ROUTER_CONFIG_TYPE: "json",
    MESH_RUN_DIR: runDir,
    MESH_FILES: router.files.map((f) => `${f.variable}=${f.path}`).join(" "),
    MESH_SECRET_VARIABLES: router.secretVariables.join(" "),
    MESH_ROUTER_COMMAND: ROUTER_COMMAND[router.config.flavour],
  };
  for (const file of router.files)
    if (file.content !== undefined) environment[file.variable] = file.content;
  return environment;
}
