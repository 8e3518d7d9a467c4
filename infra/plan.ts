/**
 * `amqp-mesh infra plan`: runs the programs under Pulumi's mocks (no CLI, no cloud, no
 * credentials) and lists every resource they declare, per environment, with its type token,
 * name and inputs. The mocks answer each resource with its inputs and made-up ids; another
 * stack's outputs are placeholders that say where the value comes from.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { PEER_HOSTS_OUTPUT } from "./peers.ts";
import { declareEnvironment } from "./program.ts";
import { dialledPeers, type Project, readProject } from "./project.ts";
import { parseStackSettings, type StackSettingsInput } from "./settings.ts";
import { readTeamTriggers } from "./triggers.ts";

export const INFRA_DIR = import.meta.dirname;

export interface PlannedResource {
  environment: string;
  cloud: string;
  /** Pulumi type token, e.g. aws:ecs/service:Service. */
  type: string;
  name: string;
  /** Every input as the program declared it (secrets as `[secret]`, archives as their path). */
  inputs: Record<string, unknown>;
}

export interface PlannedEnvironment {
  name: string;
  cloud: string;
  region: string;
  warnings: string[];
  /** Outputs of the stack, with unknown values as the mocks made them. */
  outputs: Record<string, unknown>;
}

export interface InfraPlan {
  project: string;
  environments: PlannedEnvironment[];
  resources: PlannedResource[];
}

export interface PlanOptions {
  cloud?: "aws" | "azure";
  /** Stack settings per environment (what `pulumi config` would hold); default none. */
  settings?: Record<string, StackSettingsInput>;
}

/** Where a peer's host would come from: shown in place of the other stack's output. */
export function stackPlaceholder(environment: string, routerId: string): string {
  return `${routerId}.from-stack-${environment}.invalid`;
}

const SIG = pulumi.runtime.specialSigKey;

/** Secrets hidden, assets and archives by path: the plan's view of an input. */
async function plain(value: unknown): Promise<unknown> {
  if (Array.isArray(value)) return Promise.all(value.map(plain));
  if (value === null || typeof value !== "object") return value;
  const record = value as Record<string, unknown>;
  // Assets and archives reach the mocks as the SDK's objects, their path a promise.
  if (record.__pulumiArchive === true || record.__pulumiAsset === true)
    return { archive: await (record.path as Promise<string> | string | undefined) };
  switch (record[SIG]) {
    case pulumi.runtime.specialSecretSig:
      return "[secret]";
    case pulumi.runtime.specialArchiveSig:
    case pulumi.runtime.specialAssetSig:
      return { archive: record.path };
    default:
      return Object.fromEntries(
        await Promise.all(Object.entries(record).map(async ([k, v]) => [k, await plain(v)])),
      );
  }
}

/** An ARM id as Azure makes it, so that role scopes read as they would in Azure. */
function azureId(type: string, name: string, inputs: Record<string, unknown>): string {
  const group = `/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/${String(inputs.resourceGroupName ?? "mock")}`;
  const kind = type.split(":")[2] ?? "Resource";
  switch (kind) {
    case "StorageAccount":
      return `${group}/providers/Microsoft.Storage/storageAccounts/${name}`;
    case "BlobContainer":
      return `${group}/providers/Microsoft.Storage/storageAccounts/${String(inputs.accountName)}/blobServices/default/containers/${name}`;
    case "Vault":
      return `${group}/providers/Microsoft.KeyVault/vaults/${name}`;
    case "Secret":
      return `${group}/providers/Microsoft.KeyVault/vaults/${String(inputs.vaultName)}/secrets/${name}`;
    case "WebApp":
      return `${group}/providers/Microsoft.Web/sites/${name}`;
    default:
      return `${group}/providers/${type.split(":")[1]}/${kind}/${name}`;
  }
}

function mockState(
  type: string,
  name: string,
  inputs: Record<string, unknown>,
): Record<string, unknown> {
  const [provider] = type.split(":");
  if (provider === "aws")
    return {
      ...inputs,
      arn: `arn:aws:${type.split(":")[1]?.split("/")[0]}:mock:000000000000:${name}`,
      name: inputs.name ?? name,
      bucket: inputs.bucket ?? name,
      dnsName: `${name}.elb.mock`,
      invokeArn: `arn:aws:apigateway:mock:lambda:path/functions/${name}/invocations`,
      executionArn: `arn:aws:execute-api:mock:000000000000:${name}`,
      invokeUrl: `https://${name}.execute-api.mock/`,
      publicIp: "192.0.2.1",
    };
  if (provider === "azure-native") {
    const resourceName = String(
      inputs.containerAppName ?? inputs.secretName ?? inputs.containerName ?? inputs.name ?? name,
    );
    return {
      ...inputs,
      id: azureId(type, resourceName, inputs),
      name: resourceName,
      principalId: `${name}-principal`,
      clientId: `${name}-client`,
      customerId: `${name}-customer`,
      defaultHostName: `${name}.azurewebsites.mock`,
      latestRevisionFqdn: `${resourceName}--rev1.mock.azurecontainerapps.io`,
      primaryEndpoints: { blob: `https://${name}.blob.mock/` },
      properties: { ...(inputs.properties as object), vaultUri: `https://${name}.vault.mock/` },
    };
  }
  return { ...inputs };
}

