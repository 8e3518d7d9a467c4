/** The console of a local platform (`up`): its routers, read as its own config-sync login. */
import type { LocalPlatform } from "../local-platform.ts";
import { SYNC_PRINCIPAL } from "../local-platform.ts";
import { desiredConfigsOf } from "../observe-project.ts";
import { type RunningConsole, startConsole } from "./server.ts";

export function startPlatformConsole(
  platform: Pick<LocalPlatform, "project" | "routers" | "users">,
  log: (line: string) => void = console.error,
): Promise<RunningConsole> {
  const password = platform.users.get(SYNC_PRINCIPAL) ?? "";
  const routers = platform.routers.routers.map((r) => ({
    id: r.id,
    url: r.url,
    sasl: { mechanism: "PLAIN" as const, username: SYNC_PRINCIPAL, password },
  }));
  return startConsole({
    project: platform.project,
    routers,
    desired: desiredConfigsOf(platform.project, routers),
    log,
  });
}
