/**
 * `amqp-mesh verify [<dir>] [--target <file> | --router <url>…]`: is the mesh well?
 * - every router answers over AMQP management, and has what the registry wants (drift);
 * - the probe channel carries messages between every ordered pair of environments (regions):
 *   a receiver on `amqp-mesh/probe/<to>/<run>` at a router of <to>, probes published from a
 *   router of <from>, delivery and latency per pair;
 * - the probe principal is refused when it publishes on a team's channel (the routers'
 *   policy authorizes before anything is sent).
 * The probe channel and its principal come from the generator (reserved.ts: the platform's
 * namespace, which the registry refuses teams). Exit 0 only when all is well, 3 otherwise.
 */
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { isMeshError, type MeshClient } from "../../shared/amqp/index.ts";
import type { MeshView, RouterView } from "../../shared/observe/index.ts";
import { PROBE_ADDRESS, PROBE_PRINCIPAL } from "../../shared/registry/index.ts";
import type { CommandArgs, CommandOptions } from "../args.ts";
import { clientFor } from "../client-login.ts";
import { defineCommand } from "../command.ts";
import { RUNTIME_FAILURE } from "../local/errors.ts";
import { localOutDir, MESH_OPTIONS, type Sasl } from "../mesh-target.ts";
import { observeProject } from "../observe-project.ts";
import { UsageError } from "../usage.ts";
import { parseCount } from "./publish.ts";
import { parseTimeout } from "./status.ts";

const options = {
  ...MESH_OPTIONS,
  "probe-password-file": {
    type: "string",
    value: "<file>",
    help: `the password of ${PROBE_PRINCIPAL} (default MESH_PROBE_PASSWORD, else the local up's users file)`,
  },
  probes: {
    type: "string",
    value: "<n>",
    help: "probe messages per pair of environments (default 5)",
  },
  timeout: {
    type: "string",
    value: "<ms>",
    help: "how long each probe and each router may take (default 5000)",
  },
  json: { type: "boolean", help: "the report as JSON" },
} as const satisfies CommandOptions;

export const verifyCommand = defineCommand({
  name: "verify",
  summary: "check the mesh: routers, drift, probes between every pair of regions, authorization",
  args: "[<dir>]",
  description:
    "Reads every router (management login as for `status`), compares its entities with what\n" +
    `the registry wants, publishes probes as ${PROBE_PRINCIPAL} on ${PROBE_ADDRESS}/<to>/<run>\n` +
    "between every ordered pair of environments (delivery and latency per pair), and checks\n" +
    "that the probe principal is refused on a team's channel. <dir> defaults to examples.\n" +
    "Exit 0 only when all is well, 3 otherwise.",
  options,
  examples: ["verify", "verify examples --target mesh.json --json"],
  run: runVerify,
});

export interface PairReport {
  from: string;
  to: string;
  fromRouter: string | undefined;
  toRouter: string | undefined;
  sent: number;
  delivered: number;
  latencyMs: { min: number; median: number; max: number } | undefined;
  error: string | undefined;
}

export interface VerifyReport {
  ok: boolean;
  routers: {
    id: string;
    state: string;
    error: string | undefined;
    drift: number;
    driftProblem: string | undefined;
  }[];
  drift: { router: string; kind: string; type: string; name: string; detail: string }[];
  pairs: PairReport[];
  authorization: { router: string; channel: string; refused: boolean; detail: string } | undefined;
}

type Args = CommandArgs<typeof options>;

async function probeLogin(args: Args, dir: string): Promise<Sasl> {
  const file = args.values["probe-password-file"];
  let password = process.env.MESH_PROBE_PASSWORD;
  if (typeof file === "string") {
    try {
      password = (await readFile(file, "utf8")).replace(/\r?\n$/, "");
    } catch {
      throw new UsageError(`--probe-password-file '${file}' cannot be read`);
    }
  }
  if (password === undefined) {
    const users = `${localOutDir(args, dir)}/local-users.json`;
    try {
      const parsed = JSON.parse(await readFile(users, "utf8")) as {
        users?: Record<string, unknown>;
      };
      const local = parsed.users?.[PROBE_PRINCIPAL];
      if (typeof local === "string") password = local;
    } catch {
      // Not a local platform: the password must be given.
    }
  }
  if (password === undefined)
    throw new UsageError(
      `no password for ${PROBE_PRINCIPAL}: give --probe-password-file <file> or MESH_PROBE_PASSWORD (a local up writes it to its local-users.json)`,
    );
  return { mechanism: "PLAIN", username: PROBE_PRINCIPAL, password };
}

