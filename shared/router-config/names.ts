import { OWNED_NAME_PREFIX } from "./model.ts";

/**
 * Stable names of generated entities. Every one starts with OWNED_NAME_PREFIX so that
 * config-sync can tell its entities from those an operator added by hand, and is derived
 * from the input only (never from order or time) so that diffs stay minimal.
 */
export const generatedName = {
  sslProfile: (profile: string) => `${OWNED_NAME_PREFIX}tls/${profile}`,
  listener: (role: "clients" | "inter-router" | "edge") => `${OWNED_NAME_PREFIX}listener/${role}`,
  interRouterConnector: (toRouter: string) => `${OWNED_NAME_PREFIX}inter-router/${toRouter}`,
  edgeUplink: (interior: string) => `${OWNED_NAME_PREFIX}edge-uplink/${interior}`,
  brokerConnector: (broker: string) => `${OWNED_NAME_PREFIX}broker/${broker}`,
  vhost: (hostname: string) => `${OWNED_NAME_PREFIX}vhost/${hostname}`,
  address: (prefix: string) => `${OWNED_NAME_PREFIX}address/${prefix}`,
  linkRoute: (prefix: string, direction: "in" | "out") =>
    `${OWNED_NAME_PREFIX}linkRoute/${prefix}/${direction}`,
  autoLink: (address: string, direction: "in" | "out") =>
    `${OWNED_NAME_PREFIX}autoLink/${address}/${direction}`,
};

/** A vhost user-group name: lower-case letters, digits and '-', never empty. */
export function groupNameFrom(text: string): string {
  const cleaned = text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "");
  return cleaned === "" ? "group" : cleaned;
}

/** Where a secret referenced as a file (cert, key) is expected inside a router's container. */
export function secretFilePath(profile: string, field: string): string {
  return `/run/secrets/amqp-mesh/${profile}-${field}.pem`;
}
