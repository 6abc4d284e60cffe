/**
 * Views of the engine for notebooks and reports: a tensor as a table, a gradient check as a
 * table and a parity plot, matmul benchmark results as a table and a bar chart.
 * @module
 */
import type { MatmulBenchResult } from "../bench/matmul_bench.ts";
import type { GradCheckRow } from "../tensor/gradcheck.ts";
import type { Tensor } from "../tensor/tensor.ts";
import type { Figure } from "./figures.ts";
import type { Cell } from "./html.ts";

/** A tensor's values as rows of a table (rank ≤ 2; higher ranks are flattened to 2-D). */
export async function tensorRows(t: Tensor, digits = 4): Promise<Record<string, Cell>[]> {
  const values = await t.read();
  const cols = t.rank === 0 ? 1 : t.shape[t.rank - 1];
  const rows: Record<string, Cell>[] = [];
  for (let r = 0; r * cols < values.length; r++) {
    const row: Record<string, Cell> = { row: r };
    for (let c = 0; c < cols; c++) {
      const v = values[r * cols + c];
      // Not a bare number: integer-like keys would sort before "row".
      row[`col ${c}`] = t.dtype === "i32" ? v : Number(v.toFixed(digits));
    }
    rows.push(row);
  }
  return rows;
}

/** Gradient-check rows as table rows. */
export function gradCheckTable(rows: GradCheckRow[]): Record<string, Cell>[] {
  return rows.map((r) => ({
    input: r.input,
    elements: r.elements,
    "max |analytic − numeric|": r.maxAbsError,
    "max relative error": r.maxRelError,
    "within tolerance": r.ok ? "yes" : "NO",
  }));
}

/** Analytic vs numeric gradient, one point per element: on the diagonal when they agree. */
export function gradCheckFigure(rows: GradCheckRow[]): Figure {
  return {
    kind: "scatter",
    title: "Gradient check: autograd vs central differences",
    xLabel: "central difference",
    yLabel: "autograd",
    width: 560,
    height: 420,
    series: rows.map((r) => ({ name: r.input, x: [...r.numeric], y: [...r.analytic] })),
  };
}

/** Benchmark results as table rows. */
export function matmulBenchTable(results: MatmulBenchResult[]): Record<string, Cell>[] {
  return results.map((r) => ({
    kernel: r.name,
    shape: r.shape,
    "GFLOP/s": Number(r.gflops.toFixed(2)),
    range: `${r.gflopsRange[0].toFixed(1)}–${r.gflopsRange[1].toFixed(1)}`,
    "ms per matmul": Number(r.ms.toFixed(3)),
  }));
}

/** GFLOP/s per shape, one bar per kernel version, with the min–max range as error bars. */
export function matmulBenchFigure(results: MatmulBenchResult[], adapter = ""): Figure {
  const kernels = [...new Set(results.map((r) => r.name))];
  return {
    kind: "bar",
    title: `Matmul kernels${adapter ? ` on ${adapter}` : ""}`,
    xLabel: "shape",
    yLabel: "GFLOP/s (median, min–max)",
    series: kernels.map((name) => {
      const rs = results.filter((r) => r.name === name);
      return {
        name,
        x: rs.map((r) => r.shape),
        y: rs.map((r) => r.gflops),
        error: {
          minus: rs.map((r) => r.gflops - r.gflopsRange[0]),
          plus: rs.map((r) => r.gflopsRange[1] - r.gflops),
        },
      };
    }),
  };
}
