/**
 * Incremental validation over random projects and random edits: a loader that keeps each
 * file's results (warm, as in a warm function) gives, for every version, exactly what a fresh
 * loader gives (cold), and the last version exactly what `amqp-mesh validate` gives for the
 * same files in a folder (validateProject, reading the disk). The projects mix valid and
 * broken documents: YAML syntax errors, unknown fields and values, overlapping and duplicate
 * addresses across teams, unknown parties, payload schemas inline and in files (present,
 * missing, not JSON, not valid JSON Schema), a schemaFile pointing at another project file.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { validateProject } from "../../../shared/registry/index.ts";
import {
  type LoadedProject,
  makeSnapshot,
  type ProjectFile,
  ProjectLoader,
} from "../../../shared/sync/index.ts";

const TOPOLOGY = stringify({
  flavour: "qpid-dispatch",
  environments: [{ name: "env-a", cloud: "local", region: "here" }],
  routers: [
    {
      id: "int-a1",
      environment: "env-a",
      mode: "interior",
      host: "127.0.0.1",
      listeners: { clients: { port: 20001 } },
    },
  ],
  brokers: [{ name: "rabbit", environment: "env-a", host: "127.0.0.1", flavour: "rabbitmq" }],
});

const teamNames = ["sales", "billing", "ops"];
const parties = [...teamNames, "sales-api", "nobody", "billing-worker"];

const address = fc
  .array(fc.constantFrom("sales", "orders", "billing", "x"), { minLength: 1, maxLength: 3 })
  .chain((parts) => fc.constantFrom(parts.join("/"), parts.join("."), `${parts.join("/")}.dead`));

const schema = fc.oneof(
  fc.constant({ type: "object", required: ["id"], properties: { id: { type: "string" } } }),
  fc.constant({ type: "object", requried: ["id"] }),
  fc.constant({ type: "string", maxLength: 10 }),
);

const channel = fc.record(
  {
    address,
    description: fc.constant("A channel."),
    distribution: fc.constantFrom("balanced", "closest", "multicast", "everywhere"),
    delivery: fc.constantFrom("at-least-once", "at-most-once"),
    producers: fc.subarray(parties),
    consumers: fc.subarray(parties),
    schema,
    schemaFile: fc.constantFrom(
      "schemas/a.json",
      "schemas/b.json",
      "schemas/missing.json",
      "../topology.yaml",
      "schemas",
    ),
    deadLetter: address,
    routing: fc.constant({ kind: "broker", broker: "rabbit" }),
    version: fc.integer({ min: 0, max: 3 }),
    colour: fc.constant("blue"),
  },
  { requiredKeys: ["address", "description", "producers", "consumers"] },
);

const teamDocument = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .record({
        team: fc.constantFrom(...teamNames),
        principals: fc.subarray(["sales-api", "billing-worker", "ops-bot"]),
        channels: fc.array(channel, { maxLength: 4 }),
      })
      .map((doc) => stringify(doc)),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      "team: [sales\n",
      "",
      "- a\n- b\n",
      "team: sales\nteam: billing\nchannels: []\n",
      "team: Bad Name\nchannels:\n  - address: sales/x\n",
    ),
  },
);

const schemaFileText = fc.oneof(
  schema.map((s) => JSON.stringify(s)),
  fc.constantFrom("{ not json", "[1, 2]"),
);

const path = fc.constantFrom(
  "registry/sales.yaml",
  "registry/billing.yaml",
  "registry/ops.yml",
  "registry/more.yaml",
  "registry/schemas/a.json",
  "registry/schemas/b.json",
);

function contentFor(p: string): fc.Arbitrary<string> {
  return p.endsWith(".json") ? schemaFileText : teamDocument;
}

const file = path.chain((p) => contentFor(p).map((content) => ({ path: p, content })));

/** An edit: a file written (new or changed) or removed. */
const edit = fc.oneof(
  { weight: 4, arbitrary: file },
  { weight: 1, arbitrary: path.map((p) => ({ path: p, content: undefined })) },
);

const project = fc.array(file, { maxLength: 6 });

function apply(files: Map<string, string>, change: { path: string; content?: string }): void {
  if (change.content === undefined) files.delete(change.path);
  else files.set(change.path, change.content);
}

/** A loaded project as data (functions, e.g. team.locate, compared by what they answer). */
function comparable(loaded: Pick<LoadedProject, "registry" | "topology" | "diagnostics">) {
  return {
    data: JSON.parse(
      JSON.stringify({
        registry: loaded.registry,
        topology: loaded.topology,
        diagnostics: loaded.diagnostics,
      }),
    ) as unknown,
    places: (loaded.registry?.teams ?? []).map((t) =>
      [["team"], ["channels", 0], ["channels", 1, "address"]].map((p) => t.locate?.(p)),
    ),
  };
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "amqp-mesh-loader-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("ProjectLoader (property)", () => {
  it("warm gives what cold gives, version after version, and what validate gives for a folder", async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        project,
        fc.array(edit, { minLength: 1, maxLength: 6 }),
        async (start, edits) => {
          const root = join(dir, `p${run++}`);
          const source = `${root}/`;
          const files = new Map<string, string>([["topology.yaml", TOPOLOGY]]);
          for (const f of start) apply(files, f);
          const warm = new ProjectLoader();
          const snapshotOf = (): ReturnType<typeof makeSnapshot> =>
            makeSnapshot(
              [...files].map(([p, content]): ProjectFile => ({ path: p, content })),
              source,
            );
          for (const change of [undefined, ...edits]) {
            if (change !== undefined) apply(files, change);
            const snapshot = snapshotOf();
            const cached = await warm.load(snapshot);
            const fresh = await new ProjectLoader().load(snapshot);
            expect(comparable(cached)).toEqual(comparable(fresh));
          }
          // The last version, as a folder on disk, through the CLI's own validation.
          for (const [p, content] of files) {
            await mkdir(dirname(join(root, p)), { recursive: true });
            await writeFile(join(root, p), content);
          }
          const onDisk = await validateProject(root);
          const last = await warm.load(snapshotOf());
          expect(comparable(last)).toEqual(
            comparable({
              registry: onDisk.registry,
              topology: onDisk.topology,
              diagnostics: onDisk.diagnostics,
            }),
          );
        },
      ),
      { numRuns: 120 },
    );
  }, 120_000);
});
