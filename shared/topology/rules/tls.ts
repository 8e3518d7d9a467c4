import type { Diagnostic } from "../../diagnostics.ts";
import { didYouMean } from "../../yaml/suggest.ts";
import type { Topology } from "../schema.ts";
import type { TopologyPlaces } from "./place.ts";

/** Listeners, links and brokers name TLS profiles that exist. */
export function checkTlsProfileReferences(
  topology: Topology,
  places: TopologyPlaces,
): Diagnostic[] {
  const known = topology.tlsProfiles.map((p) => p.name);
  const uses: { path: (string | number)[]; owner: string; profile: string | undefined }[] = [
    ...topology.routers.flatMap((router, index) =>
      (["clients", "interRouter", "edge"] as const).map((kind) => ({
        path: ["routers", index, "listeners", kind, "tlsProfile"],
        owner: `${kind} listener of router '${router.id}'`,
        profile: router.listeners[kind]?.tlsProfile,
      })),
    ),
    ...topology.links.map((link, index) => ({
      path: ["links", index, "tlsProfile"],
      owner: `link from '${link.from}' to '${link.to}'`,
      profile: link.tlsProfile,
    })),
    ...topology.brokers.map((broker, index) => ({
      path: ["brokers", index, "tlsProfile"],
      owner: `broker '${broker.name}'`,
      profile: broker.tlsProfile,
    })),
  ];
  return uses.flatMap(({ path, owner, profile }) => {
    if (profile === undefined || known.includes(profile)) return [];
    return [
      places.at(path, {
        code: "topology/unknown-tls-profile",
        message: `TLS profile '${profile}' of the ${owner} is not declared${didYouMean(profile, known)}`,
        hint: `use one of: ${known.join(", ") || "(none declared)"}, or declare '${profile}' under tlsProfiles:`,
      }),
    ];
  });
}
