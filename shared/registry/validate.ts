import type { Diagnostic } from "../diagnostics.ts";
import type { Topology } from "../topology/schema.ts";
import type { ChannelRegistry } from "./model.ts";
import { checkAddressOverlaps, checkDuplicateTeams } from "./rules/addresses.ts";
import { checkBrokerMulticast, checkMulticastDelivery, checkParties } from "./rules/delivery.ts";
import {
  checkForeignNamespaces,
  checkNameCollisions,
  checkOwnerChanges,
  checkQueueOwnership,
  registryOwners,
} from "./rules/ownership.ts";
import { checkPayloadSchemas } from "./rules/payload-schemas.ts";
import { RegistryPlaces } from "./rules/place.ts";
import {
  checkDeadLetters,
  checkPartyReferences,
  checkTopologyReferences,
} from "./rules/references.ts";
import { checkReservedNames } from "./rules/reserved.ts";

export interface RegistryValidationOptions {
  /**
   * The last good registry (config-sync's gate): conflicts between teams are reported on the
   * document that introduced them, and a name, address or queue that moves to another team in
   * one change is refused. Without it, a conflict is reported on both documents.
   */
  lastGood?: ChannelRegistry;
}

/** The codes of the rules across team documents (the ones the last good registry changes). */
export const CROSS_TEAM_CODES: ReadonlySet<string> = new Set([
  "registry/duplicate-team",
  "registry/duplicate-address",
  "registry/prefix-overlap",
  "registry/name-collision",
  "registry/duplicate-principal",
  "registry/queue-taken",
  "registry/foreign-namespace",
  "registry/owner-changed",
]);

/**
 * The rules across team documents: names, addresses and queues belong to one team each.
 * Every finding has a code in CROSS_TEAM_CODES.
 */
export function crossTeamDiagnostics(
  registry: ChannelRegistry,
  options: RegistryValidationOptions = {},
): Diagnostic[] {
  const places = new RegistryPlaces(registry);
  const lastGood = options.lastGood === undefined ? undefined : registryOwners(options.lastGood);
  return [
    ...checkDuplicateTeams(registry, places, lastGood),
    ...checkNameCollisions(registry, places, lastGood),
    ...checkAddressOverlaps(registry, places, lastGood),
    ...checkQueueOwnership(registry, places, lastGood),
    ...checkForeignNamespaces(registry, places, lastGood),
    ...(lastGood ? checkOwnerChanges(registry, places, lastGood) : []),
  ];
}

/**
 * Runs every registry rule and returns all findings. Rules that need the topology (brokers,
 * environments) run only when it is given.
 */
export function validateRegistry(
  registry: ChannelRegistry,
  topology?: Topology,
  options: RegistryValidationOptions = {},
): Diagnostic[] {
  const places = new RegistryPlaces(registry);
  return [
    ...crossTeamDiagnostics(registry, options),
    ...checkMulticastDelivery(registry, places),
    ...checkBrokerMulticast(registry, places),
    ...checkPartyReferences(registry, places),
    ...checkDeadLetters(registry, places),
    ...checkPayloadSchemas(registry, places),
    ...checkParties(registry, places),
    ...checkReservedNames(registry, places),
    ...(topology ? checkTopologyReferences(registry, topology, places) : []),
  ];
}
