import type { Diagnostic } from "../../diagnostics.ts";
import { isLoopbackHost } from "../../loopback.ts";
import type { Listener, Topology } from "../schema.ts";
import type { TopologyPlaces } from "./place.ts";

const ROUTER_LISTENERS = ["interRouter", "edge"] as const;

/** A router listener that proves who connects: mutual TLS with the peer's certificate. */
function authenticatesRouters(listener: Listener): boolean {
  return (
    listener.authenticatePeer &&
    listener.tlsProfile !== undefined &&
    listener.saslMechanisms.includes("EXTERNAL")
  );
}

/**
 * Secure by default: anyone who reaches an unauthenticated inter-router or edge listener
 * joins the mesh as a router, past every policy, and a PLAIN password sent without TLS can
 * be read on the wire. Both are errors on a host other than loopback; `insecure: true` on
 * the listener (a local network of containers) makes them warnings.
 */
export function checkListenerSecurity(topology: Topology, places: TopologyPlaces): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const [index, router] of topology.routers.entries()) {
    const kinds = ["clients", ...ROUTER_LISTENERS] as const;
    for (const kind of kinds) {
      const listener = router.listeners[kind];
      if (listener === undefined) continue;
      const path = ["routers", index, "listeners", kind];
      const where = `the ${kind} listener of router '${router.id}' (${listener.host}:${listener.port})`;
      const exposed = !isLoopbackHost(listener.host);
      const severity = listener.insecure === true ? "warning" : "error";
      if (listener.saslMechanisms.includes("EXTERNAL") && listener.tlsProfile === undefined) {
        diagnostics.push(
          places.at([...path, "saslMechanisms"], {
            code: "topology/external-without-tls",
            message: `${where} offers EXTERNAL but has no tlsProfile: EXTERNAL names the peer by its TLS certificate`,
            hint: "give the listener a tlsProfile (mutual TLS), or drop EXTERNAL",
          }),
        );
      }
      if (kind !== "clients") {
        if (exposed && !authenticatesRouters(listener)) {
          diagnostics.push({
            ...places.at(path, {
              code: "topology/unauthenticated-router-listener",
              message: `${where} lets routers in without mutual TLS: anyone who reaches it joins the mesh as a router, past every policy`,
              hint: "set tlsProfile and keep saslMechanisms [EXTERNAL] and authenticatePeer: true (the defaults); for a local network only, insecure: true",
            }),
            severity,
          });
        }
        continue;
      }
      if (
        exposed &&
        listener.saslMechanisms.includes("PLAIN") &&
        listener.tlsProfile === undefined
      ) {
        diagnostics.push({
          ...places.at([...path, "saslMechanisms"], {
            code: "topology/plain-without-tls",
            message: `${where} takes PLAIN passwords without TLS on a host other than loopback: they can be read on the wire`,
            hint: "give the listener a tlsProfile; for a local network only, insecure: true",
          }),
          severity,
        });
      }
      if (exposed && !listener.authenticatePeer) {
        diagnostics.push({
          ...places.at([...path, "authenticatePeer"], {
            code: "topology/unauthenticated-clients",
            message: `${where} lets clients in without authentication (the routers' vhost policy still refuses unknown users)`,
            hint: "keep authenticatePeer: true (the default)",
          }),
          severity: "warning",
        });
      }
    }
  }
  return diagnostics;
}

/**
 * PLAIN on a deployed router needs a user database, named by topology `sasl`. A mesh on
 * loopback only is a local one: `amqp-mesh up` gives it a database of its own.
 */
export function checkSaslDatabase(topology: Topology, places: TopologyPlaces): Diagnostic[] {
  const offersPlain = topology.routers.findIndex(
    (r) =>
      r.listeners.clients.saslMechanisms.includes("PLAIN") &&
      !isLoopbackHost(r.listeners.clients.host),
  );
  if (offersPlain < 0 || topology.sasl.database !== undefined) return [];
  return [
    {
      ...places.at(["routers", offersPlain, "listeners", "clients", "saslMechanisms"], {
        code: "topology/no-sasl-database",
        message: `router '${topology.routers[offersPlain]!.id}' takes PLAIN logins but the topology names no SASL user database, so a real router cannot check a password`,
        hint: "set sasl.configDir and sasl.database (a sasldb made with saslpasswd2 on the router)",
      }),
      severity: "warning",
    },
  ];
}
