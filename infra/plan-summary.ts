/**
 * The key properties of each planned resource a user reads before `pulumi up`: ports, images,
 * subnets, rules, the routers' listeners and connectors (read back from the config the
 * container gets), policies and role scopes. Types not listed show their name only.
 */
import { ROLES } from "./azure/roles.ts";
import type { PlannedResource } from "./plan.ts";

type Inputs = Record<string, unknown>;
type Summary = Record<string, unknown>;

const ROLE_NAMES = Object.fromEntries(Object.entries(ROLES).map(([name, id]) => [id, name]));

function parseJson(text: unknown): unknown {
  if (typeof text !== "string") return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Listeners and connectors of a router config (the JSON list the entrypoint writes). */
export function routerConfigSummary(configText: unknown): Summary {
  // The generated JSON starts with '#' comment lines, which the routers skip.
  const entities = parseJson(
    typeof configText === "string"
      ? configText
          .split("\n")
          .filter((line) => !line.trimStart().startsWith("#"))
          .join("\n")
      : configText,
  );
  if (!Array.isArray(entities)) return {};
  const of = (type: string) =>
    entities
      .filter((e): e is [string, Record<string, unknown>] => Array.isArray(e) && e[0] === type)
      .map(([, a]) => a);
  const router = of("router")[0];
  return {
    routerId: router?.id,
    mode: router?.mode,
    listeners: of("listener").map((l) => ({
      role: l.role,
      port: Number(l.port),
      requireSsl: l.requireSsl === true,
      authenticatePeer: l.authenticatePeer === true,
      saslMechanisms: l.saslMechanisms,
    })),
    connectors: of("connector").map((c) => ({
      role: c.role,
      host: c.host,
      port: Number(c.port),
      ...(c.cost !== undefined ? { cost: c.cost } : {}),
      ...(c.sslProfile !== undefined ? { tls: true } : {}),
    })),
  };
}

function env(list: unknown, name: string): unknown {
  return Array.isArray(list)
    ? (list as { name?: string; value?: unknown }[]).find((e) => e.name === name)?.value
    : undefined;
}

const SUMMARIES: Record<string, (i: Inputs) => Summary> = {
  "pulumi:providers:aws": (i) => ({ region: i.region }),
  "pulumi:providers:azure-native": (i) => ({ location: i.location }),
  "aws:ec2/vpc:Vpc": (i) => ({ cidr: i.cidrBlock }),
  "aws:ec2/subnet:Subnet": (i) => ({ cidr: i.cidrBlock, zone: i.availabilityZone }),
  "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": (i) => ({
    port: i.fromPort,
    from: i.cidrIpv4 ?? i.referencedSecurityGroupId,
    to: i.securityGroupId,
  }),
  "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": (i) => ({
    port: i.fromPort,
    to: i.cidrIpv4 ?? i.referencedSecurityGroupId,
  }),
  "aws:ecs/taskDefinition:TaskDefinition": (i) => {
    const [container] = (parseJson(i.containerDefinitions) as Record<string, unknown>[]) ?? [];
    return {
      image: container?.image,
      ports: (container?.portMappings as { containerPort: number }[] | undefined)?.map(
        (p) => p.containerPort,
      ),
      cpu: i.cpu,
      memory: i.memory,
      secrets: (container?.secrets as { name: string }[] | undefined)?.map((s) => s.name),
      ...routerConfigSummary(env(container?.environment, "MESH_ROUTER_CONFIG")),
    };
  },
  "aws:ecs/service:Service": (i) => {
    const network = i.networkConfiguration as Record<string, unknown> | undefined;
    return {
      desiredCount: i.desiredCount,
      maximumPercent: i.deploymentMaximumPercent,
      subnets: network?.subnets,
      securityGroups: network?.securityGroups,
      loadBalancerPorts: (i.loadBalancers as { containerPort: number }[] | undefined)?.map(
        (l) => l.containerPort,
      ),
    };
  },
  "aws:lb/loadBalancer:LoadBalancer": (i) => ({ internal: i.internal, subnets: i.subnets }),
  "aws:lb/listener:Listener": (i) => ({ port: i.port, protocol: i.protocol }),
  "aws:lb/targetGroup:TargetGroup": (i) => ({ port: i.port, protocol: i.protocol }),
  "aws:cloudwatch/logGroup:LogGroup": (i) => ({ retentionInDays: i.retentionInDays }),
  "aws:lambda/function:Function": (i) => ({
    runtime: i.runtime,
    architectures: i.architectures,
    code: i.code,
    subnets: (i.vpcConfig as Inputs | undefined)?.subnetIds,
    settings: Object.keys(((i.environment as Inputs | undefined)?.variables as Inputs) ?? {}),
  }),
  "aws:apigatewayv2/route:Route": (i) => ({
    routeKey: i.routeKey,
    authorization: i.authorizationType ?? "NONE",
  }),
  "aws:cloudwatch/eventRule:EventRule": (i) => ({
    ...(i.eventPattern !== undefined ? { eventPattern: parseJson(i.eventPattern) } : {}),
    ...(i.scheduleExpression !== undefined ? { schedule: i.scheduleExpression } : {}),
  }),
  "aws:s3/bucketVersioning:BucketVersioning": (i) => ({
    status: (i.versioningConfiguration as Inputs | undefined)?.status,
  }),
  "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": (
    i,
  ) => ({
    algorithm: (
      (i.rules as Inputs[] | undefined)?.[0]?.applyServerSideEncryptionByDefault as
        | Inputs
        | undefined
    )?.sseAlgorithm,
  }),
  "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": (i) => ({
    blockPublicAcls: i.blockPublicAcls,
    blockPublicPolicy: i.blockPublicPolicy,
    ignorePublicAcls: i.ignorePublicAcls,
    restrictPublicBuckets: i.restrictPublicBuckets,
  }),
  "aws:s3/bucketNotification:BucketNotification": (i) => ({ eventbridge: i.eventbridge }),
  "aws:iam/rolePolicy:RolePolicy": (i) => ({
    statements: (
      (parseJson(i.policy) as { Statement?: Inputs[] } | undefined)?.Statement ?? []
    ).map((s) => ({ effect: s.Effect, actions: s.Action, resources: s.Resource })),
  }),
  "azure-native:network:VirtualNetwork": (i) => ({
    cidr: (i.addressSpace as Inputs | undefined)?.addressPrefixes,
    subnets: (i.subnets as Inputs[] | undefined)?.map((s) => `${s.name} ${s.addressPrefix}`),
  }),
  "azure-native:app:ManagedEnvironment": (i) => ({
    internal: (i.vnetConfiguration as Inputs | undefined)?.internal,
    zoneRedundant: i.zoneRedundant,
  }),
  "azure-native:app:ContainerApp": (i) => {
    const ingress = (i.configuration as Inputs | undefined)?.ingress as Inputs | undefined;
    const template = i.template as Inputs | undefined;
    const container = (template?.containers as Inputs[] | undefined)?.[0];
    const secrets = ((container?.env as Inputs[] | undefined) ?? [])
      .filter((e) => e.secretRef !== undefined)
      .map((e) => e.name);
    return {
      image: container?.image,
      replicas: template?.scale,
      // A bridge has none: nothing reaches it.
      ...(ingress === undefined
        ? {}
        : {
            ingress: {
              transport: ingress.transport,
              ports: [
                { port: ingress.exposedPort, external: ingress.external },
                ...((ingress.additionalPortMappings as Inputs[] | undefined) ?? []).map((m) => ({
                  port: m.exposedPort,
                  external: m.external,
                })),
              ],
              allow: (ingress.ipSecurityRestrictions as Inputs[] | undefined)?.map(
                (r) => r.ipAddressRange,
              ),
            },
          }),
      ...(secrets.length > 0 ? { secrets } : {}),
      ...routerConfigSummary(env(container?.env, "MESH_ROUTER_CONFIG")),
    };
  },
  "azure-native:operationalinsights:Workspace": (i) => ({ retentionInDays: i.retentionInDays }),
  "azure-native:storage:StorageAccount": (i) => ({
    allowBlobPublicAccess: i.allowBlobPublicAccess,
    minimumTlsVersion: i.minimumTlsVersion,
    httpsOnly: i.enableHttpsTrafficOnly,
  }),
  "azure-native:storage:BlobServiceProperties": (i) => ({ versioning: i.isVersioningEnabled }),
  "azure-native:storage:BlobContainer": (i) => ({
    container: i.containerName,
    publicAccess: i.publicAccess,
  }),
  "azure-native:eventgrid:SystemTopicEventSubscription": (i) => ({
    eventTypes: (i.filter as Inputs | undefined)?.includedEventTypes,
    subjectBeginsWith: (i.filter as Inputs | undefined)?.subjectBeginsWith,
    destination: (i.destination as Inputs | undefined)?.resourceId,
  }),
  "azure-native:authorization:RoleAssignment": (i) => ({
    role: ROLE_NAMES[String(i.roleDefinitionId).split("/").pop() ?? ""] ?? i.roleDefinitionId,
    scope: i.scope,
  }),
  "azure-native:web:WebApp": (i) => ({
    runtime: (i.functionAppConfig as Inputs | undefined)?.runtime,
    subnet: i.virtualNetworkSubnetId,
    settings: (((i.siteConfig as Inputs | undefined)?.appSettings as Inputs[]) ?? []).map(
      (s) => s.name,
    ),
  }),
  "azure-native:keyvault:Secret": (i) => ({ secret: i.secretName }),
};

export function keyProperties(resource: PlannedResource): Summary {
  const summarize = SUMMARIES[resource.type];
  return summarize === undefined ? {} : summarize(resource.inputs);
}
