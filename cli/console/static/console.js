// The mesh console's page: draws the view the server streams (/events, Server-Sent Events)
// as a graph of routers by cloud and region and tables of routers, channels and drift.
// Plain DOM, no framework, no build step; text goes in as text, never as HTML.

const SVG = "http://www.w3.org/2000/svg";

function el(tag, attributes, ...children) {
  const node = tag.startsWith("svg:")
    ? document.createElementNS(SVG, tag.slice(4))
    : document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {}))
    if (value !== undefined && value !== null) node.setAttribute(name, String(value));
  for (const child of children)
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return node;
}

function duration(seconds) {
  if (seconds === undefined || seconds === null) return "–";
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = Math.floor(seconds % 60);
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s}s`;
  return `${s}s`;
}

/** A router's error, short enough for a table cell (the whole of it is the cell's title). */
const short = (text) => (text.length > 90 ? `${text.slice(0, 89)}…` : text);

const rate = (n) => (n >= 100 ? Math.round(n).toString() : n.toFixed(1));

function regionKey(router) {
  return router.environment ?? "not in the topology";
}

/** Routers by environment, interiors on top and edges below, one column per environment. */
function layout(routers) {
  const columns = new Map();
  for (const r of routers) {
    const key = regionKey(r);
    if (!columns.has(key)) columns.set(key, []);
    columns.get(key).push(r);
  }
  const width = 1100 / Math.max(1, columns.size);
  const places = new Map();
  const regions = [];
  [...columns.entries()].forEach(([key, members], column) => {
    const x0 = column * width;
    const first = members[0];
    regions.push({
      key,
      x: x0 + 10,
      width: width - 20,
      label: first.cloud ? `${first.cloud} · ${first.region} (${key})` : key,
    });
    for (const [row, mode] of [
      [0, "interior"],
      [1, "edge"],
    ]) {
      const here = members
        .filter((r) => (r.mode ?? "edge") === mode)
        .sort((a, b) => a.id.localeCompare(b.id));
      here.forEach((r, i) => {
        places.set(r.id, {
          x: x0 + ((i + 1) * width) / (here.length + 1),
          y: row === 0 ? 110 : 250,
        });
      });
    }
  });
  return { places, regions };
}

function drawGraph(view) {
  const svg = document.getElementById("graph");
  svg.setAttribute("viewBox", "0 0 1100 330");
  const { places, regions } = layout(view.routers);
  const parts = [];
  for (const region of regions) {
    parts.push(
      el("svg:rect", {
        class: "region",
        x: region.x,
        y: 10,
        width: region.width,
        height: 310,
        rx: 8,
      }),
    );
    parts.push(el("svg:text", { class: "region-label", x: region.x + 12, y: 32 }, region.label));
  }
  let bends = 0;
  for (const link of view.links) {
    const a = places.get(link.from);
    const b = places.get(link.to);
    if (!a || !b) continue;
    // Links between routers on one row that pass others (across regions) arc above the row.
    const far = a.y === b.y && Math.abs(a.x - b.x) > 1100 / Math.max(1, regions.length) / 2 + 1;
    const lift = far ? 45 + 22 * bends++ : 0;
    const mid = { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 - lift };
    const d = far
      ? `M ${a.x} ${a.y} Q ${mid.x} ${a.y - 2 * lift} ${b.x} ${b.y}`
      : `M ${a.x} ${a.y} L ${b.x} ${b.y}`;
    parts.push(
      el("svg:path", {
        class: `link ${link.kind === "edge" ? "edge" : "inter-router"}`,
        "data-link": `${link.from}>${link.to}`,
        "data-state": link.state,
        fill: "none",
        d,
      }),
    );
    if (link.cost !== undefined && link.cost !== null)
      parts.push(
        el("svg:text", { class: "cost", x: mid.x + 4, y: mid.y - 6 }, `cost ${link.cost}`),
      );
  }
  for (const router of view.routers) {
    const p = places.get(router.id);
    if (!p) continue;
    parts.push(
      el(
        "svg:g",
        {
          class: "node",
          "data-router": router.id,
          "data-state": router.state,
          transform: `translate(${p.x} ${p.y})`,
        },
        el(
          "svg:title",
          {},
          `${router.id}: ${router.state}${router.error ? ` (${router.error})` : ""}`,
        ),
        el("svg:circle", { r: router.mode === "interior" ? 18 : 13 }),
        el("svg:text", { y: router.mode === "interior" ? 34 : 29 }, router.id),
      ),
    );
  }
  svg.replaceChildren(...parts);
}

function driftCell(router) {
  if (!router.drift) return "–";
  if (router.drift.problem) return `not judged: ${router.drift.problem}`;
  return router.drift.entries.length === 0 ? "none" : `${router.drift.entries.length} entities`;
}

function drawRouters(view) {
  const rows = [...view.routers]
    .sort(
      (a, b) =>
        regionKey(a).localeCompare(regionKey(b)) ||
        (a.mode === b.mode ? a.id.localeCompare(b.id) : a.mode === "interior" ? -1 : 1),
    )
    .map((r) =>
      el(
        "tr",
        { "data-router": r.id, "data-state": r.state },
        el("td", {}, r.id),
        el("td", {}, r.cloud ? `${r.cloud} / ${r.region}` : "not in the topology"),
        el("td", {}, r.mode ?? "?"),
        el(
          "td",
          { class: `state-${r.state}`, title: r.error ?? "" },
          r.state === "down" ? `down: ${short(r.error ?? "no answer")}` : r.state,
        ),
        el("td", {}, duration(r.uptimeSeconds)),
        el("td", {}, r.flavour ? `${r.flavour} ${r.version ?? ""}` : "–"),
        el("td", { class: "num" }, r.clientConnections),
        el(
          "td",
          { class: "num denied" },
          r.denials ? r.denials.links + r.denials.connections : "–",
        ),
        el("td", {}, driftCell(r)),
      ),
    );
  document.querySelector("#routers tbody").replaceChildren(...rows);
}

function drawChannels(view) {
  const rows = view.channels.map((c) => {
    const where = c.perRouter
      .filter((p) => p.consumers > 0)
      .map((p) => `${p.router}: ${p.consumers}`)
      .join(", ");
    return el(
      "tr",
      { "data-channel": c.address },
      el("td", {}, c.address),
      el("td", {}, c.owner),
      el("td", {}, `${c.distribution}, ${c.delivery}${c.broker ? `, broker ${c.broker}` : ""}`),
      el("td", { class: "consumers" }, `${c.consumers}${where ? ` (${where})` : ""}`),
      el("td", { class: "num producers" }, c.producers),
      el("td", { class: "num rate-in" }, rate(c.rateIn)),
      el("td", { class: "num rate-out" }, rate(c.rateOut)),
      el("td", { class: "num messages-in" }, c.messagesIn),
      el("td", { class: "num messages-out" }, c.messagesOut),
      el("td", { class: "num" }, c.released),
      el("td", { class: "num" }, c.rejected),
      el("td", { class: "num" }, c.modified),
      depthCell("queued", c.queueDepth, ""),
      depthCell("dead-letters", c.deadLetterDepth, c.deadLetter ?? ""),
    );
  });
  document.querySelector("#channels tbody").replaceChildren(...rows);
}

/**
 * A queue's depth: the count, or "?" with why it is not known (in full in the title). The
 * cell says which channel holds it, when that is another one (the dead letters).
 */
function depthCell(kind, depth, channel) {
  if (!depth) return el("td", { class: kind }, channel ? `${channel}: no queue` : "–");
  const where = channel ? `${channel}: ` : "";
  if (depth.messages === undefined || depth.messages === null)
    return el(
      "td",
      { class: `${kind} depth-unknown`, "data-depth": "unknown", title: depth.unknown ?? "" },
      `${where}unknown: ${short(depth.unknown ?? "not read yet")}`,
    );
  return el(
    "td",
    {
      class: `${kind} num`,
      "data-depth": depth.messages,
      title: `queue ${depth.queue} on ${depth.broker}, read ${depth.readAt}`,
    },
    `${where}${depth.messages}`,
  );
}

function drawDrift(view) {
  const items = [];
  for (const r of view.routers) {
    if (r.drift?.problem)
      items.push(el("li", { "data-router": r.id }, `${r.id}: not judged: ${r.drift.problem}`));
    for (const e of r.drift?.entries ?? [])
      items.push(
        el(
          "li",
          { "data-router": r.id, "data-kind": e.kind },
          `${r.id}: ${e.kind} ${e.type} ${e.name}${e.detail ? ` (${e.detail})` : ""}`,
        ),
      );
  }
  if (items.length === 0)
    items.push(el("li", {}, "none: every router that answered has what the registry wants"));
  document.getElementById("drift").replaceChildren(...items);
}

function draw(view) {
  const s = view.summary;
  document.getElementById("summary").textContent =
    `${s.up}/${s.routers} routers up · ${s.channels} channels · ${s.drift === 0 ? "no drift" : `${s.drift} drifted entities`} · ${new Date(view.at).toLocaleTimeString()}`;
  drawGraph(view);
  drawRouters(view);
  drawChannels(view);
  drawDrift(view);
}

function connect() {
  const status = document.getElementById("stream");
  const events = new EventSource("/events");
  events.addEventListener("view", (event) => {
    status.dataset.state = "live";
    status.textContent = "live";
    draw(JSON.parse(event.data));
  });
  events.addEventListener("error", () => {
    status.dataset.state = "lost";
    status.textContent = "console server not answering; retrying";
  });
}

connect();
