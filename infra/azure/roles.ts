/** Role assignments of managed identities, each scoped to exactly the resource it is for. */

import * as authorization from "@pulumi/azure-native/authorization/index.js";
import * as pulumi from "@pulumi/pulumi";

/** Built-in role definition ids (Azure's documented GUIDs). */
export const ROLES = {
  keyVaultSecretsUser: "4633458b-17de-408a-b874-0445c86b69e6",
  storageBlobDataReader: "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
  storageBlobDataContributor: "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
  storageBlobDataOwner: "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
  acrPull: "7f951dba-4ed5-4c50-9dd0-cc2bd4e0b4c9",
} as const;

export function assignRole(
  name: string,
  role: keyof typeof ROLES,
  principalId: pulumi.Input<string>,
  scope: pulumi.Input<string>,
  subscriptionId: pulumi.Input<string>,
  opts: pulumi.CustomResourceOptions,
  condition?: string,
): authorization.RoleAssignment {
  return new authorization.RoleAssignment(
    name,
    {
      principalId,
      principalType: "ServicePrincipal",
      roleDefinitionId: pulumi.interpolate`/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${ROLES[role]}`,
      scope,
      ...(condition === undefined ? {} : { condition, conditionVersion: "2.0" }),
    },
    opts,
  );
}

/**
 * An ABAC condition (Azure role assignment conditions for Blob Storage): blob reads are
 * allowed for this one blob path of the container the role is scoped to, and no other.
 */
export function onlyBlob(path: string): string {
  if (!/^[A-Za-z0-9._/-]+$/.test(path)) throw new Error(`not a plain blob path: ${path}`);
  return `((!(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'})) OR (@Resource[Microsoft.Storage/storageAccounts/blobServices/containers/blobs:path] StringEquals '${path}'))`;
}
