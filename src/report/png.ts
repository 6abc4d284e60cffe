/**
 * Static PNG fallback of a figure: a small SVG chart renderer, rasterised by sharp (librsvg).
 * Text is drawn with the world's stroke font (src/world/glyphs.ts) as paths, because a fresh
 * machine may have no system fonts and librsvg then draws no text at all; the stroke font
 * writes letters upper-case. The PNG is what a reader sees without JavaScript (report) and
 * what notebook front ends without a plotly renderer show.
 * @module
 */
import sharp from "sharp";
import { glyphAdvance, hasGlyph, textPolylines } from "../world/glyphs.ts";
import {
  errorExtents,
  type Figure,
  figureSize,
  type HeatmapFigure,
  seriesColor,
  validateFigure,
  type XYFigure,
} from "./figures.ts";

/** Characters the stroke font lacks, spelled with ones it has. */
const SUBSTITUTES: Record<string, string> = {
  "&": "+",
  "·": ".",
  "–": "-",
  "—": "-",
  "−": "-",
  "±": "+-",
  "≤": "<=",
  "≥": ">=",
  "[": "(",
  "]": ")",
};

function drawable(text: string): string {
  return [...text].map((c) => (hasGlyph(c) ? c : SUBSTITUTES[c] ?? "")).join("");
}

/** Width in px of `text` drawn at glyph height `size`. */
export function strokeTextWidth(text: string, size: number): number {
  const n = [...drawable(text)].length;
  return n === 0 ? 0 : n * glyphAdvance(size) - (size / 6) * 1.5;
}

const fmt = (v: number) => Number(v.toFixed(2));

/** SVG path of `text` in the stroke font; (x, y) is the anchor at the text's vertical middle. */
export function strokeText(
  text: string,
  x: number,
  y: number,
  size: number,
  opts: { anchor?: "start" | "middle" | "end"; color?: string; rotate?: number; weight?: number } =
    {},
): string {
  const s = drawable(text);
  if (!s) return "";
  const width = strokeTextWidth(s, size);
  const anchor = opts.anchor ?? "start";
  const x0 = anchor === "start" ? 0 : anchor === "middle" ? -width / 2 : -width;
  const d = textPolylines(s, x0, -size / 2, size)
    .map((line) => "M" + line.map(fmt).join(" ").replace(/^(\S+ \S+)/, "$1L"))
    .join("");
  const transform = `translate(${fmt(x)} ${fmt(y)})${opts.rotate ? ` rotate(${opts.rotate})` : ""}`;
  const stroke = opts.weight ?? Math.max(0.9, size / 7);
  return `<path transform="${transform}" d="${d}" fill="none" stroke="${opts.color ?? "#222"}" ` +
    `stroke-width="${fmt(stroke)}" stroke-linecap="round" stroke-linejoin="round"/>`;
}

/** Around five round tick values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, target = 5): number[] {
  if (!(hi > lo)) {
    const pad = Math.abs(lo) > 0 ? Math.abs(lo) * 0.1 : 1;
    return niceTicks(lo - pad, hi + pad, target);
  }
  const raw = (hi - lo) / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = Math.floor(lo / step) * step; v <= hi + step * 1e-9; v += step) {
    ticks.push(Number(v.toPrecision(12)));
  }
  if (ticks[ticks.length - 1] < hi) {
    ticks.push(Number((ticks[ticks.length - 1] + step).toPrecision(12)));
  }
  return ticks;
}

function tickLabel(v: number): string {
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(1).replace("e+", "e");
  return String(Number(v.toPrecision(4)));
}

const VIRIDIS = [
  "#440154",
  "#482878",
  "#3e4989",
  "#31688e",
  "#26828e",
  "#1f9e89",
  "#35b779",
  "#6ece58",
  "#b5de2b",
  "#fde725",
];

function hexToRgb(hex: string): number[] {
  return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
}

/** Viridis colour of t in [0, 1]. */
export function viridis(t: number): string {
  const u = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(u));
  const a = hexToRgb(VIRIDIS[i]);
  const b = hexToRgb(VIRIDIS[i + 1]);
  const c = a.map((v, k) => Math.round(v + (b[k] - v) * (u - i)));
  return `rgb(${c.join(",")})`;
}

interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
  /** Where the x-axis title goes (below the tick labels). */
  xLabelY: number;
}

