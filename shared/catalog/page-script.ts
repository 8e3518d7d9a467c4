/**
 * The catalog page's script, inline (no network, no build step): renders the embedded data
 * with DOM calls (text only, never HTML from the registry), filters on search, shows a channel.
 */
export const PAGE_SCRIPT = String.raw`
"use strict";
const data = JSON.parse(document.getElementById("catalog-data").textContent);
const el = (tag, props, ...children) => {
  const node = document.createElement(tag);
  Object.assign(node, props || {});
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
};
const list = document.getElementById("channels");
const detail = document.getElementById("detail");
const search = document.getElementById("search");
const count = document.getElementById("count");
const channels = data.teams.flatMap((team) => team.channels.map((channel) => ({ team, channel })));

function searchText({ team, channel }) {
  return [channel.address, channel.description, team.team, ...channel.producers.map((p) => p.name),
    ...channel.consumers.map((p) => p.name)].join(" ").toLowerCase();
}

function renderList() {
  list.replaceChildren();
  const words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
  let shown = 0;
  for (const team of data.teams) {
    const items = team.channels.filter((channel) =>
      words.every((w) => searchText({ team, channel }).includes(w)));
    if (items.length === 0) continue;
    shown += items.length;
    const heading = el("h2", { className: "team" }, team.team + " ",
      el("span", { className: "version", textContent: "v" + team.version }));
    const ul = el("ul");
    for (const channel of items) {
      const button = el("button", { type: "button", className: "channel" },
        el("strong", { textContent: channel.address }), el("span", { textContent: channel.description }));
      button.dataset.address = channel.address;
      button.addEventListener("click", () => { location.hash = encodeURIComponent(channel.address); });
      ul.append(el("li", {}, button));
    }
    list.append(el("section", { className: "team-group" }, heading, ul));
  }
  count.textContent = shown + " of " + channels.length + " channels";
}

const dl = (pairs) => el("dl", {}, ...pairs.flatMap(([k, v]) => [el("dt", { textContent: k }), el("dd", { textContent: String(v) })]));
const parties = (id, title, items) => el("section", { id },
  el("h3", { textContent: title }),
  items.length === 0 ? el("p", { textContent: "nobody" })
    : el("ul", {}, ...items.map((p) => el("li", {}, el("code", { textContent: p.name }), " — " + p.description))));
const pre = (id, value) => el("pre", { id, textContent: JSON.stringify(value, null, 2) });

function connect(channel) {
  const envs = data.environments.filter((e) => channel.environments === "all" || channel.environments.includes(e.name));
  return el("section", { id: "connect" }, el("h3", { textContent: "Connect" }),
    ...envs.map((env) => {
      const where = env.cloud === "aws" ? "AWS Lambda environment variables"
        : env.cloud === "azure" ? "Azure Functions app settings" : "environment variables";
      const settings = ["MESH_URLS=" + env.urls.join(","), "MESH_SASL_USERNAME=<principal>",
        "MESH_SASL_PASSWORD=<from the secret store>"].concat(env.tls ? ["MESH_TLS_CA=<CA certificate (PEM)>"] : []);
      return el("div", { className: "env" },
        el("h4", { textContent: env.name + " (" + env.cloud + " " + env.region + ")" }),
        el("p", { textContent: "Log in: " + (env.logins.join(" / ") || "anonymous") }),
        el("p", { textContent: where + ":" }), el("pre", { textContent: settings.join("\n") }));
    }),
    el("p", { textContent: "Consume:" }),
    el("pre", { textContent: "export default defineChannelHandler<\"" + channel.address + "\">({\n  channel: \"" + channel.address + "\",\n  async handler(batch, context) { /* batch[i].payload is typed */ },\n});" }),
    el("p", { textContent: "Publish from a function:" }),
    el("pre", { textContent: "await context.publish(\"" + channel.address + "\", payload);" }));
}

function renderDetail() {
  const address = decodeURIComponent(location.hash.slice(1));
  const found = channels.find((c) => c.channel.address === address);
  for (const b of list.querySelectorAll("button.channel")) b.classList.toggle("selected", b.dataset.address === address);
  if (!found) { detail.replaceChildren(el("p", { className: "hint", textContent: "Choose a channel." })); return; }
  const { team, channel } = found;
  const example = channel.example === null ? el("p", { id: "example", textContent: "No schema: any JSON." })
    : el("div", {}, pre("example", channel.example.payload),
        el("p", { className: "hint", textContent: channel.example.valid ? "Valid against the schema." : "The generator could not satisfy every keyword of the schema: check before use." }));
  detail.replaceChildren(
    el("h2", { id: "detail-address", textContent: channel.address }),
    el("p", { textContent: channel.description }),
    dl([["owner", team.team + " (" + team.document + ", v" + team.version + ")"], ["channel version", channel.version],
      ["distribution", channel.distribution], ["delivery", channel.delivery + " — " + channel.settlement],
      ["routing", channel.routing], ["max message size", channel.maxMessageSize + " bytes"],
      ["request/reply", channel.replyTo ? "yes" : "no"],
      ["environments", channel.environments === "all" ? "all" : channel.environments.join(", ")],
      ["dead letters go to", channel.deadLetter || "—"],
      ["dead-letter channel of", channel.deadLetterOf.join(", ") || "—"]]),
    parties("producers", "Producers (send)", channel.producers),
    parties("consumers", "Consumers (receive)", channel.consumers),
    el("section", {}, el("h3", { textContent: "Schema" }),
      channel.schema === null ? el("p", { id: "schema", textContent: "No schema: payloads are not checked." }) : pre("schema", channel.schema)),
    el("section", {}, el("h3", { textContent: "Example message" }), example),
    connect(channel));
}

search.addEventListener("input", renderList);
window.addEventListener("hashchange", renderDetail);
renderList();
renderDetail();
`;
