/**
 * The platform's own namespace. Its names and addresses start with `amqp-mesh`: the
 * generated entities (`amqp-mesh/…`), config-sync's login, and the probe channel `verify`
 * publishes on with its own principal. No team may declare a name or an address in it, so
 * the probe's grant reaches no team's channel and no team's principal reaches the probe.
 */
export const PLATFORM_NAMESPACE = "amqp-mesh";

/** The principal `amqp-mesh verify` logs in as: it may send to and receive from the probe channel only. */
export const PROBE_PRINCIPAL = "amqp-mesh-probe";

/** The probe channel: `verify` publishes on `amqp-mesh/probe/<to-environment>/<run>`. */
export const PROBE_ADDRESS = "amqp-mesh/probe";

/** `amqp-mesh`, or `amqp-mesh-…` / `amqp-mesh_…` / `amqp-mesh@…`, case folded. */
export function isReservedName(name: string): boolean {
  const folded = name.toLowerCase();
  return folded === PLATFORM_NAMESPACE || /^amqp-mesh[-_@]/.test(folded);
}

/** An address whose first segment (split at `/` or `.`) is `amqp-mesh`, case folded. */
export function isReservedAddress(address: string): boolean {
  const first = address.split(/[./]/).find((s) => s !== "");
  return first?.toLowerCase() === PLATFORM_NAMESPACE;
}
