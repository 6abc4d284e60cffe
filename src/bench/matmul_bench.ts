/**
 * Matmul benchmarks: every kernel version at the shapes the team benchmarks. Each
 * measurement records the matmul `reps` times in one batch and waits once (a readback costs
 * ≥ 11 ms on lavapipe, so it is amortised), repeated; medians are reported with the range.
 * Run: `deno run -A src/bench/matmul_bench.ts` (add LP_NUM_THREADS=4 to compare).
 * @module
 */

import { getGpu } from "../gpu/device.ts";
import { sync } from "../gpu/batch.ts";
import { tensor } from "../tensor/tensor.ts";
import { tidy } from "../tensor/scope.ts";
import { Rng } from "../tensor/random.ts";
import {
  matmul,
  matmulConversionOnly,
  type MatmulOptions,
  type MatmulVersion,
} from "../tensor/ops/matmul.ts";
import { median } from "./timing.ts";

/** One benchmarked shape: batch × (M×K)·(K×N). */
export interface MatmulShape {
  batch: number;
  m: number;
  k: number;
  n: number;
}

/** One measurement. */
export interface MatmulBenchResult {
  /** Kernel version, e.g. "matmul_4", or "convert (matmul_4)" for the conversion alone. */
  name: string;
  shape: string;
  /** Median GFLOP/s (2·M·N·K per batch matrix) and its range over repeats. */
  gflops: number;
  gflopsRange: [number, number];
  /** Median milliseconds per matmul and range. */
  ms: number;
  msRange: [number, number];
}

/** The shapes the team benchmarks. */
export const MATMUL_SHAPES: MatmulShape[] = [
  { batch: 1, m: 4096, k: 128, n: 128 },
  { batch: 1, m: 4096, k: 128, n: 512 },
  { batch: 1, m: 4096, k: 512, n: 128 },
  { batch: 1, m: 1024, k: 1024, n: 1024 },
  { batch: 64, m: 64, k: 32, n: 64 },
];

export function shapeName(s: MatmulShape): string {
  return `${s.batch > 1 ? `${s.batch} × ` : ""}(${s.m}×${s.k})·(${s.k}×${s.n})`;
}

/** Times `record` (which records one op) and returns ms per op: median and range. */
export async function timeRecorded(
  record: () => void,
  opts: { targetMs?: number; repeats?: number } = {},
): Promise<{ ms: number; min: number; max: number }> {
  const targetMs = opts.targetMs ?? 250;
  const repeats = opts.repeats ?? 7;
  // Warm-up: compiles pipelines and fills the pools, then sizes the batch.
  let t0 = performance.now();
  await tidy(async () => {
    record();
    await sync();
  });
  t0 = performance.now();
  await tidy(async () => {
    for (let i = 0; i < 3; i++) record();
    await sync();
  });
  const est = Math.max((performance.now() - t0) / 3, 0.01);
  const reps = Math.max(3, Math.min(2000, Math.round(targetMs / est)));
  const times: number[] = [];
  for (let r = 0; r < repeats; r++) {
    await tidy(async () => {
      const start = performance.now();
      for (let i = 0; i < reps; i++) record();
      await sync();
      times.push((performance.now() - start) / reps);
    });
  }
  return { ms: median(times), min: Math.min(...times), max: Math.max(...times) };
}

/** Benchmarks the given versions at the given shapes (all by default). */
export async function benchMatmul(opts: {
  versions?: MatmulVersion[];
  shapes?: MatmulShape[];
  /** Also time the buffer→texture conversion alone for the texture versions. */
  conversion?: boolean;
  workgroup?: [number, number];
  repeats?: number;
  targetMs?: number;
} = {}): Promise<MatmulBenchResult[]> {
  await getGpu();
  const versions = opts.versions ?? [1, 2, 3, 4];
  const shapes = opts.shapes ?? MATMUL_SHAPES;
  const results: MatmulBenchResult[] = [];
  const rng = new Rng(5);
  for (const s of shapes) {
    const aShape = s.batch > 1 ? [s.batch, s.m, s.k] : [s.m, s.k];
    const bShape = s.batch > 1 ? [s.batch, s.k, s.n] : [s.k, s.n];
    const a = tensor(rng.normals(s.batch * s.m * s.k), aShape);
    const b = tensor(rng.normals(s.batch * s.k * s.n), bShape);
    const flops = 2 * s.batch * s.m * s.n * s.k;
    const push = (name: string, t: { ms: number; min: number; max: number }) =>
      results.push({
        name,
        shape: shapeName(s),
        ms: t.ms,
        msRange: [t.min, t.max],
        gflops: flops / t.ms / 1e6,
        gflopsRange: [flops / t.max / 1e6, flops / t.min / 1e6],
      });
    for (const version of versions) {
      const mo: MatmulOptions = { version, workgroup: opts.workgroup };
      push(`matmul_${version}`, await timeRecorded(() => matmul(a, b, mo), opts));
      if (opts.conversion && version >= 3) {
        push(
          `convert (matmul_${version})`,
          await timeRecorded(() => matmulConversionOnly(a, b, mo), opts),
        );
      }
    }
    a.dispose();
    b.dispose();
  }
  return results;
}

/** Formats results as an aligned text table. */
export function formatMatmulResults(results: MatmulBenchResult[]): string {
  return results.map((r) =>
    `${r.name.padEnd(22)} ${r.shape.padEnd(28)} ${r.gflops.toFixed(1).padStart(6)} GFLOP/s ` +
    `[${r.gflopsRange[0].toFixed(1)}–${r.gflopsRange[1].toFixed(1)}]  ${r.ms.toFixed(3)} ms`
  ).join("\n");
}

if (import.meta.main) {
  const args = Deno.args;
  const versions = args.length ? args.map(Number) as MatmulVersion[] : undefined;
  console.log(`LP_NUM_THREADS=${Deno.env.get("LP_NUM_THREADS") ?? "(default)"}`);
  console.log(formatMatmulResults(await benchMatmul({ versions, conversion: true })));
}
