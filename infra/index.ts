/**
 * The Pulumi program (Pulumi.yaml `main`): the stack's config picks the project and the
 * environment (default: the stack's name), and the environment's cloud picks the program.
 */
import { resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { declareEnvironment } from "./program.ts";
import { readProject } from "./project.ts";
import { parseStackSettings } from "./settings.ts";
import { readTeamTriggers } from "./triggers.ts";

const config = new pulumi.Config("amqp-mesh");
const settings = parseStackSettings(
  Object.fromEntries(
    Object.entries(pulumi.runtime.allConfig())
      .filter(([key]) => key.startsWith("amqp-mesh:") && !key.endsWith("Password"))
      .map(([key, value]) => {
        const name = key.slice("amqp-mesh:".length);
        try {
          return [name, JSON.parse(value)];
        } catch {
          return [name, value];
        }
      }),
  ),
  `stack ${pulumi.getStack()}`,
);
const infraDir = import.meta.dirname;
const project = await readProject(resolve(infraDir, settings.project));
const triggers = await readTeamTriggers(project, settings, infraDir);
const { outputs, warnings } = declareEnvironment({
  project,
  environment: settings.environment ?? pulumi.getStack(),
  settings,
  infraDir,
  triggers,
  secrets: {
    ...(config.getSecret("ingressPassword")
      ? { ingressPassword: config.requireSecret("ingressPassword") }
      : {}),
    ...(config.getSecret("syncPassword")
      ? { syncPassword: config.requireSecret("syncPassword") }
      : {}),
  },
});
for (const warning of warnings) pulumi.log.warn(warning);

export const cloud = outputs.cloud;
export const environment = outputs.environment;
export const interRouterHosts = outputs.interRouterHosts;
export const egressCidrs = outputs.egressCidrs;
export const meshUrls = outputs.meshUrls;
export const apiUrl = outputs.apiUrl;
export const ingressUrl = outputs.ingressUrl;
export const registryStore = outputs.registryStore;
export const triggerFunctions = outputs.triggerFunctions;
// What the runbook's commands name (infra/README.md, "Stack outputs"); each cloud sets its own.
export const ingressFunction = outputs.ingressFunction;
export const syncFunction = outputs.syncFunction;
export const keyVault = outputs.keyVault;
export const resourceGroup = outputs.resourceGroup;
