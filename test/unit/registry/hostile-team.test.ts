/**
 * A hostile team: it may write one registry file (`mallory.yaml`) next to the example
 * project's teams, and wants another team's data. Each attempt must be refused by
 * `validate` with a clear error on mallory's file, and by config-sync's gate judged against
 * the last good registry (the example), with the problem on mallory's file only — the teams
 * it attacks did nothing wrong.
 */
import { readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Diagnostic } from "../../../shared/diagnostics.ts";
import { validateProject } from "../../../shared/registry/index.ts";
import { generateRouterConfigs } from "../../../shared/router-config/index.ts";
import { checkRegistry } from "../../../shared/sync/gate.ts";
import { loadSnapshot } from "../../../shared/sync/project-loader.ts";
import { makeSnapshot, type ProjectFile } from "../../../shared/sync/snapshot.ts";
import { writeTempProject } from "./helpers.ts";

const EXAMPLE = "examples";

/** The example project's files as a store holds them (topology, registry, schemas). */
function exampleFiles(): ProjectFile[] {
  const files: ProjectFile[] = [
    { path: "topology.yaml", content: readFileSync(join(EXAMPLE, "topology.yaml"), "utf8") },
  ];
  const walk = (folder: string) => {
    for (const entry of readdirSync(join(EXAMPLE, folder), { withFileTypes: true })) {
      const path = `${folder}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else files.push({ path, content: readFileSync(join(EXAMPLE, path), "utf8") });
    }
  };
  walk("registry");
  return files;
}

interface MalloryFile {
  team?: string;
  principals?: string;
  /** YAML lines of one channel, indented under `channels:`. */
  channel?: string;
}

/** Mallory's own channel, produced and consumed by its own team (whatever it is called). */
const ownChannel = (team: string) => `
  - address: mallory/inbox
    description: Mallory's own channel.
    producers: [${team}]
    consumers: [${team}]`;

function malloryYaml({ team = "mallory", principals = "[mallory-bot]", channel }: MalloryFile) {
  return `team: ${team}\nprincipals: ${principals}\nchannels:${ownChannel(team)}${channel ?? ""}\n`;
}

interface Attempt {
  name: string;
  file: MalloryFile;
  /** The error code mallory's file must get. */
  code: string;
  /** Text the error's message must hold (the other team's file or what was wrong). */
  says?: RegExp;
}

const channelWith = (address: string, extra = "") => `
  - address: ${JSON.stringify(address)}
    description: Looks harmless.
    producers: [mallory]
    consumers: [mallory]${extra}`;

const ATTEMPTS: Attempt[] = [
  // Broker queues (finding 1): another team's queue, by name, by case, by default name.
  {
    name: "routes its channel to billing's broker queue",
    file: {
      channel: channelWith(
        "mallory/invoices",
        "\n    routing: { kind: broker, broker: rabbit-eu, queue: billing-invoices }",
      ),
    },
    code: "registry/queue-taken",
    says: /queue 'billing-invoices' on broker 'rabbit-eu', which channel 'billing\/invoices' of team 'billing' uses \(.*billing\.yaml/,
  },
  {
    name: "names billing's queue in other case",
    file: {
      channel: channelWith(
        "mallory/invoices",
        "\n    routing: { kind: broker, broker: rabbit-eu, queue: Billing-Invoices }",
      ),
    },
    code: "registry/queue-taken",
  },
  {
    name: "takes billing's queue as the default queue of an address named like it",
    file: {
      channel: channelWith(
        "billing-invoices",
        "\n    routing: { kind: broker, broker: rabbit-eu }",
      ),
    },
    code: "registry/queue-taken",
  },
  {
    name: "names the queue by the broker's own address form",
    file: {
      channel: channelWith(
        "mallory/invoices",
        '\n    routing: { kind: broker, broker: rabbit-eu, queue: "/queue/billing-invoices" }',
      ),
    },
    code: "registry/invalid-name",
  },
  // Names (finding 2): a team named after a principal, a principal named after a team or
  // after another team's principal, in any case.
  {
    name: "calls its team like billing's principal",
    file: { team: "billing-worker" },
    code: "registry/name-collision",
    says: /team 'billing-worker' has the name of principal 'billing-worker' of team 'billing' \(.*billing\.yaml/,
  },
  {
    name: "declares a principal named like the sales team",
    file: { principals: "[mallory-bot, sales]" },
    code: "registry/name-collision",
    says: /principal 'sales' of team 'mallory' has the name of team 'sales' \(.*sales\.yaml/,
  },
  {
    name: "declares billing's principal as its own",
    file: { principals: "[mallory-bot, billing-worker]" },
    code: "registry/duplicate-principal",
  },
  {
    name: "declares billing's principal in other case",
    file: { principals: "[mallory-bot, Billing-Worker]" },
    code: "registry/duplicate-principal",
  },
  {
    name: "declares its team under the name of an existing team",
    file: { team: "sales" },
    code: "registry/duplicate-team",
  },
  // Principal names the router reads as something else (finding 3).
  ...[
    ["'*' (everyone to qdrouterd)", '"*"'],
    ["a list separator", '"mallory-bot,billing-worker"'],
    ["a space", '"mallory bot"'],
    ["a '.'", "mallory.bot"],
    ["a '/'", "mallory/bot"],
    ["a '#'", '"mallory#"'],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: qdrouterd's policy user token
    ["the policy's user token", '"${user}"'],
    ["a control character", '"mallory\\tbot"'],
    ["a Cyrillic look-alike of billing-worker", "b\u0456lling-worker"],
  ].map(
    ([what, principal]): Attempt => ({
      name: `declares a principal with ${what}`,
      file: { principals: `[${principal}]` },
      code: "registry/invalid-name",
      says: /invalid principals\[0\]/,
    }),
  ),
  // Addresses: prefix tricks, '.'/'/' equivalence, case, look-alikes, wildcards.
  {
    name: "claims the prefix above sales' channels",
    file: { channel: channelWith("sales") },
    code: "registry/prefix-overlap",
    says: /prefix 'sales' of team 'mallory' covers address 'sales\/orders' owned by team 'sales'/,
  },
  {
    name: "claims an address in sales' namespace where sales has no channel",
    file: { channel: channelWith("sales/refunds") },
    code: "registry/foreign-namespace",
    says: /starts with 'sales', the name of team 'sales' \(.*sales\.yaml/,
  },
  {
    name: "claims it in other case and with '.'",
    file: { channel: channelWith("SALES.refunds") },
    code: "registry/foreign-namespace",
  },
  {
    name: "claims an address inside sales/orders",
    file: { channel: channelWith("sales/orders/eu") },
    code: "registry/prefix-overlap",
  },
  {
    name: "claims sales/orders with '.' for '/'",
    file: { channel: channelWith("sales.orders") },
    code: "registry/duplicate-address",
  },
  {
    name: "claims sales/orders with an empty segment",
    file: { channel: channelWith("sales//orders") },
    code: "registry/duplicate-address",
  },
  {
    name: "claims sales/orders in other case",
    file: { channel: channelWith("Sales/Orders") },
    code: "registry/duplicate-address",
    says: /look-alikes/,
  },
  {
    name: "claims billing's dead letters under the '.' separator",
    file: { channel: channelWith("billing/invoices.dead.x") },
    code: "registry/prefix-overlap",
  },
  {
    name: "claims a Cyrillic look-alike of sales/orders",
    file: { channel: channelWith("\u0455ales/orders") },
    code: "registry/invalid-name",
  },
  // biome-ignore lint/suspicious/noTemplateCurlyInString: qdrouterd's policy user token
  ...["sales/*", "sales/#", "*", "${user}/orders", "/sales/orders", "amqp:/_topo/0/x/temp.y"].map(
    (address): Attempt => ({
      name: `claims the wildcard or router address '${address}'`,
      file: { channel: channelWith(address) },
      code: "registry/invalid-name",
    }),
  ),
  // Link routes and autoLinks are the generator's, never a team's to declare.
  {
    name: "declares a link route of its own",
    file: { channel: channelWith("mallory/routed", '\n    linkRoute: { pattern: "sales/#" }') },
    code: "registry/unknown-key",
  },
  {
    name: "declares routing by a link-route pattern",
    file: {
      channel: channelWith(
        "mallory/routed",
        '\n    routing: { kind: linkRoute, pattern: "sales/#" }',
      ),
    },
    code: "registry/invalid-value",
  },
  // Dead letters (finding 11): another team's dead-letter channel receives mallory's failures,
  // and its consumers are sales, not mallory: failures of sales' data go to sales.
  {
    name: "names sales' dead-letter channel as its own",
    file: { channel: channelWith("mallory/work", "\n    deadLetter: sales/orders.dead") },
    code: "registry/dead-letter-other-team",
    says: /belongs to team 'sales'/,
  },
  // Payload schemas outside the project (finding 5).
  {
    name: "reads a file outside the project as its schema",
    file: {
      channel: channelWith("mallory/schema", "\n    schemaFile: ../../../../../../etc/passwd"),
    },
    code: "registry/schema-file-outside",
  },
  {
    name: "reads a file by an absolute path as its schema",
    file: { channel: channelWith("mallory/schema", "\n    schemaFile: /etc/passwd") },
    code: "registry/schema-file-outside",
  },
];

/** The line of the example's sales/orders channel (its list item) in sales.yaml. */
function salesOrdersLine(): number {
  const lines = readFileSync("examples/registry/sales.yaml", "utf8").split("\n");
  return lines.indexOf("  - address: sales/orders") + 1;
}

const folders: string[] = [];
afterAll(async () => {
  for (const folder of folders) await rm(folder, { recursive: true, force: true });
});

async function validateWithMallory(
  yaml: string,
  extra: Record<string, string> = {},
): Promise<{ dir: string; diagnostics: Diagnostic[] }> {
  const files: Record<string, string> = { "registry/mallory.yaml": yaml, ...extra };
  for (const file of exampleFiles()) files[file.path] ??= file.content;
  const dir = await writeTempProject(files);
  folders.push(dir);
  return { dir, diagnostics: (await validateProject(dir)).diagnostics };
}

const errorsIn = (diagnostics: readonly Diagnostic[], file: string) =>
  diagnostics.filter((d) => d.severity === "error" && d.file.endsWith(file));

describe("a hostile team's registry file, at validation", () => {
  it("the example without mallory's attempts is valid (the baseline)", async () => {
    const { diagnostics } = await validateWithMallory(malloryYaml({}));
    expect(diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  });

  it.each(ATTEMPTS)("refuses: $name ($code)", async ({ file, code, says }) => {
    const { diagnostics } = await validateWithMallory(malloryYaml(file));
    const onMallory = errorsIn(diagnostics, "registry/mallory.yaml");
    expect(onMallory.map((d) => d.code)).toContain(code);
    if (says) expect(onMallory.find((d) => d.code === code)?.message).toMatch(says);
  });

  it("refuses a schemaFile that is a symbolic link to a file outside the project, and echoes none of it", async () => {
    const outside = join(tmpdir(), `amqp-mesh-outside-${process.pid}.txt`);
    writeFileSync(outside, "root:x:0:0:SECRET-LINE\n");
    const yaml = malloryYaml({
      channel: channelWith("mallory/schema", "\n    schemaFile: schemas/link.json"),
    });
    const files: Record<string, string> = { "registry/mallory.yaml": yaml };
    for (const f of exampleFiles()) files[f.path] ??= f.content;
    const dir = await writeTempProject(files);
    folders.push(dir);
    symlinkSync(outside, join(dir, "registry/schemas/link.json"));
    const { diagnostics } = await validateProject(dir);
    await rm(outside, { force: true });
    expect(errorsIn(diagnostics, "registry/mallory.yaml").map((d) => d.code)).toEqual([
      "registry/schema-file-outside",
    ]);
    expect(JSON.stringify(diagnostics)).not.toMatch(/SECRET|root:x/);
  });

  it("a path outside the project is not read, so no parser snippet of it is echoed", async () => {
    const outside = join(tmpdir(), `amqp-mesh-outside-${process.pid}-2.txt`);
    writeFileSync(outside, "SECRET-LINE not json\n");
    const { diagnostics } = await validateWithMallory(
      malloryYaml({ channel: channelWith("mallory/schema", `\n    schemaFile: ${outside}`) }),
    );
    await rm(outside, { force: true });
    const problem = errorsIn(diagnostics, "registry/mallory.yaml");
    expect(problem.map((d) => d.code)).toEqual(["registry/schema-file-outside"]);
    expect(JSON.stringify(diagnostics)).not.toMatch(/SECRET/);
  });

  it("names both files of a conflict when there is no last good registry (the attacked team is told too)", async () => {
    const { diagnostics } = await validateWithMallory(
      malloryYaml({ channel: channelWith("sales/orders") }),
    );
    const conflict = diagnostics.filter((d) => d.code === "registry/duplicate-address");
    expect(conflict.map((d) => d.file.replace(/.*\/registry\//, ""))).toEqual([
      "mallory.yaml",
      "sales.yaml",
    ]);
    const line = salesOrdersLine();
    expect(conflict[0]!.message).toMatch(
      new RegExp(`already declared by team 'sales' at .*sales\\.yaml:${line}:5$`),
    );
    expect(conflict[1]!.message).toMatch(/already declared by team 'mallory' at .*mallory\.yaml/);
    // The hint sends mallory to its own namespace, not into the other team's.
    expect(conflict[0]!.hint).toMatch(/address of team 'mallory'/);
    expect(conflict[0]!.hint).not.toMatch(/starting with 'sales/);
  });
});

describe("a hostile team's registry file, at config-sync's gate (against the last good registry)", () => {
  const lastGood = loadSnapshot(makeSnapshot(exampleFiles(), "store://registry/"));

  async function gate(files: ProjectFile[]) {
    const current = await loadSnapshot(makeSnapshot(files, "store://registry/"));
    return checkRegistry(current, await lastGood);
  }

  const withMallory = (yaml: string) => [
    ...exampleFiles(),
    { path: "registry/mallory.yaml", content: yaml },
  ];

  it("accepts the example with mallory's own harmless file (the baseline)", async () => {
    const verdict = await gate(withMallory(malloryYaml({})));
    expect(verdict.accepted ? [] : verdict.problems).toEqual([]);
  });

  it.each(ATTEMPTS)("refuses, on mallory's file only: $name", async ({ file, code }) => {
    const verdict = await gate(withMallory(malloryYaml(file)));
    expect(verdict.accepted).toBe(false);
    const problems = verdict.accepted ? [] : verdict.problems;
    expect(problems.some((p) => p.startsWith("store://registry/registry/mallory.yaml:"))).toBe(
      true,
    );
    expect(problems.join("\n")).toContain(code === "registry/unknown-key" ? "linkRoute" : "");
    // The attacked teams' files held before and hold now: the conflict is mallory's alone.
    expect(
      problems.filter((p) => !p.startsWith("store://registry/registry/mallory.yaml:")),
    ).toEqual([]);
  });

  // Never read from the file system, nor from the store outside the project: said as outside.
  it("refuses a schemaFile outside the store's project, saying so", async () => {
    const verdict = await gate(
      withMallory(
        malloryYaml({ channel: channelWith("mallory/s", "\n    schemaFile: ../../topology.yaml") }),
      ),
    );
    expect(verdict.accepted ? [] : verdict.problems).toEqual([
      expect.stringMatching(
        /mallory\.yaml:.*schemaFile '\.\.\/\.\.\/topology\.yaml' lies outside the project store:\/\/registry\/; it was not read/,
      ),
    ]);
  });

  /** The example's files with one file's text changed. */
  const edited = (path: string, edit: (text: string) => string) =>
    exampleFiles().map((f) => (f.path === path ? { ...f, content: edit(f.content) } : f));

  it("refuses a queue handed to another team in one change (billing drops it, mallory takes it)", async () => {
    const files = edited("registry/billing.yaml", (t) =>
      t.replace("routing: { kind: broker, broker: rabbit-eu, queue: billing-invoices }", ""),
    );
    files.push({
      path: "registry/mallory.yaml",
      content: malloryYaml({
        channel: channelWith(
          "mallory/invoices",
          "\n    routing: { kind: broker, broker: rabbit-eu, queue: billing-invoices }",
        ),
      }),
    });
    const verdict = await gate(files);
    expect(verdict.accepted ? [] : verdict.problems).toEqual([
      expect.stringMatching(
        /mallory\.yaml:.*queue 'billing-invoices' belonged to team 'billing' in the last good registry; this change gives it to team 'mallory'/,
      ),
    ]);
  });

  it("refuses a principal handed to another team in one change", async () => {
    const files = edited("registry/billing.yaml", (t) =>
      t.replace("principals: [billing-worker]", "principals: [billing-worker-2]"),
    );
    files.push({
      path: "registry/mallory.yaml",
      content: malloryYaml({ principals: "[mallory-bot, billing-worker]" }),
    });
    const verdict = await gate(files);
    expect(verdict.accepted ? [] : verdict.problems).toEqual([
      expect.stringMatching(
        /mallory\.yaml:.*name 'billing-worker' belonged to team 'billing' in the last good registry/,
      ),
    ]);
  });

  it("refuses an address handed to another team in one change", async () => {
    const files = edited("registry/logistics.yaml", (t) =>
      t.replace(/ {2}- address: logistics\/shipments[\s\S]*$/, ""),
    );
    files.push({
      path: "registry/mallory.yaml",
      content: malloryYaml({ channel: channelWith("logistics/shipments") }),
    });
    const verdict = await gate(files);
    expect(verdict.accepted ? [] : verdict.problems).toEqual([
      expect.stringMatching(
        /mallory\.yaml:.*starts with 'logistics', the name of team 'logistics'/,
      ),
      expect.stringMatching(
        /mallory\.yaml:.*address 'logistics\/shipments' belonged to team 'logistics' in the last good registry/,
      ),
    ]);
  });

  it("without a last good registry, reports a conflict on both files", async () => {
    const current = await loadSnapshot(
      makeSnapshot(
        withMallory(malloryYaml({ channel: channelWith("sales/orders") })),
        "store://registry/",
      ),
    );
    const verdict = checkRegistry(current, undefined);
    const files = (verdict.accepted ? [] : verdict.problems).map((p) => p.split(":")[1]);
    expect([...new Set(files)]).toEqual([
      "//registry/registry/mallory.yaml",
      "//registry/registry/sales.yaml",
    ]);
  });
});

describe("a hostile team's replyTo channel", () => {
  it("gets no grant to reply to the mesh's temporary addresses without requesters", async () => {
    const yaml = malloryYaml({
      channel: `
  - address: mallory/rpc
    description: A request/reply channel nobody requests on.
    replyTo: true
    consumers: [mallory]`,
    });
    const { dir } = await validateWithMallory(yaml);
    const project = await validateProject(dir);
    const { configs } = generateRouterConfigs(project.registry!, project.topology!);
    const targets = configs.flatMap((c) =>
      Object.entries(
        (c.entities.find((e) => e.type === "vhost" && e.attributes.hostname === "$default")
          ?.attributes.groups ?? {}) as Record<string, { users: string; targets?: string }>,
      )
        .filter(([, g]) => g.users.split(", ").includes("mallory-bot"))
        .map(([, g]) => g.targets ?? ""),
    );
    expect(targets.length).toBeGreaterThan(0);
    for (const t of targets) expect(t).not.toMatch(/temp/);
  });
});
