/** The servers of a team document: every edge router's client listener, with how to log in. */
import type { Router, SaslMechanism, Topology } from "../topology/index.ts";
import type { Reference, SecurityScheme, Server } from "./asyncapi.ts";

/** One security scheme per way a client listener may authenticate (ANONYMOUS has none). */
export const SECURITY_SCHEMES = {
  saslPlainTls: {
    type: "plain",
    description:
      "SASL PLAIN over TLS: a principal's user name and password from the routers' SASL database.",
  },
  saslPlain: {
    type: "plain",
    description:
      "SASL PLAIN without TLS: only on a loopback listener (the local mesh); a deployed listener has TLS.",
  },
  saslExternal: {
    type: "X509",
    description: "SASL EXTERNAL: mutual TLS, the principal is named by its client certificate.",
  },
  saslScramSha256: {
    type: "scramSha256",
    description: "SASL SCRAM-SHA-256 with a principal's user name and password.",
  },
} as const satisfies Record<string, SecurityScheme>;
export type SecuritySchemeName = keyof typeof SECURITY_SCHEMES;

/** The schemes a listener offers, in the listener's order; ANONYMOUS adds none. */
export function listenerSchemes(
  mechanisms: readonly SaslMechanism[],
  tls: boolean,
): SecuritySchemeName[] {
  const names: SecuritySchemeName[] = [];
  for (const mechanism of mechanisms) {
    if (mechanism === "PLAIN") names.push(tls ? "saslPlainTls" : "saslPlain");
    else if (mechanism === "EXTERNAL") names.push("saslExternal");
    else if (mechanism === "SCRAM-SHA-256") names.push("saslScramSha256");
  }
  return [...new Set(names)];
}

/** Edge routers are where applications and functions connect; interiors are the backbone. */
export function edgeRouters(topology: Topology): Router[] {
  return topology.routers.filter((router) => router.mode === "edge");
}

/** The URL a client puts in MESH_URLS for this router. */
export function routerUrl(router: Router): string {
  const tls = router.listeners.clients.tlsProfile !== undefined;
  return `${tls ? "amqps" : "amqp"}://${router.host}:${router.listeners.clients.port}`;
}

export function serverOf(router: Router, topology: Topology): Server {
  const listener = router.listeners.clients;
  const environment = topology.environments.find((e) => e.name === router.environment);
  const tls = listener.tlsProfile !== undefined;
  const schemes = listenerSchemes(listener.saslMechanisms, tls);
  const where = environment
    ? `${environment.name} (${environment.cloud} ${environment.region})`
    : router.environment;
  const anonymous = listener.saslMechanisms.includes("ANONYMOUS");
  return {
    host: `${router.host}:${listener.port}`,
    protocol: "amqp",
    protocolVersion: "1.0",
    title: router.id,
    summary: `Edge router of ${where}${tls ? ", TLS" : ", no TLS"}${anonymous ? ", anonymous clients accepted" : ""}.`,
    tags: [
      { name: `environment:${router.environment}` },
      ...(environment
        ? [{ name: `cloud:${environment.cloud}` }, { name: `region:${environment.region}` }]
        : []),
    ],
    security: schemes.map((name): Reference => ({ $ref: `#/components/securitySchemes/${name}` })),
    bindings: {
      amqp1: {
        "x-amqp-mesh-url": routerUrl(router),
        "x-amqp-mesh-environment": router.environment,
        "x-amqp-mesh-tls": tls,
        "x-amqp-mesh-sasl-mechanisms": [...listener.saslMechanisms],
      },
    },
  };
}

/** Servers keyed by router id, and the security schemes they reference. */
export function serversOf(topology: Topology): {
  servers: Record<string, Server>;
  securitySchemes: Partial<Record<SecuritySchemeName, SecurityScheme>>;
} {
  const servers: Record<string, Server> = {};
  const securitySchemes: Partial<Record<SecuritySchemeName, SecurityScheme>> = {};
  for (const router of edgeRouters(topology)) {
    servers[router.id] = serverOf(router, topology);
    const listener = router.listeners.clients;
    for (const name of listenerSchemes(listener.saslMechanisms, listener.tlsProfile !== undefined))
      securitySchemes[name] = SECURITY_SCHEMES[name];
  }
  return { servers, securitySchemes };
}
