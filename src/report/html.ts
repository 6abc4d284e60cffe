/**
 * A self-contained HTML report page: sections of text, tables, claims tables and figures.
 * plotly.js is inlined from the npm package file (so the page works offline); each figure
 * also carries its static PNG as a data URL, shown until plotly has drawn the chart, and
 * kept for readers without JavaScript.
 * @module
 */
import { Buffer } from "node:buffer";
import plotlySource from "plotly.js-dist-min/plotly.min.js" with { type: "text" };
import { type Figure, toPlotly } from "./figures.ts";
import { figurePng } from "./png.ts";
import { writeFileAtomic } from "../io/atomic.ts";

/** The verdict of a claim: computed from the measurement, never written by hand. */
export type Verdict = "holds" | "does not hold" | "inconclusive";

/**
 * What a claims row shows: a computed verdict, or "not run yet" for a claim whose experiment
 * has not run (or not been built): never a verdict by default.
 */
export type ClaimStatus = Verdict | "not run yet";

/** One row of a claims table. */
export interface Claim {
  /** Short id, e.g. "F2". */
  id: string;
  /** The paper's claim in one sentence. */
  claim: string;
  /** Our measurement, e.g. "+3.1 points [1.2, 5.0] (3 seeds)". */
  measured: string;
  /** The paper's number for the same comparison. */
  paper: string;
  verdict: ClaimStatus;
  note?: string;
}

/** A table cell: text, or a number shown with `digits` decimals. */
export type Cell = string | number | null;

/** One block of a section. */
export type Block =
  | { kind: "text"; text: string }
  | { kind: "html"; html: string }
  | { kind: "table"; columns: string[]; rows: Cell[][]; caption?: string; digits?: number }
  | { kind: "claims"; claims: Claim[] }
  | { kind: "figure"; figure: Figure; caption?: string }
  | { kind: "image"; png: Uint8Array; caption?: string; alt: string; width?: number };

/** A titled section of the report. */
export interface Section {
  title: string;
  blocks: Block[];
}

/** The whole report. */
export interface ReportSpec {
  title: string;
  /** A line under the title (run, preset, date). */
  subtitle?: string;
  sections: Section[];
}

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );
}

/** PNG bytes as a data URL. */
export function pngDataUrl(png: Uint8Array): string {
  return `data:image/png;base64,${Buffer.from(png).toString("base64")}`;
}

