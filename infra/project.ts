/**
 * What the infra programs read from the project, so that nothing is written twice: the
 * topology and registry (validated as `amqp-mesh validate` does), the topology as deployed
 * in one environment (listeners on every interface and behind TLS, peers by their cloud
 * names, files under the container's run folder), the router configs the existing generator
 * makes from it, and the files and secrets each router container needs.
 */
import { join } from "node:path";
import { type Diagnostic, formatDiagnostic, hasErrors } from "../shared/diagnostics.ts";
import { type ChannelRegistry, validateProject } from "../shared/registry/index.ts";
import {
  generateRouterConfigs,
  type RouterConfig,
  renderJsonFile,
  renderSaslConfig,
  SASL_CONFIG_NAME,
} from "../shared/router-config/index.ts";
import {
  type Environment,
  type Router,
  type RouterFlavour,
  type Topology,
  validateTopology,
} from "../shared/topology/index.ts";
import type { StackSettings } from "./settings.ts";

/** The project could not be read, or its deployed form breaks a rule: every problem listed. */
export class InfraProjectError extends Error {
  override name = "InfraProjectError";
  readonly diagnostics: Diagnostic[];
  constructor(message: string, diagnostics: Diagnostic[] = []) {
    super(
      diagnostics.length === 0
        ? message
        : `${message}\n${diagnostics.map((d) => `  ${formatDiagnostic(d)}`).join("\n")}`,
    );
    this.diagnostics = diagnostics;
  }
}

export interface Project {
  dir: string;
  topology: Topology;
  registry: ChannelRegistry;
}

/** Validates `<dir>` as `amqp-mesh validate` does; an invalid project deploys nothing. */
export async function readProject(dir: string): Promise<Project> {
  const { topology, registry, diagnostics } = await validateProject(dir);
  if (topology === undefined || registry === undefined || hasErrors(diagnostics))
    throw new InfraProjectError(
      `${dir}: the project is invalid; nothing is deployed`,
      diagnostics.filter((d) => d.severity === "error"),
    );
  return { dir, topology, registry };
}

export function environmentNamed(topology: Topology, name: string): Environment {
  const environment = topology.environments.find((e) => e.name === name);
  if (environment === undefined)
    throw new InfraProjectError(
      `environment '${name}' is not in the topology (it has ${topology.environments.map((e) => e.name).join(", ")}); name the stack after one, or set amqp-mesh:environment`,
    );
  if (environment.cloud === "local")
    throw new InfraProjectError(
      `environment '${name}' is local: there is no cloud to deploy it to`,
    );
  return environment;
}

export function routersOf(topology: Topology, environment: string): Router[] {
  return topology.routers.filter((r) => r.environment === environment);
}

/** Private DNS name of a router inside its environment (Cloud Map / Container Apps). */
export function internalHost(router: Router, cloud: Environment["cloud"]): string {
  return cloud === "aws" ? `${router.id}.${router.environment}.amqp-mesh.internal` : router.id;
}

/** A file the router reads, and the environment variable that brings its content. */
export interface RouterFile {
  path: string;
  /** Environment variable holding the content (base64 when `base64`). */
  variable: string;
  base64: boolean;
  /**
   * What it is, for the secret store: per router (its own certificate and key), shared by the
   * environment's routers (the SASL database), or a CA certificate — public, shared, and also
   * what the functions and bridges verify the routers with.
   */
  scope: "router" | "environment" | "ca";
  /** Content known to the program (not secret), else read from the secret store. */
  content?: string;
  /** Key inside the secret store. */
  key: string;
}

export interface DeployedRouter {
  router: Router;
  config: RouterConfig;
  /** The config as the router reads it (JSON), with `env:` secrets left as references. */
  configText: string;
  files: RouterFile[];
  /** `env:NAME` secrets the config reads (a key password, a broker password). */
  secretVariables: string[];
  /** Listener name (clients, interRouter, edge) → port. */
  ports: Partial<Record<"clients" | "interRouter" | "edge", number>>;
  image: string;
}

export interface DeployedEnvironment {
  environment: Environment;
  topology: Topology;
  routers: DeployedRouter[];
  /** Things a user should look at before `pulumi up` (a loopback broker, a missing peer). */
  warnings: string[];
}

function variableName(...parts: string[]): string {
  return parts
    .join("_")
    .toUpperCase()
    .replace(/[^A-Z0-9_]/g, "_");
}

/**
 * The topology as deployed in `environment`: every listener binds all interfaces of its
 * container and has TLS (a client listener without a profile takes the inter-router one's,
 * PLAIN over TLS), routers of this environment are reached by their internal names and the
 * others at `peerHosts`, and every certificate, key and SASL file lives under the run folder.
 */
