/**
 * The team triggers a stack deploys (bridge mode): each is named in the stack config by its
 * definition module (`defineChannelHandler`, e.g. examples/functions/order-invoicing.ts) and
 * the principal its bridge consumes as. The channel and the name are read from the definition
 * — written once, in the team's code — and checked against the registry: the channel exists
 * and the principal may consume it, or the stack stops saying which.
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { ChannelPolicies } from "../shared/registry/index.ts";
import { InfraProjectError, type Project } from "./project.ts";
import type { StackSettings } from "./settings.ts";

export interface TeamTrigger {
  /** The definition's name: the function's and its bundle's (`dist/functions/<cloud>/<name>`). */
  name: string;
  channel: string;
  /** The principal the bridge consumes as (and the function publishes as). */
  principal: string;
  /** Azure: the Function App (bundle) registering it, when not the trigger's name. */
  app?: string;
}

/** Each configured trigger's definition, read and checked against the registry. */
export async function readTeamTriggers(
  project: Project,
  settings: StackSettings,
  infraDir: string,
): Promise<TeamTrigger[]> {
  const policies = new ChannelPolicies(project.registry);
  const triggers: TeamTrigger[] = [];
  for (const [index, configured] of settings.triggers.entries()) {
    const where = `amqp-mesh:triggers[${index}]`;
    const file = resolve(infraDir, configured.definition);
    let definition: unknown;
    try {
      definition = ((await import(pathToFileURL(file).href)) as { default?: unknown }).default;
    } catch (error) {
      throw new InfraProjectError(
        `${where}.definition: ${file} could not be loaded (${error instanceof Error ? error.message : String(error)})`,
      );
    }
    const { name, channel } = (definition ?? {}) as { name?: unknown; channel?: unknown };
    if (typeof name !== "string" || typeof channel !== "string")
      throw new InfraProjectError(
        `${where}.definition: ${file} has no default export made by defineChannelHandler (a name and a channel)`,
      );
    if (!project.registry.channels.some((c) => c.address === channel))
      throw new InfraProjectError(
        `${where}: trigger '${name}' consumes '${channel}', which the registry does not declare`,
      );
    if (!policies.mayConsume(configured.principal, channel))
      throw new InfraProjectError(
        `${where}.principal: '${configured.principal}' may not consume '${channel}' (registry: a principal of a team among the channel's consumers)`,
      );
    if (triggers.some((t) => t.name === name))
      throw new InfraProjectError(`${where}: a second trigger named '${name}'`);
    triggers.push({
      name,
      channel,
      principal: configured.principal,
      ...(configured.app !== undefined ? { app: configured.app } : {}),
    });
  }
  return triggers;
}

/** What `infra plan` shows for a bridge image the stack's config does not name yet. */
export const PLACEHOLDER_BRIDGE_IMAGE = "unset.invalid/amqp-mesh-images-bridge:set-in-stack-config";

export const missingBridgeImage =
  "amqp-mesh:images.bridge is not set: the trigger bridges' image. Build it here (node infra/containers/build.ts bridge), " +
  'push it (infra/README.md, "Router images") and set it, pinned: ' +
  "pulumi config set --path 'amqp-mesh:images.bridge' <registry>/<repository>@sha256:<digest>";

/** The bridge image when there are triggers; missing: an error, or the plan's placeholder. */
export function bridgeImage(
  settings: StackSettings,
  missing: "fail" | "placeholder",
): { reference: string; placeholder: boolean } {
  const configured = settings.images.bridge;
  if (configured !== undefined) return { reference: configured, placeholder: false };
  if (missing === "fail") throw new InfraProjectError(missingBridgeImage);
  return { reference: PLACEHOLDER_BRIDGE_IMAGE, placeholder: true };
}
