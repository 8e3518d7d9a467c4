/**
 * A project and its routers, ready to observe: what `status`, `console` and `verify` share.
 * The desired configs for drift are generated as `up` and `sync` generate them (the
 * management login may use `$management`).
 */
import {
  MeshObserver,
  type MeshObserverOptions,
  type ObservedRouter,
} from "../shared/observe/index.ts";
import { DesiredConfigs } from "../shared/sync/index.ts";
import type { CommandArgs } from "./args.ts";
import { loadValidProject, type ValidProject } from "./load-project.ts";
import { SYNC_PRINCIPAL } from "./local/platform.ts";
import { type MESH_OPTIONS, observedRouters } from "./mesh-target.ts";
import { projectDir } from "./project-dir.ts";

export interface ObservedProject {
  project: ValidProject;
  routers: ObservedRouter[];
  desired: DesiredConfigs;
  observer: MeshObserver;
}

/** The desired configs of the project's routers, for drift (the login's principal may manage). */
export function desiredConfigsOf(
  project: ValidProject,
  routers: readonly ObservedRouter[],
): DesiredConfigs {
  // As `sync` generates them: the login's principal may manage (the local platform's by default).
  const principals = new Set<string>();
  for (const r of routers) if (r.sasl?.username !== undefined) principals.add(r.sasl.username);
  if (principals.size === 0) principals.add(SYNC_PRINCIPAL);
  return new DesiredConfigs(
    {
      digest: "observed",
      source: project.dir,
      registry: project.registry,
      topology: project.topology,
    },
    { managementPrincipals: [...principals] },
  );
}

/** Undefined when the project is invalid (its problems were printed). */
export async function observeProject(
  args: CommandArgs<typeof MESH_OPTIONS>,
  dirArg: string | undefined,
  options: Partial<MeshObserverOptions> = {},
): Promise<ObservedProject | undefined> {
  const dir = await projectDir(dirArg ?? "examples");
  const project = await loadValidProject(dir);
  if (project === undefined) return undefined;
  const routers = await observedRouters(args, dir, project.topology);
  const desired = desiredConfigsOf(project, routers);
  const observer = new MeshObserver({
    project: { registry: project.registry, topology: project.topology },
    routers,
    desired,
    ...options,
  });
  return { project, routers, desired, observer };
}
