/**
 * Linear-probe fitting speed: the issue's target is a probe on 5k×128 features with the
 * whole L2 sweep in ≤ 30 s on this machine. Features are synthetic with a planted linear
 * rule (`plantedProbeData`), L2-normalised like the probe's real input; 100 classes (the
 * fine labels' count); 4,000 rows train, 1,000 validate (the 5k), and 2,000 test.
 *
 * Run alone: `deno run -A src/bench/probe_bench.ts [--rows 5000] [--dim 128] [--classes 100]`.
 * @module
 */

import { parseArgs } from "node:util";
import { Rng } from "../tensor/random.ts";
import { getGpu } from "../gpu/device.ts";
import { linearProbe, type LinearProbeOptions, type ProbeData } from "../eval/probes/linear.ts";

/**
 * n unit-norm rows x ~ N(0, I)/‖·‖ of dimension d, labelled by a planted rule
 * y = argmax_k (x·W* + noise·ε)_k with W* ~ N(0, 1) [d, k]: a linear rule, recoverable
 * exactly when noise = 0.
 */
export function plantedProbeData(
  n: number,
  d: number,
  k: number,
  seed: number,
  noise = 0,
  rule?: Float32Array,
): { data: ProbeData; rule: Float32Array } {
  const rng = new Rng(seed);
  const w = rule ?? new Rng(seed ^ 0x5eed).normals(d * k);
  const x = new Float32Array(n * d);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const row = rng.normals(d);
    let norm = 0;
    for (const v of row) norm += v * v;
    norm = Math.sqrt(norm);
    for (let j = 0; j < d; j++) x[i * d + j] = row[j] / norm;
    let best = -Infinity;
    for (let c = 0; c < k; c++) {
      let s = noise > 0 ? noise * rng.normal() : 0;
      for (let j = 0; j < d; j++) s += x[i * d + j] * w[j * k + c];
      if (s > best) [best, y[i]] = [s, c];
    }
  }
  return { data: { x, y, n, d }, rule: w };
}

/** One benchmark measurement. */
export interface ProbeBenchResult {
  rows: number;
  dim: number;
  classes: number;
  grid: number[];
  seconds: number;
  steps: number;
  converged: boolean;
  chosenC: number;
  valTop1: number;
  testTop1: number;
}

/** Fits one probe (train + val = `rows`, 80/20) with the sweep and times it. */
export async function benchLinearProbe(
  rows = 5000,
  dim = 128,
  classes = 100,
  opts: LinearProbeOptions = {},
): Promise<ProbeBenchResult> {
  await getGpu();
  const nVal = Math.round(rows / 5);
  const { data: train, rule } = plantedProbeData(rows - nVal, dim, classes, 1, 0.1);
  const { data: val } = plantedProbeData(nVal, dim, classes, 2, 0.1, rule);
  const { data: test } = plantedProbeData(2000, dim, classes, 3, 0.1, rule);
  const t0 = performance.now();
  const r = await linearProbe(train, val, test, classes, opts);
  const seconds = (performance.now() - t0) / 1000;
  return {
    rows,
    dim,
    classes,
    grid: r.fit.sweep.map((s) => s.c),
    seconds,
    steps: r.fit.steps,
    converged: r.fit.converged,
    chosenC: r.fit.c,
    valTop1: r.fit.sweep[r.fit.chosen].valTop1,
    testTop1: r.testTop1,
  };
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      rows: { type: "string", default: "5000" },
      dim: { type: "string", default: "128" },
      classes: { type: "string", default: "100" },
    },
  });
  const r = await benchLinearProbe(Number(values.rows), Number(values.dim), Number(values.classes));
  console.log(
    `linear probe ${r.rows}×${r.dim}, ${r.classes} classes, C grid [${r.grid.join(", ")}]: ` +
      `${r.seconds.toFixed(1)} s, ${r.steps} steps (${
        r.converged ? "converged" : "step budget"
      }), ` +
      `chosen C ${r.chosenC}, val ${r.valTop1.toFixed(3)}, test ${r.testTop1.toFixed(3)}`,
  );
}
