/** The AWS environment's network: a VPC with two zones (or the existing one named in the stack config). */

import * as ec2 from "@pulumi/aws/ec2/index.js";
import type * as pulumi from "@pulumi/pulumi";
import type { StackSettings } from "../settings.ts";

export interface AwsNetwork {
  vpcId: pulumi.Input<string>;
  /** The VPC's range, for rules that admit "anything inside the VPC" (never used for ingress). */
  vpcCidr: pulumi.Input<string>;
  zones: string[];
  /** Two private subnets, one per zone: routers, bridges and functions. */
  privateSubnetIds: pulumi.Input<string>[];
  /** Two public subnets: the NAT gateway and the internet-facing NLB. */
  publicSubnetIds: pulumi.Input<string>[];
  /** The environment's egress address (the NAT gateway's), for the other cloud's allow-lists. */
  egressIp?: pulumi.Output<string>;
}

export function awsNetwork(
  env: string,
  region: string,
  settings: StackSettings,
  opts: pulumi.CustomResourceOptions,
): AwsNetwork {
  const zones = settings.aws.availabilityZones ?? [`${region}a`, `${region}b`];
  const { vpcId, privateSubnetIds, publicSubnetIds } = settings.aws;
  if (vpcId !== undefined && privateSubnetIds !== undefined && publicSubnetIds !== undefined)
    return { vpcId, vpcCidr: settings.aws.vpcCidr, zones, privateSubnetIds, publicSubnetIds };

  const cidr = settings.aws.vpcCidr;
  const [a, b] = cidr.split(".");
  const subnet = (third: number) => `${a}.${b}.${third}.0/24`;
  const vpc = new ec2.Vpc(
    `${env}-vpc`,
    { cidrBlock: cidr, enableDnsHostnames: true, enableDnsSupport: true, tags: { Name: `${env}` } },
    opts,
  );
  const igw = new ec2.InternetGateway(`${env}-igw`, { vpcId: vpc.id }, opts);
  const publicRoutes = new ec2.RouteTable(
    `${env}-public`,
    { vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }] },
    opts,
  );
  const publicSubnets = zones.map(
    (zone, i) =>
      new ec2.Subnet(
        `${env}-public-${i + 1}`,
        { vpcId: vpc.id, cidrBlock: subnet(i), availabilityZone: zone },
        opts,
      ),
  );
  for (const [i, s] of publicSubnets.entries())
    new ec2.RouteTableAssociation(
      `${env}-public-${i + 1}`,
      { subnetId: s.id, routeTableId: publicRoutes.id },
      opts,
    );
  const eip = new ec2.Eip(`${env}-nat`, { domain: "vpc" }, opts);
  const nat = new ec2.NatGateway(
    `${env}-nat`,
    { allocationId: eip.id, subnetId: publicSubnets[0]!.id },
    opts,
  );
  const privateRoutes = new ec2.RouteTable(
    `${env}-private`,
    { vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", natGatewayId: nat.id }] },
    opts,
  );
  const privateSubnets = zones.map(
    (zone, i) =>
      new ec2.Subnet(
        `${env}-private-${i + 1}`,
        { vpcId: vpc.id, cidrBlock: subnet(10 + i), availabilityZone: zone },
        opts,
      ),
  );
  for (const [i, s] of privateSubnets.entries())
    new ec2.RouteTableAssociation(
      `${env}-private-${i + 1}`,
      { subnetId: s.id, routeTableId: privateRoutes.id },
      opts,
    );
  return {
    vpcId: vpc.id,
    vpcCidr: cidr,
    zones,
    privateSubnetIds: privateSubnets.map((s) => s.id),
    publicSubnetIds: publicSubnets.map((s) => s.id),
    egressIp: eip.publicIp,
  };
}
