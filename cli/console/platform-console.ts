/**
 * The console of a local platform (`up`): its routers, read as its own config-sync login; its
 * catalog kept in `<out>/catalog/`. `setProject` follows each registry config-sync accepted.
 */
import type { ValidProject } from "../load-project.ts";
import type { LocalPlatform } from "../local/platform.ts";
import { SYNC_PRINCIPAL } from "../local/platform.ts";
import { desiredConfigsOf } from "../observe-project.ts";
import { type RunningConsole, startConsole } from "./server.ts";

export interface PlatformConsole extends RunningConsole {
  /** The registry config-sync accepted: channels, drift and catalog follow it. */
  follow(project: ValidProject): Promise<void>;
}

export async function startPlatformConsole(
  platform: Pick<LocalPlatform, "project" | "routers" | "users">,
  options: { catalogDir?: string; log?: (line: string) => void } = {},
): Promise<PlatformConsole> {
  const password = platform.users.get(SYNC_PRINCIPAL) ?? "";
  const routers = platform.routers.routers.map((r) => ({
    id: r.id,
    url: r.url,
    sasl: { mechanism: "PLAIN" as const, username: SYNC_PRINCIPAL, password },
  }));
  const running = await startConsole({
    project: platform.project,
    routers,
    desired: desiredConfigsOf(platform.project, routers),
    log: options.log ?? console.error,
    ...(options.catalogDir === undefined ? {} : { catalogDir: options.catalogDir }),
  });
  return Object.assign(running, {
    follow: (project: ValidProject) =>
      running.setProject(project, desiredConfigsOf(project, routers)),
  });
}
