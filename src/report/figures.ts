/**
 * A small figure spec shared by the report, the notebooks and the PNG fallback: a line,
 * bar or scatter chart of named series (with optional error bars and reference lines), or
 * a heatmap. `toPlotly` turns it into plotly's JSON ({data, layout}); `png.ts` draws the same
 * figure as a static PNG.
 * @module
 */

/** Error bars: symmetric (one half-width per point) or asymmetric (below, above). */
export type ErrorBars = number[] | { minus: number[]; plus: number[] };

/** One named series of a line, bar or scatter chart. */
export interface Series {
  name: string;
  /** Category labels (bar charts, categorical axes) or numbers. */
  x: (string | number)[];
  y: number[];
  error?: ErrorBars;
  /** CSS colour; a palette colour by index when absent. */
  color?: string;
}

/** A horizontal reference line, e.g. chance level or the paper's number. */
export interface ReferenceLine {
  y: number;
  label: string;
}

/** Fields every figure has. */
interface FigureBase {
  title: string;
  xLabel?: string;
  yLabel?: string;
  /** Pixel size of the static image and the initial plotly size (default 720 × 420). */
  width?: number;
  height?: number;
}

/** A line, bar (grouped) or scatter chart. */
export interface XYFigure extends FigureBase {
  kind: "line" | "bar" | "scatter";
  series: Series[];
  yRange?: [number, number];
  references?: ReferenceLine[];
}

/** A heatmap: z[row][column], rows labelled bottom to top as in plotly. */
export interface HeatmapFigure extends FigureBase {
  kind: "heatmap";
  z: number[][];
  xLabels?: (string | number)[];
  yLabels?: (string | number)[];
  /** Colour range (default: min and max of z). */
  zRange?: [number, number];
}

/** Any figure. */
export type Figure = XYFigure | HeatmapFigure;

/** plotly's figure JSON. */
export interface PlotlyFigure {
  data: Record<string, unknown>[];
  layout: Record<string, unknown>;
}

/** Series colours (colour-blind safe, Okabe–Ito order). */
export const PALETTE = [
  "#0072B2",
  "#E69F00",
  "#009E73",
  "#D55E00",
  "#CC79A7",
  "#56B4E9",
  "#F0E442",
  "#000000",
];

/** Colour of series `i` of a figure. */
export function seriesColor(series: Series, i: number): string {
  return series.color ?? PALETTE[i % PALETTE.length];
}

/** The below/above half-widths of error bars, or null. */
export function errorExtents(
  error: ErrorBars | undefined,
): { minus: number[]; plus: number[] } | null {
  if (!error) return null;
  return Array.isArray(error) ? { minus: error, plus: error } : error;
}

/** Default pixel size of a figure. */
export function figureSize(fig: Figure): { width: number; height: number } {
  return { width: fig.width ?? 720, height: fig.height ?? 420 };
}

/** Checks that a figure's arrays agree in length; throws naming the figure and series. */
export function validateFigure(fig: Figure): void {
  const where = `figure "${fig.title}"`;
  if (fig.kind === "heatmap") {
    const cols = fig.z[0]?.length ?? 0;
    if (fig.z.length === 0 || cols === 0) throw new Error(`${where}: empty heatmap`);
    fig.z.forEach((row, i) => {
      if (row.length !== cols) {
        throw new Error(`${where}: row ${i} has ${row.length} values, row 0 has ${cols}`);
      }
    });
    if (fig.xLabels && fig.xLabels.length !== cols) {
      throw new Error(`${where}: ${fig.xLabels.length} x labels for ${cols} columns`);
    }
    if (fig.yLabels && fig.yLabels.length !== fig.z.length) {
      throw new Error(`${where}: ${fig.yLabels.length} y labels for ${fig.z.length} rows`);
    }
    return;
  }
  if (fig.series.length === 0) throw new Error(`${where}: no series`);
  for (const s of fig.series) {
    if (s.x.length !== s.y.length) {
      throw new Error(
        `${where}, series "${s.name}": ${s.x.length} x values, ${s.y.length} y values`,
      );
    }
    const e = errorExtents(s.error);
    if (e && (e.minus.length !== s.y.length || e.plus.length !== s.y.length)) {
      throw new Error(`${where}, series "${s.name}": error bars do not match ${s.y.length} points`);
    }
  }
}

const FONT = { family: "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", size: 13 };

/** The figure as plotly JSON (traces and layout). */
export function toPlotly(fig: Figure): PlotlyFigure {
  validateFigure(fig);
  const { width, height } = figureSize(fig);
  const layout: Record<string, unknown> = {
    title: { text: fig.title, x: 0.02, xanchor: "left" },
    width,
    height,
    font: FONT,
    margin: { l: 64, r: 24, t: 48, b: 56 },
    paper_bgcolor: "#ffffff",
    plot_bgcolor: "#ffffff",
    xaxis: {
      title: { text: fig.xLabel ?? "" },
      showline: true,
      linecolor: "#444",
      zeroline: false,
      automargin: true,
    },
    yaxis: {
      title: { text: fig.yLabel ?? "" },
      showline: true,
      linecolor: "#444",
      gridcolor: "#e5e5e5",
      automargin: true,
    },
  };
  if (fig.kind === "heatmap") {
    const trace: Record<string, unknown> = { type: "heatmap", z: fig.z, colorscale: "Viridis" };
    if (fig.xLabels) trace.x = fig.xLabels;
    if (fig.yLabels) trace.y = fig.yLabels;
    if (fig.zRange) [trace.zmin, trace.zmax] = fig.zRange;
    return { data: [trace], layout };
  }
  if (fig.yRange) (layout.yaxis as Record<string, unknown>).range = fig.yRange;
  if (fig.kind === "bar") layout.barmode = "group";
  layout.showlegend = fig.series.length > 1;
  layout.legend = { orientation: "h", x: 0, y: -0.2 };
  const data = fig.series.map((s, i) => {
    const color = seriesColor(s, i);
    const trace: Record<string, unknown> = { name: s.name, x: s.x, y: s.y };
    if (fig.kind === "bar") Object.assign(trace, { type: "bar", marker: { color } });
    else {
      Object.assign(trace, {
        type: "scatter",
        mode: fig.kind === "line" ? "lines+markers" : "markers",
        marker: { color, size: fig.kind === "line" ? 6 : 8 },
        line: { color, width: 2 },
      });
    }
    const e = errorExtents(s.error);
    if (e) {
      trace.error_y = {
        type: "data",
        symmetric: false,
        array: e.plus,
        arrayminus: e.minus,
        color: "#333",
        thickness: 1.2,
      };
    }
    return trace;
  });
  if (fig.references?.length) {
    layout.shapes = fig.references.map((r) => ({
      type: "line",
      xref: "paper",
      x0: 0,
      x1: 1,
      y0: r.y,
      y1: r.y,
      line: { color: "#888", width: 1.5, dash: "dash" },
    }));
    layout.annotations = fig.references.map((r) => ({
      xref: "paper",
      x: 1,
      xanchor: "right",
      y: r.y,
      yanchor: "bottom",
      text: r.label,
      showarrow: false,
      font: { size: 11, color: "#555" },
    }));
  }
  return { data, layout };
}