/** Paragraphs of plain text (blank lines separate paragraphs; `code` in backticks). */
export function textToHtml(text: string): string {
  return text.trim().split(/\n\s*\n/).map((p) =>
    `<p>${escapeHtml(p.replace(/\s*\n\s*/g, " ")).replace(/`([^`]+)`/g, "<code>$1</code>")}</p>`
  ).join("\n");
}

/**
 * A number for a table: integers as they are, tiny or huge magnitudes in exponent form,
 * others with at most `digits` decimals (trailing zeros dropped).
 */
export function formatNumber(value: number, digits = 3): string {
  if (!Number.isFinite(value) || Number.isInteger(value)) return String(value);
  const a = Math.abs(value);
  if (a < 10 ** -digits || a >= 1e7) return value.toExponential(2);
  return String(Number(value.toFixed(digits)));
}

// Inline alignment: notebook front ends right-align every cell with selectors that a
// stylesheet in the output cannot outrank.
function cellHtml(cell: Cell, digits: number): string {
  if (cell === null) return `<td class="empty" style="text-align:center">–</td>`;
  if (typeof cell === "number") {
    return `<td class="num" style="text-align:right">${
      escapeHtml(formatNumber(cell, digits))
    }</td>`;
  }
  // Short single tokens ("1.00e-4", "e0-vit-s", "does not hold") do not break at hyphens.
  const keep = cell.length <= 16 && !/\s/.test(cell.replace(/ (not )?hold$/, ""));
  return `<td style="text-align:left${keep ? ";white-space:nowrap" : ""}">${escapeHtml(cell)}</td>`;
}

/** An HTML table of rows (numbers right-aligned). */
export function tableHtml(
  columns: string[],
  rows: Cell[][],
  opts: { caption?: string; digits?: number } = {},
): string {
  const head = columns.map((c) => `<th style="text-align:left">${escapeHtml(c)}</th>`).join("");
  const body = rows.map((r) => `<tr>${r.map((c) => cellHtml(c, opts.digits ?? 3)).join("")}</tr>`)
    .join("\n");
  const caption = opts.caption ? `<caption>${escapeHtml(opts.caption)}</caption>` : "";
  return `<table class="data">${caption}<thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/** The CSS class of a verdict badge. */
export function verdictClass(verdict: ClaimStatus): string {
  return verdict === "holds"
    ? "holds"
    : verdict === "does not hold"
    ? "fails"
    : verdict === "inconclusive"
    ? "inconclusive"
    : "pending";
}

/** A claims table: claim, our measurement, the paper's number, a verdict badge. */
export function claimsHtml(claims: Claim[]): string {
  const rows = claims.map((c) =>
    `<tr${c.verdict === "not run yet" ? ` class="pending"` : ""}><td class="id">${
      escapeHtml(c.id)
    }</td><td>${escapeHtml(c.claim)}` +
    (c.note ? `<div class="note">${escapeHtml(c.note)}</div>` : "") +
    `</td><td>${escapeHtml(c.measured)}</td><td>${escapeHtml(c.paper)}</td>` +
    `<td><span class="badge ${verdictClass(c.verdict)}">${escapeHtml(c.verdict)}</span></td></tr>`
  ).join("\n");
  return `<table class="claims"><thead><tr><th></th><th>claim</th><th>our measurement</th>` +
    `<th>paper</th><th>verdict</th></tr></thead><tbody>\n${rows}\n</tbody></table>`;
}

/** JSON safe to place inside a <script> element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c");
}

async function figureHtml(fig: Figure, id: string, caption?: string): Promise<string> {
  const plotly = toPlotly(fig);
  const { width } = plotly.layout as { width: number };
  const png = await figurePng(fig);
  return `<figure class="chart" style="max-width:${width}px">` +
    `<div class="plot" id="${id}" data-figure="${id}-json">` +
    `<img class="fallback" src="${pngDataUrl(png)}" alt="${
      escapeHtml(fig.title)
    }" width="${width}"></div>` +
    `<script type="application/json" id="${id}-json">${scriptJson(plotly)}</script>` +
    (caption ? `<figcaption>${escapeHtml(caption)}</figcaption>` : "") + `</figure>`;
}

const STYLE = `
body{font:15px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1b1b;max-width:1080px;margin:2rem auto;padding:0 1.2rem}
h1{font-size:1.8rem;margin-bottom:.2rem}h2{margin-top:2.2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}
.subtitle{color:#555;margin-top:0}code{background:#f3f3f3;padding:0 .25em;border-radius:3px}
table{border-collapse:collapse;margin:1rem 0;font-size:.93rem}th,td{padding:.35rem .7rem;border-bottom:1px solid #e3e3e3;text-align:left;vertical-align:top}
th{background:#f7f7f7}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}td.empty{color:#aaa}caption{caption-side:top;text-align:left;color:#555;padding-bottom:.3rem}
.claims td.id{font-weight:600;white-space:nowrap}.note{color:#666;font-size:.85rem;margin-top:.2rem}
.badge{display:inline-block;padding:.1rem .55rem;border-radius:1rem;font-size:.82rem;font-weight:600;white-space:nowrap}
.badge.holds{background:#d9f2e3;color:#125d32}.badge.fails{background:#fbdcdc;color:#8a1c1c}.badge.inconclusive{background:#fdf0cf;color:#7a5400}.badge.pending{background:#fff;color:#888;border:1px dashed #bbb;font-weight:500}
tr.pending td{color:#888}
figure{margin:1.2rem 0}figure.chart .plot{width:100%}figure img{max-width:100%;height:auto}figcaption{color:#555;font-size:.9rem}
nav ul{columns:2;padding-left:1.2rem}`;

/** Draws every figure with plotly and drops its PNG once the chart is on the page. */
const DRAW = `
for (const el of document.querySelectorAll(".plot[data-figure]")) {
  const fig = JSON.parse(document.getElementById(el.dataset.figure).textContent);
  const img = el.querySelector("img.fallback");
  Plotly.newPlot(el, fig.data, Object.assign({}, fig.layout, { autosize: true, width: undefined }),
    { displaylogo: false, responsive: true }).then(() => img && img.remove());
}`;

async function blockHtml(block: Block, id: () => string): Promise<string> {
  switch (block.kind) {
    case "text":
      return textToHtml(block.text);
    case "html":
      return block.html;
    case "table":
      return tableHtml(block.columns, block.rows, block);
    case "claims":
      return claimsHtml(block.claims);
    case "figure":
      return await figureHtml(block.figure, id(), block.caption);
    case "image":
      return `<figure><img src="${pngDataUrl(block.png)}" alt="${escapeHtml(block.alt)}"` +
        (block.width ? ` width="${block.width}"` : "") + `>` +
        (block.caption ? `<figcaption>${escapeHtml(block.caption)}</figcaption>` : "") +
        `</figure>`;
  }
}

/** The report as one self-contained HTML document (about 5 MB: plotly is inlined). */
export async function renderReport(spec: ReportSpec): Promise<string> {
  let figures = 0;
  const nextId = () => `fig${++figures}`;
  const sections: string[] = [];
  for (const [i, section] of spec.sections.entries()) {
    const blocks: string[] = [];
    for (const block of section.blocks) blocks.push(await blockHtml(block, nextId));
    sections.push(
      `<section id="s${i + 1}"><h2>${escapeHtml(section.title)}</h2>\n${
        blocks.join("\n")
      }\n</section>`,
    );
  }
  const nav = spec.sections.length > 2
    ? `<nav><ul>${
      spec.sections.map((s, i) => `<li><a href="#s${i + 1}">${escapeHtml(s.title)}</a></li>`).join(
        "",
      )
    }</ul></nav>`
    : "";
  // The plotly source holds no "</script"; the replace keeps it so if a version ever does.
  const plotly = figures > 0
    ? `<script>${plotlySource.replace(/<\/script/gi, "<\\/script")}</script>`
    : "";
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(spec.title)}</title>
<style>${STYLE}</style>
${plotly}
</head><body>
<h1>${escapeHtml(spec.title)}</h1>
${spec.subtitle ? `<p class="subtitle">${escapeHtml(spec.subtitle)}</p>` : ""}
${nav}
${sections.join("\n")}
${figures > 0 ? `<script>${DRAW}</script>` : ""}
</body></html>
`;
}

/** Renders the report and writes it to `path` atomically (a kill leaves the old file or the new). */
export async function writeReport(path: string, spec: ReportSpec): Promise<void> {
  const page = new TextEncoder().encode(await renderReport(spec));
  await writeFileAtomic(path, page, { sidecar: false });
}