/** A router of the environment to probe from or to: an edge router that is up, else an interior. */
function routerIn(view: MeshView, environment: string, not?: RouterView): RouterView | undefined {
  const up = view.routers.filter((r) => r.environment === environment && r.state === "up");
  const edges = up.filter((r) => r.mode === "edge");
  // Within one environment, from one edge router to another when there are two.
  return edges.find((r) => r !== not) ?? edges[0] ?? up.find((r) => r !== not) ?? up[0];
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

async function probePair(
  from: RouterView,
  to: RouterView,
  clients: (router: RouterView) => MeshClient,
  run: string,
  count: number,
  timeoutMs: number,
): Promise<Pick<PairReport, "sent" | "delivered" | "latencyMs" | "error">> {
  const address = `${PROBE_ADDRESS}/${to.environment}/${run}-${from.environment}`;
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  let allIn: () => void = () => undefined;
  const arrived = new Promise<void>((resolve) => {
    allIn = resolve;
  });
  const consumer = clients(to).consume(
    address,
    (m) => {
      const at = m.messageId === undefined ? undefined : sentAt.get(m.messageId);
      if (at === undefined) return;
      sentAt.delete(m.messageId!);
      latencies.push(performance.now() - at);
      if (latencies.length === count) allIn();
    },
    { prefetch: Math.min(count, 100) },
  );
  let sent = 0;
  let error: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    await consumer.ready();
    for (let i = 0; i < count; i++) {
      const id = `${run}-${from.environment}-${to.environment}-${i}`;
      sentAt.set(id, performance.now());
      await clients(from).publish(
        address,
        { body: { probe: i, run }, messageId: id },
        { deadline: timeoutMs },
      );
      sent++;
    }
    await Promise.race([
      arrived,
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
  } catch (e) {
    error = message(e);
  } finally {
    clearTimeout(timer);
    await consumer.stop().catch(() => undefined);
  }
  const sorted = [...latencies].sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 10) / 10;
  return {
    sent,
    delivered: latencies.length,
    latencyMs:
      sorted.length === 0
        ? undefined
        : {
            min: round(sorted[0]!),
            median: round(sorted[Math.floor(sorted.length / 2)]!),
            max: round(sorted.at(-1)!),
          },
    error,
  };
}

export function formatVerifyReport(report: VerifyReport): string {
  const lines: string[] = [];
  const down = report.routers.filter((r) => r.state !== "up");
  lines.push(
    `routers: ${report.routers.length - down.length}/${report.routers.length} up` +
      down.map((r) => `\n  ${r.id}: DOWN (${r.error ?? "no answer"})`).join(""),
  );
  const notJudged = report.routers.filter((r) => r.driftProblem !== undefined);
  lines.push(
    report.drift.length === 0 && notJudged.length === 0
      ? "drift: none (every router has what the registry wants)"
      : `drift: ${report.drift.length} entities` +
          report.drift
            .map((d) => `\n  ${d.router}: ${d.kind} ${d.type} ${d.name} (${d.detail})`)
            .join("") +
          notJudged.map((r) => `\n  ${r.id}: not judged: ${r.driftProblem}`).join(""),
  );
  lines.push("probes (from → to: delivered, latency min/median/max):");
  for (const p of report.pairs) {
    const ok = p.error === undefined && p.delivered === p.sent && p.sent > 0;
    const latency =
      p.latencyMs === undefined
        ? ""
        : `, ${p.latencyMs.min}/${p.latencyMs.median}/${p.latencyMs.max} ms`;
    lines.push(
      `  ${ok ? "ok  " : "FAIL"} ${p.from} → ${p.to} (${p.fromRouter ?? "?"} → ${p.toRouter ?? "?"}): ${p.delivered}/${p.sent} delivered${latency}${p.error === undefined ? "" : `; ${p.error}`}`,
    );
  }
  const a = report.authorization;
  lines.push(
    a === undefined
      ? "authorization: not checked (no router up)"
      : `authorization: ${a.refused ? "ok  " : "FAIL"} ${PROBE_PRINCIPAL} publishing on ${a.channel} at ${a.router}: ${a.detail}`,
  );
  lines.push(report.ok ? "verify: all is well" : "verify: problems found");
  return lines.join("\n");
}

async function runVerify(args: Args): Promise<number> {
  if (args.positionals.length > 1) throw new UsageError("verify takes at most one <dir>");
  const probes = parseCount(args.values.probes, 10_000) ?? 5;
  const timeoutMs = parseTimeout(args.values.timeout) ?? 5_000;
  const observed = await observeProject(args, args.positionals[0], { requestTimeoutMs: timeoutMs });
  if (observed === undefined) return 1;
  const { project } = observed;
  const probeSasl = await probeLogin(args, project.dir);
  let view: MeshView;
  try {
    view = await observed.observer.readOnce();
  } finally {
    await observed.observer.close();
  }
  const report: VerifyReport = {
    ok: false,
    routers: view.routers.map((r) => ({
      id: r.id,
      state: r.state,
      error: r.error,
      drift: r.drift?.entries.length ?? 0,
      driftProblem: r.drift?.problem,
    })),
    drift: view.routers.flatMap((r) =>
      (r.drift?.entries ?? []).map((e) => ({
        router: r.id,
        kind: e.kind,
        type: e.type,
        name: e.name,
        detail: e.detail,
      })),
    ),
    pairs: [],
    authorization: undefined,
  };

  const urls = new Map(observed.routers.map((r, i) => [view.routers[i]?.id ?? r.url, r.url]));
  const clients = new Map<string, MeshClient>();
  const clientOf = (router: RouterView): MeshClient => {
    let client = clients.get(router.id);
    if (client === undefined) {
      client = clientFor(urls.get(router.id) ?? router.url, probeSasl, {
        positionals: [],
        values: args.values,
      });
      clients.set(router.id, client);
    }
    return client;
  };
  const run = randomUUID().slice(0, 8);
  try {
    const environments = project.topology.environments.map((e) => e.name);
    for (const from of environments)
      for (const to of environments) {
        const a = routerIn(view, from);
        const b = routerIn(view, to, a);
        const pair: PairReport = {
          from,
          to,
          fromRouter: a?.id,
          toRouter: b?.id,
          sent: 0,
          delivered: 0,
          latencyMs: undefined,
          error:
            a === undefined || b === undefined ? "no router of the environment is up" : undefined,
        };
        if (a !== undefined && b !== undefined)
          Object.assign(pair, await probePair(a, b, clientOf, run, probes, timeoutMs));
        report.pairs.push(pair);
      }
    const channel = [...project.registry.channels].sort((x, y) =>
      x.address.localeCompare(y.address),
    )[0];
    const at =
      view.routers.find((r) => r.state === "up" && r.mode === "edge") ??
      view.routers.find((r) => r.state === "up");
    if (channel !== undefined && at !== undefined) {
      try {
        await clientOf(at).publish(
          channel.address,
          { body: { probe: "unauthorized", run } },
          { deadline: timeoutMs },
        );
        report.authorization = {
          router: at.id,
          channel: channel.address,
          refused: false,
          detail: "accepted: the router let it through",
        };
      } catch (error) {
        const refused =
          isMeshError(error) &&
          (error.code === "link-refused" || error.code === "publish-rejected");
        const condition = (error as { condition?: string }).condition;
        report.authorization = {
          router: at.id,
          channel: channel.address,
          refused:
            refused && (condition === undefined || /unauthorized|forbidden|denied/.test(condition)),
          detail: `refused: ${message(error)}`,
        };
      }
    }
  } finally {
    await Promise.all([...clients.values()].map((c) => c.close()));
  }
  report.ok =
    report.routers.every((r) => r.state === "up" && r.driftProblem === undefined) &&
    report.drift.length === 0 &&
    report.pairs.length > 0 &&
    report.pairs.every((p) => p.error === undefined && p.sent > 0 && p.delivered === p.sent) &&
    report.authorization?.refused === true;
  console.log(
    args.values.json === true ? JSON.stringify(report, null, 2) : formatVerifyReport(report),
  );
  return report.ok ? 0 : RUNTIME_FAILURE;
}
