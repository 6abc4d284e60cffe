/**
 * Notebook display helpers for the Deno Jupyter kernel. Each returns an object implementing
 * the kernel's display protocol (`Deno.jupyter.$display`, i.e. `Symbol.for("Jupyter.display")`,
 * returning a MIME bundle): make it the last expression of a cell, or pass it to `display`
 * to show several outputs from one cell. Outside Jupyter `display` prints the text/plain
 * part, so library code and scripts can call it too.
 *
 * Figures carry plotly's JSON (`application/vnd.plotly.v1+json`, drawn by front ends with a
 * plotly renderer), a PNG and an HTML <img> of that PNG (drawn everywhere else, and what
 * nbconvert's HTML export keeps).
 * @module
 */
import { Buffer } from "node:buffer";
import { type Figure, figureSize, toPlotly } from "./figures.ts";
import {
  type Block,
  type Cell,
  claimsHtml,
  escapeHtml,
  formatNumber,
  tableHtml,
  textToHtml,
} from "./html.ts";
import { type RgbImage, rgbToPng } from "./images.ts";
import { figurePng } from "./png.ts";

/** The key of the Deno kernel's display protocol (`Deno.jupyter.$display`). */
export const JUPYTER_DISPLAY: unique symbol = Symbol.for("Jupyter.display") as never;

/** A MIME bundle: MIME type → data. */
export type MediaBundle = Record<string, unknown>;

/** Something the Deno kernel can display. */
export interface Displayable {
  [JUPYTER_DISPLAY](): MediaBundle;
  /** The text/plain part, also shown by `display` outside Jupyter. */
  toString(): string;
}

/** Wraps a MIME bundle as a displayable object. */
export function displayable(bundle: MediaBundle): Displayable {
  return {
    [JUPYTER_DISPLAY]: () => bundle,
    toString: () => String(bundle["text/plain"] ?? ""),
  };
}

const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");

/** Shows a figure: plotly JSON, a PNG fallback, and an <img> of it. */
export async function showFigure(fig: Figure): Promise<Displayable> {
  const plotly = toPlotly(fig);
  const png = base64(await figurePng(fig));
  const { width } = figureSize(fig);
  return displayable({
    "application/vnd.plotly.v1+json": plotly,
    "image/png": png,
    "text/html": `<img src="data:image/png;base64,${png}" width="${width}" alt="${
      escapeHtml(fig.title)
    }">`,
    "text/plain": `[figure: ${fig.title}]`,
  });
}

/**
 * Shows an image: PNG bytes, or an RGB image (upscaled `scale` times with nearest-neighbour;
 * default: up to about 256 px wide).
 */
export async function showImage(
  image: Uint8Array | RgbImage,
  opts: { scale?: number; caption?: string; width?: number } = {},
): Promise<Displayable> {
  const png = image instanceof Uint8Array
    ? image
    : await rgbToPng(image, opts.scale ?? Math.max(1, Math.floor(256 / image.width)));
  const data = base64(png);
  const caption = opts.caption
    ? `<div style="color:#555;font-size:.9em">${escapeHtml(opts.caption)}</div>`
    : "";
  const width = opts.width ? ` width="${opts.width}"` : "";
  return displayable({
    "image/png": data,
    "text/html": `<figure style="margin:0"><img src="data:image/png;base64,${data}"${width} ` +
      `style="image-rendering:pixelated" alt="${
        escapeHtml(opts.caption ?? "image")
      }">${caption}</figure>`,
    "text/plain": `[image${opts.caption ? `: ${opts.caption}` : ""}]`,
  });
}

/** Rows as aligned text columns. */
export function formatTextTable(columns: string[], rows: Cell[][], digits = 3): string {
  const text = (
    c: Cell,
  ) => (c === null ? "–" : typeof c === "number" ? formatNumber(c, digits) : c);
  const cells = [columns, ...rows.map((r) => r.map(text))];
  const widths = columns.map((_, k) => Math.max(...cells.map((r) => (r[k] ?? "").length)));
  return cells.map((r) => r.map((c, k) => c.padEnd(widths[k])).join("  ").trimEnd()).join("\n");
}

/**
 * Shows a table: an array of records (columns = keys of the first record, or `columns`) as
 * HTML, with an aligned text version.
 */