function header(fig: Figure, f: Frame): string {
  // Long titles shrink to the figure's width.
  const size = Math.min(14, (14 * (f.width - 32)) / Math.max(1, strokeTextWidth(fig.title, 14)));
  let out = strokeText(fig.title, 16, 22, size, { color: "#111", weight: Math.min(1.7, size / 8) });
  if (fig.yLabel) {
    out += strokeText(
      fitText(fig.yLabel, 11, f.bottom - f.top + 30),
      16,
      (f.top + f.bottom) / 2,
      11,
      {
        anchor: "middle",
        rotate: -90,
        color: "#333",
      },
    );
  }
  if (fig.xLabel) {
    out += strokeText(fig.xLabel, (f.left + f.right) / 2, f.xLabelY, 11, {
      anchor: "middle",
      color: "#333",
    });
  }
  return out;
}

function yAxis(f: Frame, ticks: number[], y: (v: number) => number): string {
  let out = "";
  for (const t of ticks) {
    out += `<line x1="${f.left}" x2="${f.right}" y1="${fmt(y(t))}" y2="${
      fmt(y(t))
    }" stroke="#e5e5e5"/>`;
    out += strokeText(tickLabel(t), f.left - 6, y(t), 9, { anchor: "end", color: "#444" });
  }
  out += `<line x1="${f.left}" x2="${f.left}" y1="${f.top}" y2="${f.bottom}" stroke="#444"/>`;
  out += `<line x1="${f.left}" x2="${f.right}" y1="${f.bottom}" y2="${f.bottom}" stroke="#444"/>`;
  return out;
}

/** `text`, shortened with "..." until it is at most `maxWidth` px wide at glyph height `size`. */
export function fitText(text: string, size: number, maxWidth: number): string {
  if (strokeTextWidth(text, size) <= maxWidth) return text;
  let n = text.length;
  while (n > 1 && strokeTextWidth(`${text.slice(0, n)}...`, size) > maxWidth) n--;
  return `${text.slice(0, n).trimEnd()}...`;
}

/** Legend entries laid out left to right, wrapping into rows within [left, right]. */
function legendLayout(names: string[], left: number, right: number) {
  const items: { x: number; row: number }[] = [];
  let [x, row] = [left, 0];
  for (const name of names) {
    const w = 20 + strokeTextWidth(name, 10) + 22;
    if (x > left && x + w - 22 > right) [x, row] = [left, row + 1];
    items.push({ x, row });
    x += w;
  }
  return { items, rows: names.length ? row + 1 : 0 };
}

const LEGEND_ROW = 18;

