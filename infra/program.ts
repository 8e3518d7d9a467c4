/**
 * One stack = one environment of the topology: its cloud picks the program. A third
 * environment in the topology is a third stack of the same program, no code change.
 */
import type * as pulumi from "@pulumi/pulumi";
import { awsEnvironment, type EnvironmentOutputs } from "./aws/environment.ts";
import type { AwsFunctionSecrets } from "./aws/functions.ts";
import { azureEnvironment } from "./azure/environment.ts";
import { containerRegistry, unpulledImages, unpulledImageWarning } from "./azure/image-pull.ts";
import { peerHosts } from "./peers.ts";
import { bundlePath, deployEnvironment, environmentNamed, type Project } from "./project.ts";
import type { StackSettings } from "./settings.ts";
import { bridgeImage, missingBridgeImage, type TeamTrigger } from "./triggers.ts";

export interface EnvironmentProgram {
  project: Project;
  environment: string;
  settings: StackSettings;
  /** Folder the settings' relative paths (bundles) are relative to: infra/. */
  infraDir: string;
  /** Passwords the AWS functions need (Pulumi secrets from the stack config). */
  secrets?: AwsFunctionSecrets;
  /** An image the stack does not name: an error (default), or the plan's placeholder. */
  missingImage?: "fail" | "placeholder";
  /** The team triggers of the stack config, read from their definitions (readTeamTriggers). */
  triggers?: TeamTrigger[];
}

export interface DeclaredEnvironment {
  outputs: EnvironmentOutputs;
  warnings: string[];
}

export function declareEnvironment(program: EnvironmentProgram): DeclaredEnvironment {
  const { project, settings } = program;
  const environment = environmentNamed(project.topology, program.environment);
  // The structure (routers, ports, files) does not depend on the peers' hosts; the configs do.
  const deployed = deployEnvironment(project, environment, {}, settings, {
    missingImage: program.missingImage ?? "fail",
  });
  const peers: pulumi.Output<Record<string, string>> = peerHosts(
    project.topology,
    environment.name,
    settings,
  );
  const bundles = (name: string) => bundlePath(program.infraDir, settings, environment.cloud, name);
  const triggers = program.triggers ?? [];
  const warnings = deployed.warnings.filter((w) => !w.startsWith("router '"));
  const bridge =
    triggers.length > 0 ? bridgeImage(settings, program.missingImage ?? "fail") : undefined;
  if (bridge?.placeholder) warnings.push(missingBridgeImage);
  if (environment.cloud === "azure")
    for (const image of unpulledImages(
      [...deployed.routers.map((r) => r.image), ...(bridge ? [bridge.reference] : [])],
      containerRegistry(settings),
    ))
      warnings.push(unpulledImageWarning(image));
  const teamTriggers = { triggers, bridgeImage: bridge?.reference ?? "" };
  const outputs =
    environment.cloud === "aws"
      ? awsEnvironment(
          project,
          deployed,
          peers,
          settings,
          program.secrets ?? {},
          bundles,
          teamTriggers,
        )
      : azureEnvironment(project, deployed, peers, settings, bundles, teamTriggers);
  return { outputs, warnings };
}
