/**
 * `amqp-mesh infra plan <dir> [--cloud aws|azure] [--json]`: every resource the Pulumi
 * programs declare for the project, from a run under Pulumi's mocks (no CLI, no cloud, no
 * credentials). The infra modules are imported when the command runs, not with the CLI: the
 * bridge image installs without the Pulumi packages (devDependencies).
 */
import type { CommandArgs, CommandOptions } from "../args.ts";
import { defineCommand } from "../command.ts";
import { projectDir } from "../project-dir.ts";
import { UsageError } from "../usage.ts";

const CLOUDS = ["aws", "azure"] as const;

/** Kept out of the CLI's static imports: a path, not a literal, so bundlers leave it alone. */
const PLAN_MODULE = "../../infra/plan.ts";
const SUMMARY_MODULE = "../../infra/plan-summary.ts";

const options = {
  cloud: { type: "string", value: "<aws|azure>", help: "only the environments of this cloud" },
  json: {
    type: "boolean",
    help: "every resource as JSON: environment, cloud, type, name, properties",
  },
} as const satisfies CommandOptions;

export const infraCommand = defineCommand({
  name: "infra",
  summary: "plan: every cloud resource the Pulumi programs declare for a project",
  args: "plan <dir>",
  description:
    "Every resource the Pulumi programs (infra/) declare for <dir>'s cloud environments, one\n" +
    "stack per environment: type, name and key properties (ports, images, subnets, rules),\n" +
    "from a run under Pulumi's mocks — no Pulumi CLI, cloud or credentials. Exit 1 invalid project.",
  options,
  examples: ["infra plan examples", "infra plan examples --cloud aws --json"],
  run: runInfra,
});

async function runInfra(args: CommandArgs<typeof options>): Promise<number> {
  const [subcommand, ...positionals] = args.positionals;
  if (subcommand !== "plan") throw new UsageError("infra takes a subcommand: infra plan <dir>");
  if (positionals.length > 1) throw new UsageError("infra plan takes one <dir>");
  const dir = await projectDir(positionals[0]);
  const cloud = args.values.cloud;
  if (cloud !== undefined && !(CLOUDS as readonly unknown[]).includes(cloud))
    throw new UsageError(`--cloud must be one of ${CLOUDS.join(", ")}`);

  const { planInfra } = (await import(PLAN_MODULE)) as typeof import("../../infra/plan.ts");
  const { keyProperties } = (await import(
    SUMMARY_MODULE
  )) as typeof import("../../infra/plan-summary.ts");
  const plan = await planInfra(dir, cloud === undefined ? {} : { cloud: cloud as "aws" | "azure" });
  const resources = plan.resources.map((r) => ({
    environment: r.environment,
    cloud: r.cloud,
    type: r.type,
    name: r.name,
    properties: keyProperties(r),
  }));
  if (args.values.json === true) {
    console.log(
      JSON.stringify(
        { project: plan.project, environments: plan.environments, resources },
        null,
        2,
      ),
    );
    return 0;
  }
  for (const environment of plan.environments) {
    const mine = resources.filter((r) => r.environment === environment.name);
    console.log(
      `${environment.name} (${environment.cloud} ${environment.region}, stack ${environment.name}): ${mine.length} resources`,
    );
    for (const warning of environment.warnings) console.log(`  warning: ${warning}`);
    for (const r of mine) {
      const properties =
        Object.keys(r.properties).length === 0 ? "" : ` ${JSON.stringify(r.properties)}`;
      console.log(`  ${r.type}  ${r.name}${properties}`);
    }
  }
  if (plan.environments.length === 0)
    console.log(`${dir}: no ${cloud ?? "cloud"} environment in the topology: nothing to deploy`);
  return 0;
}
