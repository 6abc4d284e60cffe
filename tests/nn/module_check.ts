/**
 * The module gradient check: like `checkOp`, but the differentiated inputs are a module's
 * own parameters (by dotted path) plus its input. Forward vs the float64 reference, then
 * the GPU gradients of L = Σ w·module(x) vs central differences of the reference.
 */

import type { Module } from "../../src/nn/module.ts";
import { type Tensor, tensor } from "../../src/tensor/tensor.ts";
import { tidy } from "../../src/tensor/scope.ts";
import { backward } from "../../src/tensor/autograd.ts";
import { sync } from "../../src/gpu/batch.ts";
import { assertClose, Rng, type Tol } from "../helpers.ts";

/** A float64 reference of a module: input and parameters by path → flat output. */
export type ModuleRef = (x: Float64Array, params: Map<string, Float64Array>) => Float64Array;

/** Overwrites every parameter with N(0, std²) values (tests want non-trivial weights). */
export function randomizeParameters(m: Module, rng: Rng, std = 0.5): void {
  for (const p of m.parameters()) p.write(rng.normals(p.size, std));
}

/** Checks a module's forward and the gradients of its parameters and input. */
export async function checkModule(opts: {
  name: string;
  module: Module;
  forward: (x: Tensor) => Tensor;
  ref: ModuleRef;
  input: { shape: number[]; values: ArrayLike<number>; int?: boolean };
  forwardTol: Tol;
  gradTol: Tol;
  eps?: number;
  seed?: number;
}): Promise<void> {
  const named = opts.module.namedParameters().filter(([, p]) => p.requiresGrad);
  const params = new Map<string, Float64Array>();
  for (const [n, p] of named) params.set(n, Float64Array.from(await p.data()));
  const x64 = Float64Array.from(opts.input.values);
  const expected = opts.ref(x64, params);
  const w = new Rng(opts.seed ?? 5).normals(expected.length);
  const { out, xGrad, grads } = await tidy(async () => {
    const x = opts.input.int
      ? tensor(Int32Array.from(opts.input.values), opts.input.shape, "i32")
      : tensor(Float32Array.from(opts.input.values), opts.input.shape);
    x.requiresGrad = !opts.input.int;
    const y = opts.forward(x);
    if (y.size !== expected.length) {
      throw new Error(`${opts.name}: output has ${y.size} elements, reference ${expected.length}`);
    }
    backward(y, tensor(w, [...y.shape]));
    await sync();
    const out = await y.data();
    const xGrad = x.grad ? await x.grad.data() : null;
    const grads = new Map<string, Float32Array>();
    for (const [n, p] of named) {
      if (!p.grad) throw new Error(`${opts.name}: parameter ${n} got no gradient`);
      grads.set(n, await p.grad.data());
      p.grad.dispose();
      p.grad = null;
    }
    x.grad?.dispose();
    return { out, xGrad, grads };
  });
  assertClose(out, expected, opts.forwardTol, `${opts.name} forward`);
  const eps = opts.eps ?? 1e-4;
  const numeric = (values: Float64Array): Float64Array => {
    const g = new Float64Array(values.length);
    for (let j = 0; j < values.length; j++) {
      const saved = values[j];
      values[j] = saved + eps;
      const up = dot(opts.ref(x64, params), w);
      values[j] = saved - eps;
      const down = dot(opts.ref(x64, params), w);
      values[j] = saved;
      g[j] = (up - down) / (2 * eps);
    }
    return g;
  };
  for (const [n, values] of params) {
    assertClose(grads.get(n)!, numeric(values), opts.gradTol, `${opts.name} gradient of ${n}`);
  }
  if (!opts.input.int) {
    if (!xGrad) throw new Error(`${opts.name}: the input got no gradient`);
    assertClose(xGrad, numeric(x64), opts.gradTol, `${opts.name} gradient of the input`);
  }
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
