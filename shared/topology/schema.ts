import * as z from "zod/mini";
import { type RouterFlavour as Flavour, ROUTER_FLAVOURS } from "../router-vocabulary/index.ts";

/** The mesh topology: environments, routers, links, TLS, SASL and brokers. One YAML file. */

export const NAME_PATTERN = /^[a-z][a-z0-9-]*$/;
export const MAX_INTERIOR_ROUTERS = 128;

/** A router's flavour (its home: shared/router-vocabulary). */
export const RouterFlavour = z.enum(ROUTER_FLAVOURS);
export type RouterFlavour = Flavour;

export const Cloud = z.enum(["aws", "azure", "local"]);

/** `schema` with a description for editors (a described copy, as classic zod's `.describe`). */
const described = <S extends z.ZodMiniType>(schema: S, text: string): S =>
  schema.check(z.describe(text)) as S;

const name = () => z.string().check(z.regex(NAME_PATTERN));
const nonEmpty = () => z.string().check(z.minLength(1));
const port = () => z.int().check(z.minimum(1), z.maximum(65535));

export const Environment = z.strictObject({
  name: name(),
  cloud: Cloud,
  region: nonEmpty(),
});
export type Environment = z.infer<typeof Environment>;

/** A secret lives outside the topology: in an environment variable or a cloud secret store. */
export const SecretRef = z.strictObject({
  secretRef: described(nonEmpty(), "e.g. env:MESH_TLS_KEY, aws-sm:mesh/key, azure-kv:mesh-key"),
});
export const PathOrSecret = z.union([nonEmpty(), SecretRef]);
export type PathOrSecret = z.infer<typeof PathOrSecret>;

export const TlsProfile = z.strictObject({
  name: name(),
  caCert: described(PathOrSecret, "CA certificate (PEM) that peers are verified against."),
  cert: described(z.optional(PathOrSecret), "Own certificate (PEM)."),
  key: described(z.optional(PathOrSecret), "Own private key (PEM)."),
  password: described(z.optional(SecretRef), "Password of the private key."),
});
export type TlsProfile = z.infer<typeof TlsProfile>;

export const SaslMechanism = z.enum(["ANONYMOUS", "PLAIN", "EXTERNAL", "SCRAM-SHA-256"]);
export type SaslMechanism = z.infer<typeof SaslMechanism>;

/** Where a listener binds when the topology does not say: this host only. */
export const DEFAULT_LISTEN_HOST = "127.0.0.1";

const listenerFields = {
  port: port(),
  host: described(
    z._default(nonEmpty(), DEFAULT_LISTEN_HOST),
    "Address the router binds: 127.0.0.1 (the default) is this host only; 0.0.0.0 every interface, as a deployed router needs.",
  ),
  tlsProfile: z.optional(name()),
  insecure: described(
    z.optional(z.boolean()),
    "Accept this listener without authentication or TLS on a host other than loopback (a local network of containers, never a deployment); validation turns its error into a warning.",
  ),
};

/** Where applications and functions connect: SASL PLAIN users from the router's database. */
export const ClientListener = z.strictObject({
  ...listenerFields,
  saslMechanisms: z._default(z.array(SaslMechanism).check(z.minLength(1)), ["PLAIN"]),
  authenticatePeer: z._default(z.boolean(), true),
});
export type ClientListener = z.infer<typeof ClientListener>;

/**
 * Where other routers connect. With a tlsProfile the defaults are mutual TLS with the peer
 * named by its certificate (EXTERNAL, authenticatePeer); without one there is nothing to
 * authenticate with, so the defaults are ANONYMOUS — which validation refuses on any host
 * but loopback (topology/unauthenticated-router-listener).
 */
export const RouterListener = z.pipe(
  z.strictObject({
    ...listenerFields,
    saslMechanisms: described(
      z.optional(z.array(SaslMechanism).check(z.minLength(1))),
      "Default: [EXTERNAL] with a tlsProfile, else [ANONYMOUS].",
    ),
    authenticatePeer: described(
      z.optional(z.boolean()),
      "Default: true with a tlsProfile, else false.",
    ),
  }),
  z.transform((listener) => {
    const tls = listener.tlsProfile !== undefined;
    return {
      ...listener,
      saslMechanisms:
        listener.saslMechanisms ?? (tls ? ["EXTERNAL" as const] : ["ANONYMOUS" as const]),
      authenticatePeer: listener.authenticatePeer ?? tls,
    };
  }),
);
export type RouterListener = z.infer<typeof RouterListener>;

export type Listener = ClientListener | RouterListener;

export const Router = z.strictObject({
  id: name(),
  environment: name(),
  mode: z.enum(["interior", "edge"]),
  host: described(nonEmpty(), "Host name peers and clients use to reach the router."),
  listeners: z.strictObject({
    clients: described(ClientListener, "Where applications and functions connect."),
    interRouter: described(
      z.optional(RouterListener),
      "Interior routers only: where other interiors connect.",
    ),
    edge: described(
      z.optional(RouterListener),
      "Interior routers only: where edge routers connect.",
    ),
  }),
  uplinks: described(
    z._default(z.array(name()), []),
    "Edge routers only: the interior routers they connect to, first is preferred.",
  ),
});
export type Router = z.infer<typeof Router>;

export const Link = z.strictObject({
  from: described(name(), "Router that opens the connection."),
  to: described(name(), "Router whose inter-router listener accepts it."),
  cost: z._default(z.int().check(z.minimum(1)), 1),
  tlsProfile: z.optional(name()),
});
export type Link = z.infer<typeof Link>;

export const Broker = z.strictObject({
  name: name(),
  environment: name(),
  host: nonEmpty(),
  port: z._default(port(), 5672),
  flavour: z.enum(["rabbitmq", "artemis", "azure-service-bus", "amazon-mq", "qpid-broker-j"]),
  containerId: described(z.optional(nonEmpty()), "AMQP container id the broker announces."),
  tlsProfile: z.optional(name()),
  sasl: z.optional(
    z.strictObject({
      mechanism: z._default(SaslMechanism, "PLAIN"),
      username: nonEmpty(),
      password: SecretRef,
    }),
  ),
});
export type Broker = z.infer<typeof Broker>;

export const Topology = z.strictObject({
  flavour: z._default(RouterFlavour, "qpid-dispatch"),
  sasl: z._default(
    z.strictObject({
      configDir: described(
        z.optional(nonEmpty()),
        "Directory on the routers holding the Cyrus SASL config amqp-mesh.conf (router saslConfigDir).",
      ),
      database: described(
        z.optional(nonEmpty()),
        "Cyrus SASL database (sasldb, made with saslpasswd2) on the routers with the PLAIN users.",
      ),
    }),
    {},
  ),
  environments: z.array(Environment).check(z.minLength(1)),
  tlsProfiles: z._default(z.array(TlsProfile), []),
  routers: z.array(Router).check(z.minLength(1)),
  links: z._default(z.array(Link), []),
  brokers: z._default(z.array(Broker), []),
});
export type Topology = z.infer<typeof Topology>;
export type TopologyInput = z.input<typeof Topology>;
