import type { Diagnostic } from "../diagnostics.ts";
import type { Topology } from "../topology/schema.ts";
import type { ChannelRegistry } from "./model.ts";
import { checkAddressOverlaps, checkDuplicateTeams } from "./rules/addresses.ts";
import { checkMulticastDelivery, checkParties } from "./rules/delivery.ts";
import { checkPayloadSchemas } from "./rules/payload-schemas.ts";
import { RegistryPlaces } from "./rules/place.ts";
import {
  checkDeadLetters,
  checkPartyReferences,
  checkTopologyReferences,
} from "./rules/references.ts";

/**
 * Runs every registry rule and returns all findings. Rules that need the topology (brokers,
 * environments) run only when it is given.
 */
export function validateRegistry(registry: ChannelRegistry, topology?: Topology): Diagnostic[] {
  const places = new RegistryPlaces(registry);
  return [
    ...checkDuplicateTeams(registry, places),
    ...checkAddressOverlaps(registry, places),
    ...checkMulticastDelivery(registry, places),
    ...checkPartyReferences(registry, places),
    ...checkDeadLetters(registry, places),
    ...checkPayloadSchemas(registry, places),
    ...checkParties(registry, places),
    ...(topology ? checkTopologyReferences(registry, topology, places) : []),
  ];
}
