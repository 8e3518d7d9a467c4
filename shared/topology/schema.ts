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
export type SaslMechanism = z.infer<typeof SaslMechanism>;

/** Where a listener binds when the topology does not say: this host only. */
export const DEFAULT_LISTEN_HOST = "127.0.0.1";

const listenerFields = {
  port: z.number().int().min(1).max(65535),
  host: z
    .string()
    .min(1)
    .default(DEFAULT_LISTEN_HOST)
    .describe(
      "Address the router binds: 127.0.0.1 (the default) is this host only; 0.0.0.0 every interface, as a deployed router needs.",
    ),
  tlsProfile: z.string().regex(NAME_PATTERN).optional(),
  insecure: z
    .boolean()
    .optional()
    .describe(
      "Accept this listener without authentication or TLS on a host other than loopback (a local network of containers, never a deployment); validation turns its error into a warning.",
    ),
};

/** Where applications and functions connect: SASL PLAIN users from the router's database. */
export const ClientListener = z
  .object({
    ...listenerFields,
    saslMechanisms: z.array(SaslMechanism).min(1).default(["PLAIN"]),
    authenticatePeer: z.boolean().default(true),
  })
  .strict();
export type ClientListener = z.infer<typeof ClientListener>;

/**
 * Where other routers connect. With a tlsProfile the defaults are mutual TLS with the peer
 * named by its certificate (EXTERNAL, authenticatePeer); without one there is nothing to
 * authenticate with, so the defaults are ANONYMOUS — which validation refuses on any host
 * but loopback (topology/unauthenticated-router-listener).
 */
export const RouterListener = z
  .object({
    ...listenerFields,
    saslMechanisms: z
      .array(SaslMechanism)
      .min(1)
      .optional()
      .describe("Default: [EXTERNAL] with a tlsProfile, else [ANONYMOUS]."),
    authenticatePeer: z
      .boolean()
      .optional()
      .describe("Default: true with a tlsProfile, else false."),
  })
  .strict()
  .transform((listener) => {
    const tls = listener.tlsProfile !== undefined;
    return {
      ...listener,
      saslMechanisms:
        listener.saslMechanisms ?? (tls ? ["EXTERNAL" as const] : ["ANONYMOUS" as const]),
      authenticatePeer: listener.authenticatePeer ?? tls,
    };
  });
export type RouterListener = z.infer<typeof RouterListener>;

export type Listener = ClientListener | RouterListener;

export const Router = z
  .object({
    id: z.string().regex(NAME_PATTERN),
    environment: z.string().regex(NAME_PATTERN),
    mode: z.enum(["interior", "edge"]),
    host: z.string().min(1).describe("Host name peers and clients use to reach the router."),
    listeners: z
      .object({
        clients: ClientListener.describe("Where applications and functions connect."),
        interRouter: RouterListener.optional().describe(
          "Interior routers only: where other interiors connect.",
        ),
        edge: RouterListener.optional().describe(
          "Interior routers only: where edge routers connect.",
        ),
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
        configDir: z
          .string()
          .min(1)
          .optional()
          .describe(
            "Directory on the routers holding the Cyrus SASL config amqp-mesh.conf (router saslConfigDir).",
          ),
        database: z
          .string()
          .min(1)
          .optional()
          .describe(
            "Cyrus SASL database (sasldb, made with saslpasswd2) on the routers with the PLAIN users.",
          ),
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
