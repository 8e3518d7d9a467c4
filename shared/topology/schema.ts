import { z } from "zod";

/** The mesh topology: environments, routers, links, TLS, SASL and brokers. One YAML file. */

export const NAME_PATTERN = /^[a-z][a-z0-9-]*$/;
export const MAX_INTERIOR_ROUTERS = 128;

export const RouterFlavour = z.enum(["qpid-dispatch", "skupper-router"]);
export type RouterFlavour = z.infer<typeof RouterFlavour>;

export const Cloud = z.enum(["aws", "azure", "local"]);

export const Environment = z
  .object({
    name: z.string().regex(NAME_PATTERN),
    cloud: Cloud,
    region: z.string().min(1),
  })
  .strict();
export type Environment = z.infer<typeof Environment>;

/** A secret lives outside the topology: in an environment variable or a cloud secret store. */
export const SecretRef = z
  .object({
    secretRef: z
      .string()
      .min(1)
      .describe("e.g. env:MESH_TLS_KEY, aws-sm:mesh/key, azure-kv:mesh-key"),
  })
  .strict();
export const PathOrSecret = z.union([z.string().min(1), SecretRef]);
export type PathOrSecret = z.infer<typeof PathOrSecret>;

export const TlsProfile = z
  .object({
    name: z.string().regex(NAME_PATTERN),
    caCert: PathOrSecret.describe("CA certificate (PEM) that peers are verified against."),
    cert: PathOrSecret.optional().describe("Own certificate (PEM)."),
    key: PathOrSecret.optional().describe("Own private key (PEM)."),
    password: SecretRef.optional().describe("Password of the private key."),
  })
  .strict();
export type TlsProfile = z.infer<typeof TlsProfile>;

export const SaslMechanism = z.enum(["ANONYMOUS", "PLAIN", "EXTERNAL", "SCRAM-SHA-256"]);

export const Listener = z
  .object({
    port: z.number().int().min(1).max(65535),
    host: z.string().default("0.0.0.0"),
    tlsProfile: z.string().regex(NAME_PATTERN).optional(),
    saslMechanisms: z.array(SaslMechanism).default(["ANONYMOUS"]),
    authenticatePeer: z.boolean().default(false),
  })
  .strict();
export type Listener = z.infer<typeof Listener>;

export const Router = z
  .object({
    id: z.string().regex(NAME_PATTERN),
    environment: z.string().regex(NAME_PATTERN),
    mode: z.enum(["interior", "edge"]),
    host: z.string().min(1).describe("Host name peers and clients use to reach the router."),
    listeners: z
      .object({
        clients: Listener.describe("Where applications and functions connect."),
        interRouter: Listener.optional().describe("Interior routers only."),
        edge: Listener.optional().describe("Interior routers only: where edge routers connect."),
      })
      .strict(),
    uplinks: z
      .array(z.string().regex(NAME_PATTERN))
      .default([])
      .describe("Edge routers only: the interior routers they connect to, first is preferred."),
  })
  .strict();
export type Router = z.infer<typeof Router>;

export const Link = z
  .object({
    from: z.string().regex(NAME_PATTERN).describe("Router that opens the connection."),
    to: z.string().regex(NAME_PATTERN).describe("Router whose inter-router listener accepts it."),
    cost: z.number().int().min(1).default(1),
    tlsProfile: z.string().regex(NAME_PATTERN).optional(),
  })
  .strict();
export type Link = z.infer<typeof Link>;

export const Broker = z
  .object({
    name: z.string().regex(NAME_PATTERN),
    environment: z.string().regex(NAME_PATTERN),
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(5672),
    flavour: z.enum(["rabbitmq", "artemis", "azure-service-bus", "amazon-mq", "qpid-broker-j"]),
    containerId: z.string().min(1).optional().describe("AMQP container id the broker announces."),
    tlsProfile: z.string().regex(NAME_PATTERN).optional(),
    sasl: z
      .object({
        mechanism: SaslMechanism.default("PLAIN"),
        username: z.string().min(1),
        password: SecretRef,
      })
      .strict()
      .optional(),
  })
  .strict();
export type Broker = z.infer<typeof Broker>;

export const Topology = z
  .object({
    flavour: RouterFlavour.default("qpid-dispatch"),
    sasl: z
      .object({
        usersFile: z.string().optional().describe("SASL database or users file on the routers."),
        configPath: z.string().optional(),
      })
      .strict()
      .default({}),
    environments: z.array(Environment).min(1),
    tlsProfiles: z.array(TlsProfile).default([]),
    routers: z.array(Router).min(1),
    links: z.array(Link).default([]),
    brokers: z.array(Broker).default([]),
  })
  .strict();
export type Topology = z.infer<typeof Topology>;
export type TopologyInput = z.input<typeof Topology>;
