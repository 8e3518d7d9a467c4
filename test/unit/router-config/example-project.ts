import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { LineCounter, parse, parseDocument, YAMLSeq } from "yaml";
import type { ChannelRegistry, RegisteredChannel } from "../../../shared/registry/model.ts";
import { TeamDocument } from "../../../shared/registry/schema.ts";
import { Topology } from "../../../shared/topology/index.ts";

/**
 * The example project, read straight from YAML with the zod schemas. The tests use this
 * small loader instead of the registry/topology loaders so they only depend on the formats.
 */
export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const EXAMPLES_DIR = join(REPO_ROOT, "examples");

export function loadExampleTopology(): Topology {
  return Topology.parse(parse(readFileSync(join(EXAMPLES_DIR, "topology.yaml"), "utf8")));
}

export function loadExampleRegistry(): ChannelRegistry {
  const dir = join(EXAMPLES_DIR, "registry");
  const registry: ChannelRegistry = { teams: [], channels: [] };
  for (const fileName of readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .sort()) {
    const path = join(dir, fileName);
    const file = relative(REPO_ROOT, path);
    const text = readFileSync(path, "utf8");
    const lineCounter = new LineCounter();
    const document = parseDocument(text, { lineCounter });
    const team = TeamDocument.parse(document.toJS());
    registry.teams.push({ ...team, file });
    const nodes = document.get("channels");
    team.channels.forEach((channel, index) => {
      const node = nodes instanceof YAMLSeq ? nodes.items[index] : undefined;
      const offset = (node as { range?: [number, number, number] } | undefined)?.range?.[0] ?? 0;
      const { line, col } = lineCounter.linePos(offset);
      const registered: RegisteredChannel = {
        ...channel,
        owner: team.team,
        source: { file, line, column: col },
      };
      registry.channels.push(registered);
    });
  }
  return registry;
}
