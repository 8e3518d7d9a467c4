/**
 * How a Container App pulls its image from the private Azure Container Registry the stack
 * config names (`amqp-mesh:azure.containerRegistry`): with its user-assigned identity, which
 * holds AcrPull on exactly that registry — no admin user, no password in the app. An image on
 * another server needs no grant (a public registry).
 */

import type * as managedidentity from "@pulumi/azure-native/managedidentity/index.js";
import type * as inputs from "@pulumi/azure-native/types/input.js";
import type * as pulumi from "@pulumi/pulumi";
import type { StackSettings } from "../settings.ts";
import { assignRole } from "./roles.ts";

export interface ContainerRegistry {
  /** The login server images name: `<name>.azurecr.io`. */
  server: string;
  resourceId: string;
}

export function containerRegistry(settings: StackSettings): ContainerRegistry | undefined {
  const resourceId = settings.azure.containerRegistry;
  if (resourceId === undefined) return undefined;
  const name = resourceId.split("/").pop()!.toLowerCase();
  return { server: `${name}.azurecr.io`, resourceId };
}

const serverOf = (image: string) => image.split("/")[0]!;

/** An image on an Azure Container Registry other than the configured one: it will not pull. */
export function unpulledImages(
  images: string[],
  registry: ContainerRegistry | undefined,
): string[] {
  return [...new Set(images)].filter(
    (image) => serverOf(image).endsWith(".azurecr.io") && serverOf(image) !== registry?.server,
  );
}

export const unpulledImageWarning = (image: string) =>
  `${image} is on an Azure Container Registry the stack does not name: the Container Apps cannot pull it with their identities. ` +
  "Set its resource id: pulumi config set --path 'amqp-mesh:azure.containerRegistry' /subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.ContainerRegistry/registries/<name>";

/**
 * The Container App's `registries` entry and the AcrPull assignment of its identity when its
 * image is on the configured registry; the app depends on the assignment (a revision that
 * starts before it cannot pull).
 */
export function pullGrant(
  name: string,
  image: string,
  identity: managedidentity.UserAssignedIdentity,
  registry: ContainerRegistry | undefined,
  subscriptionId: pulumi.Input<string>,
  opts: pulumi.CustomResourceOptions,
): { registries: inputs.app.RegistryCredentialsArgs[]; dependsOn: pulumi.Resource[] } {
  if (registry === undefined || serverOf(image) !== registry.server)
    return { registries: [], dependsOn: [] };
  const assignment = assignRole(
    `${name}-pulls-images`,
    "acrPull",
    identity.principalId,
    registry.resourceId,
    subscriptionId,
    opts,
  );
  return {
    registries: [{ server: registry.server, identity: identity.id }],
    dependsOn: [assignment],
  };
}
