/** Each router's deployed config text, generated once per set of peer hosts rather than once per router. */
import type * as pulumi from "@pulumi/pulumi";
import { type DeployedEnvironment, deployEnvironment, type Project } from "./project.ts";
import type { StackSettings } from "./settings.ts";

/** `(routerId) => its config text` once the other environments' hosts are known. */
export function routerConfigTexts(
  project: Project,
  deployed: DeployedEnvironment,
  peerHosts: pulumi.Output<Record<string, string>>,
  settings: StackSettings,
): (routerId: string) => pulumi.Output<string> {
  const texts = peerHosts.apply((hosts) => {
    const byRouter = new Map<string, string>();
    for (const r of deployEnvironment(project, deployed.environment, hosts, settings).routers)
      byRouter.set(r.router.id, r.configText);
    return byRouter;
  });
  return (routerId) =>
    texts.apply((byRouter) => {
      const text = byRouter.get(routerId);
      if (text === undefined) throw new Error(`no deployed config for router '${routerId}'`);
      return text;
    });
}