export function showTable(
  rows: Record<string, Cell>[],
  opts: { columns?: string[]; caption?: string; digits?: number } = {},
): Displayable {
  const columns = opts.columns ?? Object.keys(rows[0] ?? {});
  const matrix = rows.map((r) => columns.map((c) => r[c] ?? null));
  return displayable({
    "text/html": (opts.caption
      ? `<div style="color:#555;margin:.2rem 0">${escapeHtml(opts.caption)}</div>`
      : "") +
      tableHtml(columns, matrix, { digits: opts.digits }) + TABLE_STYLE,
    "text/plain": (opts.caption ? `${opts.caption}\n` : "") +
      formatTextTable(columns, matrix, opts.digits),
  });
}

const TABLE_STYLE =
  `<style>table.data{border-collapse:collapse}table.data th,table.data td{padding:.2rem .6rem;` +
  `border-bottom:1px solid #ddd;text-align:left}table.data td.num{text-align:right;font-variant-numeric:tabular-nums}` +
  `table.data caption{text-align:left;color:#555}</style>`;

const CLAIMS_STYLE =
  `<style>table.claims{border-collapse:collapse}table.claims th,table.claims td{` +
  `padding:.25rem .6rem;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}` +
  `.badge{display:inline-block;padding:.05rem .5rem;border-radius:1rem;font-size:.85em;` +
  `font-weight:600;white-space:nowrap}.badge.holds{background:#d9f2e3;color:#125d32}` +
  `.badge.fails{background:#fbdcdc;color:#8a1c1c}.badge.inconclusive{background:#fdf0cf;` +
  `color:#7a5400}.badge.pending{border:1px dashed #bbb;color:#888}.note{color:#666;` +
  `font-size:.85em}</style>`;

/**
 * Shows a report block (src/report/html.ts): a table (with its caption), a claims table, a
 * figure, text or an image, as the HTML report shows it.
 */
export async function showBlock(block: Block): Promise<Displayable> {
  switch (block.kind) {
    case "table": {
      const rows = block.rows.map((r) =>
        Object.fromEntries(block.columns.map((c, i) => [c, r[i]]))
      );
      // Repeated or empty column names would collapse as record keys: use the matrix.
      const caption = block.caption
        ? `<div style="color:#555;margin:.2rem 0">${escapeHtml(block.caption)}</div>`
        : "";
      return new Set(block.columns).size === block.columns.length
        ? showTable(rows, { columns: block.columns, caption: block.caption, digits: block.digits })
        : displayable({
          "text/html": caption + tableHtml(block.columns, block.rows, block) + TABLE_STYLE,
          "text/plain": formatTextTable(block.columns, block.rows, block.digits),
        });
    }
    case "claims":
      return displayable({
        "text/html": claimsHtml(block.claims) + CLAIMS_STYLE,
        "text/plain": block.claims.map((c) => `${c.id} ${c.verdict}: ${c.claim} (${c.measured})`)
          .join("\n"),
      });
    case "figure":
      return await showFigure(block.figure);
    case "text":
      return showHtml(textToHtml(block.text), block.text);
    case "html":
      return showHtml(block.html);
    case "image":
      return await showImage(block.png, { caption: block.caption, width: block.width });
  }
}

/** Shows HTML (trusted: produced by library code). */
export function showHtml(html: string, plain = "[html]"): Displayable {
  return displayable({ "text/html": html, "text/plain": plain });
}

interface JupyterNamespace {
  display(obj: unknown, options?: { raw?: boolean }): Promise<void>;
}

/** `Deno.jupyter` inside the kernel; undefined elsewhere (where reading it may throw). */
function jupyterNamespace(): JupyterNamespace | undefined {
  try {
    return (Deno as unknown as { jupyter?: JupyterNamespace }).jupyter;
  } catch {
    return undefined;
  }
}

/** Displays each item now (several outputs from one cell); prints text outside Jupyter. */
export async function display(...items: (Displayable | string)[]): Promise<void> {
  const jupyter = jupyterNamespace();
  for (const item of items) {
    if (jupyter && typeof item !== "string") await jupyter.display(item);
    else if (jupyter) await jupyter.display({ "text/plain": item }, { raw: true });
    else console.log(String(item));
  }
}
