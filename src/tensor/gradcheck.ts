/**
 * A gradient check anyone can run (notebooks, users adding an op): the autograd gradient of
 * L = Σ w·f(x) (w fixed random weights) against central differences of the same GPU
 * forward, (L(x + εe_j) − L(x − εe_j)) / 2ε, element by element. All perturbed forwards are
 * recorded into one batch and read back once; the sums are taken in float64.
 *
 * The forward runs in f32, so ε is larger than in the tests' check (tests/helpers.ts
 * checkOp differentiates a float64 reference instead) and the tolerances are looser.
 * @module
 */
import { sync } from "../gpu/batch.ts";
import { backward } from "./autograd.ts";
import { concat } from "./ops/shape_ops.ts";
import { Rng } from "./random.ts";
import { tidy } from "./scope.ts";
import { noGrad, type Tensor, tensor } from "./tensor.ts";

/** One differentiable input of the checked function. */
export interface GradCheckInput {
  /** Label of the input in the result rows. */
  name: string;
  /** Shape of the input. */
  shape: number[];
  /** Values of the input. */
  values: ArrayLike<number>;
}

/** The comparison for one input. */
export interface GradCheckRow {
  /** Label of the checked input. */
  input: string;
  /** Number of elements compared. */
  elements: number;
  /** max |analytic − numeric| and the element where it occurs. */
  maxAbsError: number;
  /** Element with the largest error. */
  worstIndex: number;
  /** max |analytic − numeric| / max(|numeric|, atol) over elements. */
  maxRelError: number;
  /** Whether every element has |analytic − numeric| ≤ atol + rtol·|numeric|. */
  ok: boolean;
  /** Gradient from autograd. */
  analytic: Float32Array;
  /** Gradient from central differences. */
  numeric: Float64Array;
}

/** Options of gradCheck. */
export interface GradCheckOptions {
  /** Central-difference step (default 1e-2; f32 forwards need a large one). */
  eps?: number;
  /** Absolute tolerance. */
  atol?: number;
  /** Relative tolerance. */
  rtol?: number;
  /** Seed of the random weights w. */
  seed?: number;
}

function dot(a: ArrayLike<number>, offset: number, w: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < w.length; i++) s += a[offset + i] * w[i];
  return s;
}

/**
 * Checks the autograd gradient of `fn` at `inputs` against central differences; one row per
 * input. Cost: 2 forwards per input element (keep inputs small) and two readbacks.
 */
export async function gradCheck(
  fn: (xs: Tensor[]) => Tensor,
  inputs: GradCheckInput[],
  opts: GradCheckOptions = {},
): Promise<GradCheckRow[]> {
  const eps = opts.eps ?? 1e-2;
  const atol = opts.atol ?? 1e-3;
  const rtol = opts.rtol ?? 2e-2;
  const base = inputs.map((i) => Float32Array.from(i.values));
  // Analytic: backward with seed gradient w.
  const { w, analytic } = await tidy(async () => {
    const xs = inputs.map((input, k) => {
      const t = tensor(base[k], input.shape);
      t.requiresGrad = true;
      return t;
    });
    const y = fn(xs);
    const w = new Rng(opts.seed ?? 7).normals(y.size);
    backward(y, tensor(w, [...y.shape]));
    await sync();
    const analytic: Float32Array[] = [];
    for (const x of xs) {
      if (!x.grad) {
        throw new Error(`gradCheck: input "${inputs[xs.indexOf(x)].name}" got no gradient`);
      }
      analytic.push(await x.grad.data());
      x.grad.dispose();
    }
    return { w, analytic };
  });
  // Numeric: every perturbed forward in one batch, flattened and concatenated, read once.
  const outputs = await tidy(() =>
    noGrad(() => {
      const flat: Tensor[] = [];
      base.forEach((values, k) => {
        for (let j = 0; j < values.length; j++) {
          for (const sign of [1, -1]) {
            const xs = inputs.map((other, m) => {
              if (m !== k) return tensor(base[m], other.shape);
              const v = Float32Array.from(base[m]);
              v[j] += sign * eps;
              return tensor(v, other.shape);
            });
            const y = fn(xs);
            flat.push(y.view([y.size]));
          }
        }
      });
      return flat.length ? concat(flat, 0).data() : Promise.resolve(new Float32Array(0));
    })
  );
  const rows: GradCheckRow[] = [];
  let cursor = 0;
  inputs.forEach((input, k) => {
    const numeric = new Float64Array(base[k].length);
    for (let j = 0; j < numeric.length; j++) {
      const up = dot(outputs, cursor, w);
      const down = dot(outputs, cursor + w.length, w);
      cursor += 2 * w.length;
      // The perturbation actually applied in f32 may differ from eps slightly.
      const step = Math.fround(base[k][j] + eps) - Math.fround(base[k][j] - eps);
      numeric[j] = (up - down) / step;
    }
    const a = analytic[k];
    let maxAbsError = 0;
    let worstIndex = -1;
    let maxRelError = 0;
    let ok = true;
    for (let j = 0; j < numeric.length; j++) {
      const err = Math.abs(a[j] - numeric[j]);
      if (!(err <= atol + rtol * Math.abs(numeric[j]))) ok = false;
      if (err > maxAbsError || Number.isNaN(err)) {
        maxAbsError = err;
        worstIndex = j;
      }
      maxRelError = Math.max(maxRelError, err / Math.max(Math.abs(numeric[j]), atol));
    }
    rows.push({
      input: input.name,
      elements: numeric.length,
      maxAbsError,
      worstIndex,
      maxRelError,
      ok,
      analytic: a,
      numeric,
    });
  });
  return rows;
}