function xySvg(fig: XYFigure, width: number, height: number): string {
  const legend = fig.series.length > 1;
  const categorical = fig.kind === "bar" ||
    fig.series.some((s) => s.x.some((v) => typeof v === "string"));
  const categories = categorical ? [...new Set(fig.series.flatMap((s) => s.x.map(String)))] : [];
  const layout = legendLayout(legend ? fig.series.map((s) => s.name) : [], 62, width - 20);
  const legendSpace = legend ? 6 + LEGEND_ROW * layout.rows : 0;
  const f: Frame = {
    width,
    height,
    left: 62,
    right: width - 20,
    top: 44,
    bottom: height - 48 - legendSpace,
    xLabelY: 0,
  };
  const band = categorical ? (f.right - f.left) / Math.max(1, categories.length) : 0;
  const longest = Math.max(0, ...categories.map((c) => strokeTextWidth(c, 9)));
  const rotateLabels = categorical && longest > band - 4;
  // Rotated by −35°, a label of width w reaches 0.57·w below the axis and 0.82·w to the left
  // of its category: shorten labels that would leave the picture.
  const drop = Math.min(longest * 0.6, height * 0.3);
  const labels = categories.map((c, i) =>
    rotateLabels
      ? fitText(c, 9, Math.min(drop / 0.57, (f.left + band * (i + 0.5) - 4) / 0.82))
      : fitText(c, 9, Math.max(band - 4, 24))
  );
  if (rotateLabels) f.bottom -= drop;
  f.xLabelY = rotateLabels ? height - 14 - legendSpace : f.bottom + 32;
  // y extent: data, error bars, references, and zero for bars.
  const ys: number[] = [];
  for (const s of fig.series) {
    const e = errorExtents(s.error);
    s.y.forEach((v, i) => {
      if (!Number.isFinite(v)) return;
      ys.push(v);
      if (e) ys.push(v - e.minus[i], v + e.plus[i]);
    });
  }
  for (const r of fig.references ?? []) ys.push(r.y);
  if (fig.kind === "bar") ys.push(0);
  // All-zero bars (e.g. a model at 0 %) get an axis from 0 up, not one centred on 0.
  if (fig.kind === "bar" && !ys.some((v) => v !== 0)) ys.push(1);
  const [lo, hi] = fig.yRange ?? [Math.min(...ys), Math.max(...ys)];
  const yTicks = fig.yRange
    ? niceTicks(lo, hi).filter((t) => t >= lo - 1e-9 && t <= hi + 1e-9)
    : niceTicks(lo, hi);
  const y0 = fig.yRange ? lo : yTicks[0];
  const y1 = fig.yRange ? hi : yTicks[yTicks.length - 1];
  const y = (v: number) => f.bottom - ((v - y0) / (y1 - y0 || 1)) * (f.bottom - f.top);
  // x: bands for categories, linear otherwise.
  let x: (v: string | number, series: number) => number;
  let out = yAxis(f, yTicks, y);
  const nSeries = fig.series.length;
  const barWidth = fig.kind === "bar" ? (band * 0.8) / nSeries : 0;
  if (categorical) {
    const index = new Map(categories.map((c, i) => [c, i]));
    x = (v, s) => {
      const center = f.left + band * (index.get(String(v))! + 0.5);
      return fig.kind === "bar" ? center - band * 0.4 + barWidth * (s + 0.5) : center;
    };
    labels.forEach((c, i) => {
      const cx = f.left + band * (i + 0.5);
      out += rotateLabels
        ? strokeText(c, cx, f.bottom + 10, 9, { anchor: "end", rotate: -35, color: "#444" })
        : strokeText(c, cx, f.bottom + 12, 9, { anchor: "middle", color: "#444" });
    });
  } else {
    const xs = fig.series.flatMap((s) => s.x as number[]);
    const xTicks = niceTicks(Math.min(...xs), Math.max(...xs));
    const x0 = xTicks[0];
    const x1 = xTicks[xTicks.length - 1];
    x = (v) => f.left + ((Number(v) - x0) / (x1 - x0 || 1)) * (f.right - f.left);
    for (const t of xTicks) {
      out += strokeText(tickLabel(t), x(t, 0), f.bottom + 12, 9, {
        anchor: "middle",
        color: "#444",
      });
    }
  }
  fig.series.forEach((s, k) => {
    const color = seriesColor(s, k);
    const pts = s.x.map((v, i) => [x(v, k), y(s.y[i])] as const).filter(([, py]) =>
      Number.isFinite(py)
    );
    if (fig.kind === "bar") {
      for (const [px, py] of pts) {
        const top = Math.min(py, y(Math.max(0, y0)));
        const h = Math.abs(py - y(Math.max(0, y0)));
        out += `<rect x="${fmt(px - barWidth / 2)}" y="${fmt(top)}" width="${
          fmt(barWidth)
        }" height="${fmt(h)}" fill="${color}"/>`;
      }
    } else {
      if (fig.kind === "line" && pts.length > 1) {
        out += `<polyline points="${
          pts.map(([px, py]) => `${fmt(px)},${fmt(py)}`).join(" ")
        }" fill="none" stroke="${color}" stroke-width="2"/>`;
      }
      for (const [px, py] of pts) {
        out += `<circle cx="${fmt(px)}" cy="${fmt(py)}" r="${
          fig.kind === "line" ? 3 : 4
        }" fill="${color}"/>`;
      }
    }
    const e = errorExtents(s.error);
    if (e) {
      s.x.forEach((v, i) => {
        if (!Number.isFinite(s.y[i])) return;
        const px = x(v, k);
        const a = y(s.y[i] - e.minus[i]);
        const b = y(s.y[i] + e.plus[i]);
        out += `<path d="M${fmt(px)} ${fmt(a)}V${fmt(b)}M${fmt(px - 4)} ${fmt(a)}h8M${
          fmt(px - 4)
        } ${fmt(b)}h8" stroke="#333" stroke-width="1.2" fill="none"/>`;
      });
    }
  });
  for (const r of fig.references ?? []) {
    out += `<line x1="${f.left}" x2="${f.right}" y1="${fmt(y(r.y))}" y2="${
      fmt(y(r.y))
    }" stroke="#888" stroke-width="1.5" stroke-dasharray="6 4"/>`;
    out += strokeText(r.label, f.right - 2, y(r.y) - 8, 9, { anchor: "end", color: "#555" });
  }
  if (legend) {
    fig.series.forEach((s, k) => {
      const { x: lx, row } = layout.items[k];
      const ly = height - 12 - LEGEND_ROW * (layout.rows - 1 - row);
      const name = fitText(s.name, 10, f.right - lx - 20);
      out += `<rect x="${fmt(lx)}" y="${ly - 5}" width="14" height="10" fill="${
        seriesColor(s, k)
      }"/>`;
      out += strokeText(name, lx + 20, ly, 10, { color: "#333" });
    });
  }
  return header(fig, f) + out;
}

