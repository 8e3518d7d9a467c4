/** The mesh view as text for a terminal: `amqp-mesh status`, the console's twin. */
import type { ChannelView, MeshView, QueueDepthView, RouterView } from "./view.ts";

/** A queue's depth for a table cell: the count, or `?` and why. */
export function formatDepth(depth: QueueDepthView): string {
  return depth.messages === undefined
    ? `? (${depth.unknown ?? "not read yet"})`
    : `${depth.messages}`;
}

export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined) return "-";
  const d = Math.floor(seconds / 86_400);
  const h = Math.floor((seconds % 86_400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = Math.floor(seconds % 60);
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s}s`;
  return `${s}s`;
}

function table(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows)
    for (const [i, cell] of row.entries()) widths[i] = Math.max(widths[i] ?? 0, cell.length);
  return rows.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd(),
  );
}

function routerRow(r: RouterView): string[] {
  const software = r.flavour === undefined ? "-" : `${r.flavour} ${r.version ?? "?"}`;
  return [
    `  ${r.id}`,
    r.mode ?? "?",
    r.state === "up" ? "up" : r.state === "down" ? "DOWN" : "?",
    r.state === "up" ? `up ${formatDuration(r.uptimeSeconds)}` : (r.error ?? "not answered yet"),
    software,
    `clients ${r.clientConnections}`,
    r.denials === undefined ? "denied -" : `denied ${r.denials.links + r.denials.connections}`,
    r.url,
  ];
}

function channelRow(c: ChannelView): string[] {
  const where = c.perRouter
    .filter((p) => p.consumers > 0)
    .map((p) => `${p.router} ${p.consumers}`)
    .join(", ");
  return [
    `  ${c.address}`,
    c.owner,
    `${c.distribution}/${c.delivery}`,
    `consumers ${c.consumers}${where === "" ? "" : ` (${where})`}`,
    `producers ${c.producers}`,
    `in ${c.messagesIn}`,
    `out ${c.messagesOut}`,
    `released ${c.released} rejected ${c.rejected} modified ${c.modified}`,
    [
      c.queueDepth === undefined ? "" : `queued ${formatDepth(c.queueDepth)}`,
      c.deadLetterDepth === undefined
        ? ""
        : `dead letters ${formatDepth(c.deadLetterDepth)} in ${c.deadLetter}`,
    ]
      .filter(Boolean)
      .join(", "),
  ];
}

export function formatMeshView(view: MeshView): string {
  const { summary } = view;
  const lines = [
    `mesh at ${view.at}: ${summary.up}/${summary.routers} routers up, ${summary.channels} channels, ` +
      (summary.drift === 0 ? "no drift" : `${summary.drift} drifted entities`),
  ];
  const groups = new Map<string, RouterView[]>();
  for (const r of view.routers) {
    const key =
      r.cloud === undefined ? "not in the topology" : `${r.cloud} ${r.region} (${r.environment})`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  for (const [group, routers] of groups) {
    lines.push(group);
    const sorted = [...routers].sort((a, b) =>
      a.mode === b.mode ? a.id.localeCompare(b.id) : a.mode === "interior" ? -1 : 1,
    );
    lines.push(...table(sorted.map(routerRow)));
  }
  lines.push("links");
  lines.push(
    ...table(
      view.links.map((l) => [
        `  ${l.from} → ${l.to}`,
        l.kind === "edge" ? "edge uplink" : `inter-router cost ${l.cost}`,
        l.state === "up" ? "up" : "DOWN",
      ]),
    ),
  );
  lines.push("channels");
  lines.push(...table(view.channels.map(channelRow)));
  const drifted = view.routers.filter(
    (r) => (r.drift?.entries.length ?? 0) > 0 || r.drift?.problem !== undefined,
  );
  if (drifted.length > 0) {
    lines.push("drift (the router against what the registry wants)");
    for (const r of drifted) {
      if (r.drift?.problem !== undefined) lines.push(`  ${r.id}: not judged: ${r.drift.problem}`);
      for (const e of r.drift?.entries ?? [])
        lines.push(
          `  ${r.id}: ${e.kind} ${e.type} ${e.name}${e.detail === "" ? "" : ` (${e.detail})`}`,
        );
    }
  }
  return lines.join("\n");
}