export function deployedTopology(
  topology: Topology,
  environment: Environment,
  peerHosts: Readonly<Record<string, string>>,
  settings: Pick<StackSettings, "runDir" | "brokerHosts">,
): Topology {
  const meshProfile =
    topology.routers.map((r) => r.listeners.interRouter?.tlsProfile).find((p) => p) ??
    topology.tlsProfiles[0]?.name;
  const byId = new Map(topology.environments.map((e) => [e.name, e]));
  const hostOf = (router: Router): string => {
    if (router.environment === environment.name) return internalHost(router, environment.cloud);
    const peer = peerHosts[router.id];
    if (peer !== undefined) return peer;
    const cloud = byId.get(router.environment)?.cloud ?? environment.cloud;
    return `${router.id}.unresolved-${cloud}.invalid`;
  };
  const tls = (name: string, field: string) => `${settings.runDir}/tls/${name}-${field}.pem`;
  return {
    ...topology,
    sasl: {
      ...(topology.sasl.configDir !== undefined ? { configDir: `${settings.runDir}/sasl` } : {}),
      ...(topology.sasl.database !== undefined
        ? { database: `${settings.runDir}/sasl/users.sasldb` }
        : {}),
    },
    tlsProfiles: topology.tlsProfiles.map((p) => ({
      ...p,
      caCert: tls(p.name, "ca"),
      ...(p.cert !== undefined ? { cert: tls(p.name, "cert") } : {}),
      ...(p.key !== undefined ? { key: tls(p.name, "key") } : {}),
    })),
    routers: topology.routers.map((router) => {
      const { clients, interRouter, edge } = router.listeners;
      return {
        ...router,
        host: hostOf(router),
        listeners: {
          clients: {
            ...clients,
            host: "0.0.0.0",
            insecure: false,
            tlsProfile: clients.tlsProfile ?? meshProfile,
          },
          ...(interRouter
            ? { interRouter: { ...interRouter, host: "0.0.0.0", insecure: false } }
            : {}),
          ...(edge ? { edge: { ...edge, host: "0.0.0.0", insecure: false } } : {}),
        },
      } as Router;
    }),
    brokers: topology.brokers.map((b) => ({ ...b, host: settings.brokerHosts[b.name] ?? b.host })),
  };
}

/** The files a generated config reads, with the variables the entrypoint writes them from. */
export function routerFiles(config: RouterConfig, topology: Pick<Topology, "sasl">): RouterFile[] {
  const files: RouterFile[] = [];
  for (const entity of config.entities) {
    if (entity.type !== "sslProfile") continue;
    const profile = String(entity.attributes.name).split("/").pop() ?? "tls";
    for (const [attribute, field] of [
      ["caCertFile", "ca"],
      ["certFile", "cert"],
      ["privateKeyFile", "key"],
    ] as const) {
      const path = entity.attributes[attribute];
      if (typeof path !== "string") continue;
      files.push({
        path,
        variable: variableName("MESH_TLS", profile, field),
        base64: false,
        scope: field === "ca" ? "ca" : "router",
        key: `${profile}-${field}`,
      });
    }
  }
  const saslConfig = renderSaslConfig(topology.sasl);
  if (saslConfig !== undefined && topology.sasl.configDir !== undefined)
    files.push({
      path: `${topology.sasl.configDir}/${SASL_CONFIG_NAME}.conf`,
      variable: "MESH_SASL_CONFIG",
      base64: false,
      scope: "environment",
      content: saslConfig,
      key: "sasl-config",
    });
  if (topology.sasl.database !== undefined)
    files.push({
      path: topology.sasl.database,
      variable: "MESH_SASLDB_B64",
      base64: true,
      scope: "environment",
      key: "sasldb",
    });
  return files;
}

/**
 * The CA certificate file that verifies the client listeners of `routers` (what a function or a
 * bridge connecting to them trusts, as MESH_TLS_CA): one for all of them, since a client holds
 * one CA setting.
 */
export function clientListenerCa(routers: DeployedRouter[]): RouterFile {
  const cas = new Map<string, RouterFile>();
  for (const { router, config, ports, files } of routers) {
    const attributesOf = (type: string, match: (a: Record<string, unknown>) => boolean) =>
      config.entities.find((e) => e.type === type && match(e.attributes))?.attributes;
    const listener = attributesOf("listener", (a) => Number(a.port) === ports.clients);
    const profile = attributesOf("sslProfile", (a) => a.name === listener?.sslProfile);
    const file = files.find((f) => f.scope === "ca" && f.path === profile?.caCertFile);
    if (file === undefined)
      throw new InfraProjectError(
        `router '${router.id}': its client listener has no TLS profile with a CA certificate, so its clients have nothing to verify it with`,
      );
    cas.set(file.key, file);
  }
  if (cas.size !== 1)
    throw new InfraProjectError(
      `the client listeners the functions connect to are signed by ${cas.size === 0 ? "no" : "different"} CAs (${[...cas.keys()].join(", ")}): give them one TLS profile, a function verifies the routers with one CA`,
    );
  return [...cas.values()][0]!;
}

/** The `env:NAME` secrets a config reads. */
export function envSecrets(config: RouterConfig): string[] {
  const names = new Set<string>();
  for (const entity of config.entities)
    for (const value of Object.values(entity.attributes))
      if (typeof value === "string" && value.startsWith("env:")) names.add(value.slice(4));
  return [...names].sort();
}