function heatmapSvg(fig: HeatmapFigure, width: number, height: number): string {
  const rows = fig.z.length;
  const cols = fig.z[0].length;
  const f: Frame = {
    width,
    height,
    left: 62,
    right: width - 90,
    top: 44,
    bottom: height - 48,
    xLabelY: height - 16,
  };
  const flat = fig.z.flat().filter(Number.isFinite);
  const [zlo, zhi] = fig.zRange ?? [Math.min(...flat), Math.max(...flat)];
  const t = (v: number) => (v - zlo) / (zhi - zlo || 1);
  const cw = (f.right - f.left) / cols;
  const ch = (f.bottom - f.top) / rows;
  let out = "";
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      // Row 0 at the bottom, as plotly draws it.
      out += `<rect x="${fmt(f.left + c * cw)}" y="${fmt(f.bottom - (r + 1) * ch)}" width="${
        fmt(cw + 0.3)
      }" height="${fmt(ch + 0.3)}" fill="${viridis(t(fig.z[r][c]))}"/>`;
    }
  }
  // Label every k-th row/column so that labels keep ≥ 14 px apart.
  const xStep = Math.max(1, Math.ceil(14 / cw));
  const yStep = Math.max(1, Math.ceil(14 / ch));
  for (let c = 0; c < cols; c += xStep) {
    out += strokeText(String(fig.xLabels?.[c] ?? c), f.left + (c + 0.5) * cw, f.bottom + 12, 9, {
      anchor: "middle",
      color: "#444",
    });
  }
  for (let r = 0; r < rows; r += yStep) {
    out += strokeText(String(fig.yLabels?.[r] ?? r), f.left - 6, f.bottom - (r + 0.5) * ch, 9, {
      anchor: "end",
      color: "#444",
    });
  }
  // Colour bar.
  const bx = f.right + 16;
  const steps = 32;
  for (let i = 0; i < steps; i++) {
    const h = (f.bottom - f.top) / steps;
    out += `<rect x="${bx}" y="${fmt(f.bottom - (i + 1) * h)}" width="14" height="${
      fmt(h + 0.3)
    }" fill="${viridis((i + 0.5) / steps)}"/>`;
  }
  for (const tick of niceTicks(zlo, zhi).filter((v) => v >= zlo - 1e-9 && v <= zhi + 1e-9)) {
    const ty = f.bottom - t(tick) * (f.bottom - f.top);
    out += strokeText(tickLabel(tick), bx + 20, ty, 9, { color: "#444" });
  }
  return header(fig, f) + out;
}

/** The figure as an SVG document drawn with the stroke font (no system fonts needed). */
export function figureSvg(fig: Figure, scale = 1): string {
  validateFigure(fig);
  const { width, height } = figureSize(fig);
  const body = fig.kind === "heatmap" ? heatmapSvg(fig, width, height) : xySvg(fig, width, height);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width * scale}" height="${
    height * scale
  }" ` +
    `viewBox="0 0 ${width} ${height}"><rect width="${width}" height="${height}" fill="#ffffff"/>${body}</svg>`;
}

/** The figure as PNG bytes, at `scale` × its pixel size (2 for sharp text on high-DPI screens). */
export async function figurePng(fig: Figure, scale = 2): Promise<Uint8Array> {
  const buffer = await sharp(new TextEncoder().encode(figureSvg(fig, scale))).png().toBuffer();
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}
