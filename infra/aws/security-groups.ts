/**
 * Security groups of the AWS environment: each router port is admitted only from where it is
 * used — inter-router from the other interiors and (through the internet-facing NLB) from the
 * other cloud's egress ranges, edge from the edge routers, clients from the functions and
 * bridges (through the internal NLB for edge routers). Nothing admits 0.0.0.0/0.
 */

import * as ec2 from "@pulumi/aws/ec2/index.js";
import * as vpc from "@pulumi/aws/vpc/index.js";
import type * as pulumi from "@pulumi/pulumi";
import type { DeployedEnvironment } from "../project.ts";
import type { AwsNetwork } from "./network.ts";

export interface AwsSecurityGroups {
  interiors: ec2.SecurityGroup;
  edges: ec2.SecurityGroup;
  /** Functions and bridges: the mesh's clients in this VPC. */
  meshClients: ec2.SecurityGroup;
  internalNlb: ec2.SecurityGroup;
  externalNlb: ec2.SecurityGroup | undefined;
}

export function awsSecurityGroups(
  deployed: DeployedEnvironment,
  network: AwsNetwork,
  peerFacingPorts: number[],
  peerEgressCidrs: string[],
  opts: pulumi.CustomResourceOptions,
): AwsSecurityGroups {
  const env = deployed.environment.name;
  const group = (role: string, description: string) =>
    new ec2.SecurityGroup(`${env}-${role}`, { vpcId: network.vpcId, description }, opts);
  const groups: AwsSecurityGroups = {
    interiors: group("interiors", "amqp-mesh interior routers"),
    edges: group("edges", "amqp-mesh edge routers"),
    meshClients: group("mesh-clients", "amqp-mesh functions and bridges"),
    internalNlb: group("internal-nlb", "amqp-mesh internal NLB (edge client listeners)"),
    externalNlb:
      peerFacingPorts.length > 0
        ? group("external-nlb", "amqp-mesh internet-facing NLB (inter-router from the other cloud)")
        : undefined,
  };
  const ingress = (
    name: string,
    target: ec2.SecurityGroup,
    port: number,
    from: { group: ec2.SecurityGroup } | { cidr: string },
    description: string,
  ) =>
    new vpc.SecurityGroupIngressRule(
      `${env}-in-${name}`,
      {
        securityGroupId: target.id,
        ipProtocol: "tcp",
        fromPort: port,
        toPort: port,
        description,
        ...("group" in from
          ? { referencedSecurityGroupId: from.group.id }
          : { cidrIpv4: from.cidr }),
      },
      opts,
    );
  const egress = (
    name: string,
    source: ec2.SecurityGroup,
    port: number,
    cidr: pulumi.Input<string>,
  ) =>
    new vpc.SecurityGroupEgressRule(
      `${env}-out-${name}`,
      {
        securityGroupId: source.id,
        ipProtocol: "tcp",
        fromPort: port,
        toPort: port,
        cidrIpv4: cidr,
      },
      opts,
    );

  for (const { router, ports } of deployed.routers) {
    const own = router.mode === "interior" ? groups.interiors : groups.edges;
    ingress(
      `${router.id}-clients`,
      own,
      ports.clients!,
      { group: groups.meshClients },
      "functions and bridges",
    );
    if (router.mode === "edge")
      ingress(
        `${router.id}-clients-nlb`,
        own,
        ports.clients!,
        { group: groups.internalNlb },
        "internal NLB",
      );
    if (ports.interRouter !== undefined)
      ingress(
        `${router.id}-inter-router`,
        own,
        ports.interRouter,
        { group: groups.interiors },
        "interiors",
      );
    if (ports.edge !== undefined)
      ingress(`${router.id}-edge`, own, ports.edge, { group: groups.edges }, "edge routers");
    if (router.mode === "edge")
      ingress(
        `nlb-${router.id}-clients`,
        groups.internalNlb,
        ports.clients!,
        { group: groups.meshClients },
        "functions and bridges",
      );
  }
  if (groups.externalNlb !== undefined) {
    for (const port of peerFacingPorts) {
      ingress(
        `interiors-${port}-external-nlb`,
        groups.interiors,
        port,
        { group: groups.externalNlb },
        "internet-facing NLB",
      );
      for (const [i, cidr] of peerEgressCidrs.entries())
        ingress(
          `external-nlb-${port}-peer-${i + 1}`,
          groups.externalNlb!,
          port,
          { cidr },
          "the other cloud's egress",
        );
    }
  }

  // Egress: TLS to AWS APIs and the image registry; router and client ports inside the VPC;
  // the other cloud's inter-router ports for the links this environment dials.
  const allPorts = [...new Set(deployed.routers.flatMap((r) => Object.values(r.ports)))].sort(
    (a, b) => a - b,
  );
  for (const [role, sg] of [
    ["interiors", groups.interiors],
    ["edges", groups.edges],
    ["mesh-clients", groups.meshClients],
  ] as const) {
    egress(`${role}-https`, sg, 443, "0.0.0.0/0");
    for (const port of allPorts) egress(`${role}-${port}`, sg, port, network.vpcCidr);
  }
  for (const port of allPorts)
    egress(`internal-nlb-${port}`, groups.internalNlb, port, network.vpcCidr);
  if (groups.externalNlb !== undefined)
    for (const port of peerFacingPorts)
      egress(`external-nlb-${port}`, groups.externalNlb, port, network.vpcCidr);
  for (const broker of deployed.topology.brokers.filter((b) => b.environment === env))
    egress(`interiors-broker-${broker.name}`, groups.interiors, broker.port, network.vpcCidr);
  return groups;
}

/** Egress of the interiors to the other clouds' inter-router ports they dial. */
export function peerDialEgress(
  env: string,
  interiors: ec2.SecurityGroup,
  ports: number[],
  opts: pulumi.CustomResourceOptions,
): void {
  for (const port of ports)
    new vpc.SecurityGroupEgressRule(
      `${env}-out-interiors-peer-${port}`,
      {
        securityGroupId: interiors.id,
        ipProtocol: "tcp",
        fromPort: port,
        toPort: port,
        // The other cloud's endpoint is a public name whose addresses may change.
        cidrIpv4: "0.0.0.0/0",
        description: "inter-router links this environment dials in the other cloud",
      },
      opts,
    );
}
