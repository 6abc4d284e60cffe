/**
 * Test helpers: GPU set-up, closeness checks with stated tolerances, and the gradient check
 * (GPU analytic gradient vs central differences of the float64 reference).
 */

import { getGpu } from "../src/gpu/device.ts";
import { sync } from "../src/gpu/batch.ts";
import { type Tensor, tensor } from "../src/tensor/tensor.ts";
import { tidy } from "../src/tensor/scope.ts";
import { backward } from "../src/tensor/autograd.ts";
import { Rng } from "../src/tensor/random.ts";

export { Rng };

/** Initialises the GPU once for a test file. */
export async function gpuReady(): Promise<void> {
  await getGpu();
}

/** Tolerance: |actual − expected| ≤ atol + rtol·|expected|, element by element. */
export interface Tol {
  atol: number;
  rtol: number;
}

/** Asserts two arrays agree within `tol`; the message names the worst element. */
export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: Tol,
  label = "",
): void {
  if (actual.length !== expected.length) {
    throw new Error(`${label}: length ${actual.length} ≠ expected ${expected.length}`);
  }
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i];
    const e = expected[i];
    const bound = tol.atol + tol.rtol * Math.abs(e);
    const err = Math.abs(a - e);
    if (!(err <= bound) && (worst < 0 || err - bound > worstExcess || Number.isNaN(err))) {
      worst = i;
      worstExcess = err - bound;
    }
  }
  if (worst >= 0) {
    throw new Error(
      `${label}: element ${worst} is ${actual[worst]}, expected ${expected[worst]} ` +
        `(atol ${tol.atol}, rtol ${tol.rtol})`,
    );
  }
}

/** One input of a checked op: its shape, values, and whether to check its gradient. */
export interface CheckInput {
  shape: number[];
  values: ArrayLike<number>;
  /** Integer inputs (indices) are uploaded as i32 and never differentiated. */
  int?: boolean;
  /** Skip the gradient of this input (e.g. a mask). */
  noGrad?: boolean;
}

/** The float64 reference of an op: inputs in, flat output out. */
export type Reference = (inputs: Float64Array[]) => Float64Array;

/**
 * Checks an op's forward against its float64 reference and, for every differentiable
 * input, the GPU gradient of L = Σ w·op(x) (w random) against central differences of the
 * reference. Returns nothing; throws with the input and element that disagree.
 */
export async function checkOp(opts: {
  name: string;
  op: (inputs: Tensor[]) => Tensor;
  ref: Reference;
  inputs: CheckInput[];
  forwardTol: Tol;
  gradTol?: Tol;
  /** Central-difference step in the float64 reference. */
  eps?: number;
  seed?: number;
}): Promise<void> {
  const refInputs = opts.inputs.map((i) => Float64Array.from(i.values));
  const expected = opts.ref(refInputs);
  const rng = new Rng(opts.seed ?? 7);
  const w = rng.normals(expected.length);
  const withGrad = opts.gradTol !== undefined;
  const { out, grads } = await tidy(async () => {
    const xs = opts.inputs.map((i) => {
      const t = tensor(
        i.int ? Int32Array.from(i.values) : Float32Array.from(i.values),
        i.shape,
        i.int ? "i32" : "f32",
      );
      t.requiresGrad = withGrad && !i.int && !i.noGrad;
      return t;
    });
    const y = opts.op(xs);
    if (y.size !== expected.length) {
      throw new Error(`${opts.name}: output has ${y.size} elements, reference ${expected.length}`);
    }
    if (withGrad) backward(y, tensor(w, [...y.shape]));
    await sync();
    const out = await y.read();
    const grads = await Promise.all(xs.map((x) => x.grad ? x.grad.read() : null));
    for (const x of xs) x.grad?.dispose();
    return { out, grads };
  });
  assertClose(out, expected, opts.forwardTol, `${opts.name} forward`);
  if (!withGrad) return;
  const eps = opts.eps ?? 1e-4;
  opts.inputs.forEach((input, k) => {
    if (input.int || input.noGrad) return;
    const numeric = new Float64Array(refInputs[k].length);
    for (let j = 0; j < numeric.length; j++) {
      const saved = refInputs[k][j];
      refInputs[k][j] = saved + eps;
      const up = dot(opts.ref(refInputs), w);
      refInputs[k][j] = saved - eps;
      const down = dot(opts.ref(refInputs), w);
      refInputs[k][j] = saved;
      numeric[j] = (up - down) / (2 * eps);
    }
    const g = grads[k];
    if (!g) throw new Error(`${opts.name}: input ${k} got no gradient`);
    assertClose(g, numeric, opts.gradTol!, `${opts.name} gradient of input ${k}`);
  });
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
