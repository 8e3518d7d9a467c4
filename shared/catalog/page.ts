/** The catalog page: one static HTML file, its data, style and script inline (works offline). */
import type { ChannelRegistry } from "../registry/index.ts";
import type { Topology } from "../topology/index.ts";
import { type PageData, pageData } from "./page-data.ts";
import { PAGE_SCRIPT } from "./page-script.ts";
import type { PublishedVersion } from "./version.ts";

export const CATALOG_PAGE = "catalog.html";

const STYLE = `
body { font: 15px/1.45 system-ui, sans-serif; margin: 0; color: #1d2430; background: #f6f7f9; }
header { padding: 12px 20px; background: #1d2430; color: #fff; display: flex; gap: 16px; align-items: center; }
header h1 { font-size: 18px; margin: 0; }
#search { flex: 1; max-width: 420px; padding: 6px 10px; font-size: 15px; border-radius: 4px; border: 0; }
main { display: grid; grid-template-columns: minmax(260px, 1fr) 2fr; gap: 16px; padding: 16px 20px; }
nav ul { list-style: none; margin: 0 0 12px; padding: 0; }
h2.team { font-size: 16px; margin: 8px 0; }
.version { font-weight: normal; color: #667; font-size: 12px; }
button.channel { display: block; width: 100%; text-align: left; border: 1px solid #d8dce3; background: #fff;
  border-radius: 4px; padding: 6px 8px; margin: 4px 0; cursor: pointer; font: inherit; }
button.channel span { display: block; color: #556; font-size: 13px; }
button.channel.selected { border-color: #2f6fde; box-shadow: 0 0 0 1px #2f6fde; }
#detail { background: #fff; border: 1px solid #d8dce3; border-radius: 4px; padding: 8px 20px; min-width: 0; }
pre { background: #f0f2f5; padding: 8px; overflow: auto; font-size: 13px; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; }
dt { color: #556; } dd { margin: 0; }
.hint, #count { color: #667; font-size: 13px; }
`;

/** JSON that can sit inside a <script> element: no `<` (so no `</script>`), no line separators. */
export function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value)
    .replaceAll("<", "\\u003c")
    .replaceAll("\u2028", "\\u2028")
    .replaceAll("\u2029", "\\u2029");
}

export function renderCatalogPage(data: PageData): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<title>amqp-mesh channel catalog</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>Channel catalog</h1><input id="search" type="search" placeholder="Search channels, teams, producers, consumers" aria-label="Search"><span id="count"></span></header>
<main>
<nav id="channels" aria-label="Channels by team"></nav>
<article id="detail" aria-live="polite"></article>
</main>
<script type="application/json" id="catalog-data">${scriptSafeJson(data)}</script>
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;
}

export function catalogPage(
  registry: ChannelRegistry,
  topology: Topology,
  baselines: ReadonlyMap<string, PublishedVersion> = new Map(),
): string {
  return renderCatalogPage(pageData(registry, topology, baselines));
}
