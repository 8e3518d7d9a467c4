/**
 * config-sync's gate (shared/sync/gate.ts) on its own, over snapshots of the example project
 * held in memory: an invalid registry is refused with its file and position, a breaking
 * payload-schema change is refused unless the channel's version was raised, and a refusal
 * leaves the last good registry standing — the next upload is judged against it, and its
 * router configs are the same as before.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import {
  checkRegistry,
  configDigest,
  DesiredConfigs,
  type LoadedProject,
  loadSnapshot,
  makeSnapshot,
} from "../../../shared/sync/index.ts";

type Files = Map<string, string>;
let example: Files;

beforeAll(async () => {
  example = new Map([["topology.yaml", await readFile("examples/topology.yaml", "utf8")]]);
  for (const name of await readdir("examples/registry", { recursive: true })) {
    const path = `registry/${name.split("\\").join("/")}`;
    if (/\.(ya?ml|json)$/.test(name))
      example.set(path, await readFile(join("examples/registry", name), "utf8"));
  }
});

function load(files: Files): Promise<LoadedProject> {
  return loadSnapshot(
    makeSnapshot(
      [...files].map(([path, content]) => ({ path, content })),
      "mem://registry/",
    ),
  );
}

interface ChannelDoc {
  address: string;
  version?: number;
  schema: { required: string[] };
}

/** The example with sales/orders' schema requiring `currency` too (breaking for producers). */
function ordersRequireCurrency(version: number | undefined): Files {
  const doc = parse(example.get("registry/sales.yaml") as string) as { channels: ChannelDoc[] };
  const orders = doc.channels.find((c) => c.address === "sales/orders") as ChannelDoc;
  orders.schema.required = [...orders.schema.required, "currency"];
  if (version !== undefined) orders.version = version;
  return new Map(example).set("registry/sales.yaml", stringify(doc));
}

const PRINCIPALS = ["config-sync"];

describe("config-sync's gate", () => {
  it("accepts the example project on a first run, with a note that nothing could be compared", async () => {
    const verdict = checkRegistry(await load(example), undefined, PRINCIPALS);
    expect(verdict.accepted, JSON.stringify(verdict)).toBe(true);
    if (!verdict.accepted) return;
    expect(verdict.notes.join("\n")).toMatch(/no last good registry/);
    expect(verdict.project.registry.channels.map((c) => c.address)).toContain("sales/orders");
  });

  it("refuses an invalid registry as 'invalid', each problem with its file and position", async () => {
    const lastGood = await load(example);
    const broken = new Map(example).set("registry/broken.yaml", "team: [unclosed\n");
    const verdict = checkRegistry(await load(broken), lastGood, PRINCIPALS);
    expect(verdict.accepted).toBe(false);
    if (verdict.accepted) return;
    expect(verdict.reason).toBe("invalid");
    expect(verdict.problems.join("\n")).toMatch(
      /mem:\/\/registry\/registry\/broken\.yaml:\d+:\d+: error/,
    );
    expect(verdict).not.toHaveProperty("project");
  });

  it("refuses a registry without its topology as 'invalid' too", async () => {
    const noTopology = new Map(example);
    noTopology.delete("topology.yaml");
    const verdict = checkRegistry(await load(noTopology), undefined, PRINCIPALS);
    expect(verdict).toMatchObject({ accepted: false, reason: "invalid" });
  });

  it("refuses a breaking schema change whose channel version was not raised, naming channel, version and pointer", async () => {
    const lastGood = await load(example);
    const verdict = checkRegistry(
      await load(ordersRequireCurrency(undefined)),
      lastGood,
      PRINCIPALS,
    );
    expect(verdict.accepted).toBe(false);
    if (verdict.accepted) return;
    expect(verdict.reason).toBe("breaking");
    expect(verdict.problems).toHaveLength(1);
    expect(verdict.problems[0]).toMatch(
      /^sales\/orders \(sales\): breaking change without a raised channel version \(still 1\) — .*\/required.*raise the channel's version/,
    );
    expect(verdict.breaking.map((c) => [c.address, c.allowed])).toEqual([["sales/orders", false]]);
  });

  it("allows the same change with the channel's version raised, reporting it as an allowed breaking change", async () => {
    const lastGood = await load(example);
    const verdict = checkRegistry(await load(ordersRequireCurrency(2)), lastGood, PRINCIPALS);
    expect(verdict.accepted, JSON.stringify(verdict)).toBe(true);
    if (!verdict.accepted) return;
    expect(verdict.breaking.map((c) => [c.address, c.allowed])).toEqual([["sales/orders", true]]);
  });

  it("a refusal keeps the last good state: the next upload is judged against it, and its router configs are unchanged", async () => {
    const lastGood = await load(example);
    const first = checkRegistry(lastGood, undefined, PRINCIPALS);
    if (!first.accepted) throw new Error("the example must pass the gate");
    const desired = new DesiredConfigs(first.project, { managementPrincipals: PRINCIPALS });
    const before = desired.forRouter("aws-eu-interior-1", first.project.topology.flavour);
    if (!("config" in before)) throw new Error(before.problem);
    const digestBefore = configDigest(before.config);

    const refused = checkRegistry(
      await load(ordersRequireCurrency(undefined)),
      lastGood,
      PRINCIPALS,
    );
    expect(refused).toMatchObject({ accepted: false, reason: "breaking" });
    // Uploading the refused registry again changes nothing: still judged against the last good.
    expect(
      checkRegistry(await load(ordersRequireCurrency(undefined)), lastGood, PRINCIPALS),
    ).toMatchObject({ accepted: false, reason: "breaking" });

    const after = new DesiredConfigs(first.project, { managementPrincipals: PRINCIPALS }).forRouter(
      "aws-eu-interior-1",
      first.project.topology.flavour,
    );
    if (!("config" in after)) throw new Error(after.problem);
    expect(configDigest(after.config)).toBe(digestBefore);
    expect(after.config.entities.some((e) => JSON.stringify(e).includes("sales/orders"))).toBe(
      true,
    );
    // The last good itself passes against itself: nothing breaking, accepted.
    expect(checkRegistry(lastGood, lastGood, PRINCIPALS)).toMatchObject({
      accepted: true,
      breaking: [],
    });
  });
});
