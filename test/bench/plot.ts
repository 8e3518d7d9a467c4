/**
 * A line plot as a standalone SVG, for the results table: where a curve says more than a
 * number (requests/s against connections, msg/s against payload size). No dependency: a
 * plot here is a few polylines, axes with ticks and a legend.
 */

export interface Series {
  name: string;
  /** [x, y] in the plot's units, in x order. */
  points: Array<[number, number]>;
}

export interface Plot {
  /** Part of the file name: `<bench>-<id>.svg`. */
  id: string;
  title: string;
  xLabel: string;
  yLabel: string;
  /** "log" for sizes that double (100 B … 64 KB); linear by default. */
  xScale?: "linear" | "log";
  series: Series[];
}

const WIDTH = 640;
const HEIGHT = 360;
const MARGIN = { left: 72, right: 16, top: 36, bottom: 64 };
const COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"];

/** Text placed in SVG: the five characters XML gives a meaning. */
export function xmlText(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A round step for about `count` ticks over [0, max]. */
function niceStep(max: number, count: number): number {
  const raw = max / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const residual = raw / magnitude;
  const nice = residual > 5 ? 10 : residual > 2 ? 5 : residual > 1 ? 2 : 1;
  return nice * magnitude;
}

const compact = (n: number): string =>
  Math.abs(n) >= 1_000_000
    ? `${+(n / 1_000_000).toFixed(1)}M`
    : Math.abs(n) >= 1_000
      ? `${+(n / 1_000).toFixed(1)}k`
      : `${+n.toFixed(2)}`;

/** Values a plot draws: finite and of a size a benchmark makes (no overflow in the scales). */
const LIMIT = 1e15;
const plottable = (v: number, log: boolean): boolean =>
  Number.isFinite(v) && Math.abs(v) < LIMIT && (!log || v > 1 / LIMIT);

export function renderPlotSvg(plot: Plot): string {
  const log = plot.xScale === "log";
  const drawable = ([x, y]: [number, number]): boolean => plottable(x, log) && plottable(y, false);
  const finite = plot.series.flatMap((s) => s.points).filter(drawable);
  const xs = finite.map(([x]) => x);
  const xMin = xs.length === 0 ? 0 : Math.min(...xs);
  const xMax = xs.length === 0 ? 1 : Math.max(...xs);
  // A range too small for the ticks' arithmetic is drawn on [0, 1].
  const yHigh = Math.max(0, ...finite.map(([, y]) => y));
  const yTop = yHigh > 1e-9 ? yHigh : 1;
  const yStep = niceStep(yTop, 5);
  const yMax = Math.ceil(yTop / yStep) * yStep;
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const tx = (x: number): number => {
    if (xMax === xMin) return MARGIN.left + plotW / 2;
    const f = log
      ? (Math.log(x) - Math.log(xMin)) / (Math.log(xMax) - Math.log(xMin))
      : (x - xMin) / (xMax - xMin);
    return MARGIN.left + f * plotW;
  };
  const ty = (y: number): number => MARGIN.top + plotH - (y / yMax) * plotH;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<title>${xmlText(plot.title)}</title>`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${WIDTH / 2}" y="20" text-anchor="middle" font-size="14">${xmlText(plot.title)}</text>`,
  ];
  for (let y = 0; y <= yMax + yStep / 2; y += yStep) {
    const py = ty(y).toFixed(1);
    out.push(
      `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${py}" y2="${py}" stroke="#ddd"/>`,
      `<text x="${MARGIN.left - 6}" y="${py}" text-anchor="end" dominant-baseline="middle">${compact(y)}</text>`,
    );
  }
  const xTicks = [...new Set(xs)].sort((a, b) => a - b);
  for (const x of xTicks) {
    const px = tx(x).toFixed(1);
    out.push(
      `<line x1="${px}" x2="${px}" y1="${MARGIN.top + plotH}" y2="${MARGIN.top + plotH + 4}" stroke="#333"/>`,
      `<text x="${px}" y="${MARGIN.top + plotH + 16}" text-anchor="middle">${compact(x)}</text>`,
    );
  }
  out.push(
    `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${MARGIN.top + plotH}" y2="${MARGIN.top + plotH}" stroke="#333"/>`,
    `<line x1="${MARGIN.left}" x2="${MARGIN.left}" y1="${MARGIN.top}" y2="${MARGIN.top + plotH}" stroke="#333"/>`,
    `<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 30}" text-anchor="middle">${xmlText(plot.xLabel)}</text>`,
    `<text transform="translate(16 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">${xmlText(plot.yLabel)}</text>`,
  );
  plot.series.forEach((series, i) => {
    const colour = COLOURS[i % COLOURS.length];
    const drawn = series.points.filter(drawable);
    const path = drawn.map(([x, y]) => `${tx(x).toFixed(1)},${ty(y).toFixed(1)}`).join(" ");
    out.push(`<polyline fill="none" stroke="${colour}" stroke-width="2" points="${path}"/>`);
    for (const [x, y] of drawn)
      out.push(
        `<circle cx="${tx(x).toFixed(1)}" cy="${ty(y).toFixed(1)}" r="3" fill="${colour}"/>`,
      );
    const lx = MARGIN.left + 8 + i * 150;
    out.push(
      `<rect x="${lx}" y="${HEIGHT - 16}" width="12" height="4" fill="${colour}"/>`,
      `<text x="${lx + 16}" y="${HEIGHT - 12}" dominant-baseline="middle">${xmlText(series.name)}</text>`,
    );
  });
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}