/**
 * One environment as deployed: its routers' configs from the generator (the same one
 * `amqp-mesh generate` runs), their files, ports and images. Throws with every problem when
 * the deployed topology breaks a rule or the generator reports an error.
 */
export interface DeployOptions {
  /**
   * A router image the stack does not name: `fail` (what the program passes: `pulumi up`) or
   * `placeholder` (default: `infra plan` and readers of the configs, a warning).
   */
  missingImage?: "fail" | "placeholder";
}

/** What `infra plan` shows for an image the stack's config does not name yet. */
export const placeholderImage = (flavour: RouterFlavour) =>
  `unset.invalid/amqp-mesh-images-${flavour}:set-in-stack-config`;

function missingImageMessage(flavour: RouterFlavour): string {
  return (
    `amqp-mesh:images.${flavour} is not set: the router image of this topology's flavour (${flavour}). ` +
    "No upstream image is verified for it: build one here (node infra/containers/build.ts), push it to " +
    'your registry (infra/README.md, "Router images") and set it, pinned: ' +
    `pulumi config set --path 'amqp-mesh:images.${flavour}' <registry>/<repository>@sha256:<digest>`
  );
}

/** The router image of a flavour from the stack's config; missing: an error, or the plan's placeholder. */
export function routerImage(
  settings: StackSettings,
  flavour: RouterFlavour,
  missing: "fail" | "placeholder",
): { reference: string; placeholder: boolean } {
  const configured = settings.images[flavour];
  if (configured !== undefined) return { reference: configured, placeholder: false };
  if (missing === "fail") throw new InfraProjectError(missingImageMessage(flavour), []);
  return { reference: placeholderImage(flavour), placeholder: true };
}

export function deployEnvironment(
  project: Project,
  environment: Environment,
  peerHosts: Readonly<Record<string, string>>,
  settings: StackSettings,
  options: DeployOptions = {},
): DeployedEnvironment {
  const topology = deployedTopology(project.topology, environment, peerHosts, settings);
  const problems = validateTopology(topology).filter((d) => d.severity === "error");
  const { configs, diagnostics } = generateRouterConfigs(project.registry, topology, {
    managementPrincipals: [settings.managementPrincipal],
  });
  problems.push(...diagnostics.filter((d) => d.severity === "error"));
  if (problems.length > 0)
    throw new InfraProjectError(
      `${project.dir}: environment '${environment.name}' as deployed breaks these rules`,
      problems,
    );
  const warnings: string[] = [];
  for (const broker of topology.brokers.filter((b) => b.environment === environment.name))
    if (/^(127\.|localhost$|::1$)/.test(broker.host))
      warnings.push(
        `broker '${broker.name}' is at ${broker.host}, which is the router's own container once deployed: set amqp-mesh:brokerHosts.${broker.name}`,
      );
  for (const router of topology.routers)
    if (router.host.endsWith(".invalid"))
      warnings.push(
        `router '${router.id}' (another environment) has no known host yet: deploy its stack first, or set amqp-mesh:peerEndpoints.${router.id}`,
      );
  const image = routerImage(settings, topology.flavour, options.missingImage ?? "placeholder");
  if (image.placeholder) warnings.push(missingImageMessage(topology.flavour));
  const routers = routersOf(topology, environment.name).map((router) => {
    const config = configs.find((c) => c.routerId === router.id);
    if (config === undefined) throw new InfraProjectError(`no config generated for ${router.id}`);
    const { clients, interRouter, edge } = router.listeners;
    return {
      router,
      config,
      configText: renderJsonFile(config),
      files: routerFiles(config, topology),
      secretVariables: envSecrets(config),
      ports: {
        clients: clients.port,
        ...(interRouter ? { interRouter: interRouter.port } : {}),
        ...(edge ? { edge: edge.port } : {}),
      },
      image: image.reference,
    };
  });
  return { environment, topology, routers, warnings };
}

/** Interiors of `environment` that a link from another environment dials: they face the peer cloud. */
export function peerFacingInteriors(topology: Topology, environment: string): Router[] {
  const inEnv = new Map(routersOf(topology, environment).map((r) => [r.id, r]));
  const envOf = new Map(topology.routers.map((r) => [r.id, r.environment]));
  const ids = new Set(
    topology.links
      .filter((l) => inEnv.has(l.to) && envOf.get(l.from) !== environment)
      .map((l) => l.to),
  );
  return [...ids].sort().map((id) => inEnv.get(id)!);
}

/** Routers of other environments this environment's routers dial (their hosts come from peers). */
export function dialledPeers(topology: Topology, environment: string): Router[] {
  const byId = new Map(topology.routers.map((r) => [r.id, r]));
  const ids = new Set(
    topology.links
      .filter(
        (l) =>
          byId.get(l.from)?.environment === environment &&
          byId.get(l.to)?.environment !== environment,
      )
      .map((l) => l.to),
  );
  return [...ids].sort().map((id) => byId.get(id)!);
}

/** A function bundle written by `npm run bundle`: `<bundles>/<cloud>/<name>/`. */
export function bundlePath(infraDir: string, settings: StackSettings, cloud: string, name: string) {
  return join(infraDir, settings.bundles, cloud, name);
}