interface Recorder {
  resources: PlannedResource[];
  environment: string;
  cloud: string;
}

function mocks(recorder: Recorder, project: Project): pulumi.runtime.Mocks {
  return {
    async newResource(args) {
      if (args.type === "pulumi:pulumi:StackReference") {
        const peerEnvironment = args.name.split("/").pop() ?? args.name;
        const hosts = Object.fromEntries(
          dialledPeers(project.topology, recorder.environment)
            .filter((r) => r.environment === peerEnvironment)
            .map((r) => [r.id, stackPlaceholder(peerEnvironment, r.id)]),
        );
        return { id: args.name, state: { outputs: { [PEER_HOSTS_OUTPUT]: hosts } } };
      }
      recorder.resources.push({
        environment: recorder.environment,
        cloud: recorder.cloud,
        type: args.type,
        name: args.name,
        inputs: (await plain(args.inputs)) as Record<string, unknown>,
      });
      const state = mockState(args.type, args.name, args.inputs);
      return { id: typeof state.id === "string" ? state.id : `${args.name}-id`, state };
    },
    call(args) {
      if (args.token === "azure-native:authorization:getClientConfig")
        return {
          tenantId: "00000000-0000-0000-0000-00000000000t",
          subscriptionId: "00000000-0000-0000-0000-000000000000",
          clientId: "mock",
          objectId: "mock",
        };
      if (args.token === "azure-native:operationalinsights:getSharedKeys")
        return { primarySharedKey: "mock-key" };
      return {};
    },
  };
}

/** Waits until the declared resources have reached the mock monitor. */
async function settled(): Promise<void> {
  const runtime = pulumi.runtime as unknown as { waitForRPCs?: () => Promise<void> };
  if (typeof runtime.waitForRPCs !== "function")
    throw new Error(
      "this @pulumi/pulumi has no runtime.waitForRPCs: the plan cannot tell when the program is done",
    );
  await runtime.waitForRPCs();
}

async function resolved(outputs: Record<string, unknown>): Promise<Record<string, unknown>> {
  const value = await new Promise<unknown>((done) => pulumi.output(outputs).apply((v) => done(v)));
  return (await plain(value)) as Record<string, unknown>;
}

/**
 * Every resource the programs declare for the project's cloud environments (or those of one
 * cloud). An invalid project plans nothing: its errors are thrown (InfraProjectError).
 */
export async function planInfra(dir: string, options: PlanOptions = {}): Promise<InfraPlan> {
  const project = await readProject(resolve(dir));
  const plan: InfraPlan = { project: project.dir, environments: [], resources: [] };
  for (const environment of project.topology.environments) {
    if (environment.cloud === "local") continue;
    if (options.cloud !== undefined && environment.cloud !== options.cloud) continue;
    const settings = parseStackSettings(
      options.settings?.[environment.name] ?? {},
      `environment ${environment.name}`,
    );
    const recorder: Recorder = {
      resources: [],
      environment: environment.name,
      cloud: environment.cloud,
    };
    await pulumi.runtime.setMocks(
      mocks(recorder, project),
      "amqp-mesh",
      environment.name,
      true,
      "organization",
    );
    const declared = declareEnvironment({
      project,
      environment: environment.name,
      settings,
      infraDir: INFRA_DIR,
      // A plan shows what is missing: an unset image is a placeholder and a warning.
      missingImage: "placeholder",
      triggers: await readTeamTriggers(project, settings, INFRA_DIR),
      secrets: {
        ingressPassword: pulumi.secret("from stack config"),
        syncPassword: pulumi.secret("from stack config"),
      },
    });
    const outputs = await resolved(declared.outputs);
    await settled();
    const warnings = [...declared.warnings];
    const bundles = resolve(INFRA_DIR, settings.bundles, environment.cloud);
    if (!existsSync(bundles))
      warnings.push(`no function bundles at ${bundles}: run npm run bundle before pulumi up`);
    plan.environments.push({
      name: environment.name,
      cloud: environment.cloud,
      region: environment.region,
      warnings,
      outputs,
    });
    plan.resources.push(...recorder.resources);
  }
  return plan;
}
