/** The Azure environment's network: a resource group and a VNet with delegated subnets for routers and functions. */

import * as network from "@pulumi/azure-native/network/index.js";
import * as resources from "@pulumi/azure-native/resources/index.js";
import type * as pulumi from "@pulumi/pulumi";
import type { StackSettings } from "../settings.ts";

export interface AzureNetwork {
  resourceGroup: resources.ResourceGroup;
  vnetCidr: string;
  /** The Container Apps environment's subnet (delegated to Microsoft.App/environments). */
  routersSubnetId: pulumi.Output<string>;
  /** The Function Apps' VNet integration subnet (Flex Consumption: Microsoft.App/environments). */
  functionsSubnetId: pulumi.Output<string>;
}

export function azureNetwork(
  env: string,
  region: string,
  settings: StackSettings,
  opts: pulumi.CustomResourceOptions,
): AzureNetwork {
  const resourceGroup = new resources.ResourceGroup(`${env}-rg`, { location: region }, opts);
  const cidr = settings.azure.vnetCidr;
  const [a, b] = cidr.split(".");
  const delegated = (name: string) => ({
    name,
    delegations: [{ name: "app-environments", serviceName: "Microsoft.App/environments" }],
  });
  const vnet = new network.VirtualNetwork(
    `${env}-vnet`,
    {
      resourceGroupName: resourceGroup.name,
      location: region,
      addressSpace: { addressPrefixes: [cidr] },
      subnets: [
        { ...delegated("routers"), addressPrefix: `${a}.${b}.0.0/23` },
        { ...delegated("functions"), addressPrefix: `${a}.${b}.4.0/24` },
      ],
    },
    opts,
  );
  const subnet = (name: string) =>
    vnet.subnets.apply((subnets) => subnets?.find((s) => s.name === name)?.id ?? "");
  return {
    resourceGroup,
    vnetCidr: cidr,
    routersSubnetId: subnet("routers"),
    functionsSubnetId: subnet("functions"),
  };
}
