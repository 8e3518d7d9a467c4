import type { Diagnostic } from "../../diagnostics.ts";
import type { ChannelRegistry } from "../model.ts";
import { isReservedAddress, isReservedName, PLATFORM_NAMESPACE } from "../reserved.ts";
import type { RegistryPlaces } from "./place.ts";

/** No team takes a name or an address in the platform's namespace (reserved.ts). */
export function checkReservedNames(
  registry: ChannelRegistry,
  places: RegistryPlaces,
): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const team of registry.teams) {
    if (isReservedName(team.team))
      diagnostics.push(
        places.atTeam(team, ["team"], {
          code: "registry/reserved-name",
          message: `team name '${team.team}' is in the platform's namespace '${PLATFORM_NAMESPACE}'`,
          hint: "names starting with 'amqp-mesh' belong to the platform (config-sync, the verify probe): choose another",
        }),
      );
    for (const [index, principal] of team.principals.entries())
      if (isReservedName(principal))
        diagnostics.push(
          places.atTeam(team, ["principals", index], {
            code: "registry/reserved-name",
            message: `principal '${principal}' is in the platform's namespace '${PLATFORM_NAMESPACE}'`,
            hint: "principals starting with 'amqp-mesh' belong to the platform (config-sync, the verify probe): choose another",
          }),
        );
  }
  for (const channel of registry.channels)
    if (isReservedAddress(channel.address))
      diagnostics.push(
        places.atChannel(channel, ["address"], {
          code: "registry/reserved-address",
          message: `address '${channel.address}' is in the platform's namespace '${PLATFORM_NAMESPACE}'`,
          hint: `addresses under '${PLATFORM_NAMESPACE}/' belong to the platform (the verify probe): start the address with your team's name`,
        }),
      );
  return diagnostics;
}
