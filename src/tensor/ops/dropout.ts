/**
 * Seeded dropout. The mask is a stateless hash of (seed, element index) computed in the
 * kernel, so the backward recomputes it rather than storing it, and the same seed always
 * drops the same elements.
 * @module
 */

import dropoutWgsl from "../../../kernels/dropout.wgsl" with { type: "text" };
import { dispatch, grid1d, packParams } from "../../gpu/kernel.ts";
import { Tensor } from "../tensor.ts";
import { record } from "../autograd.ts";
import { ShapeError } from "../errors.ts";

/** The kernel's drop threshold on 24-bit hash values: element dropped when below it. */
export function dropThreshold(p: number): number {
  return Math.round(p * 2 ** 24);
}

function applyMask(x: Tensor, p: number, seed: number): Tensor {
  const out = Tensor.empty(x.shape);
  const n4 = Math.ceil(x.size / 4);
  dispatch({
    name: "dropout",
    code: dropoutWgsl,
    params: packParams([n4, seed >>> 0, dropThreshold(p)], [1 / (1 - p)]),
    bindings: [x.buffer, out.buffer],
    workgroups: grid1d(n4),
    flops: x.size,
  });
  return out;
}

/**
 * Zeroes each element with probability `p` and scales the rest by 1/(1 − p). The mask is a
 * PCG hash of (seed, flat element index): pass a different `seed` per call site and step.
 * `p = 0` returns `x` itself (identity). `p` must be in [0, 1).
 */
export function dropout(x: Tensor, p: number, seed: number): Tensor {
  if (x.dtype !== "f32") {
    throw new ShapeError("dropout", `needs an f32 tensor, got ${x.dtype}`, [...x.shape]);
  }
  if (!(p >= 0 && p < 1)) {
    throw new ShapeError("dropout", `p = ${p} is not in [0, 1)`, [...x.shape]);
  }
  if (!Number.isInteger(seed)) {
    throw new ShapeError("dropout", `seed ${seed} is not an integer`, [...x.shape]);
  }
  if (p === 0) return x;
  const y = applyMask(x, p, seed);
  return record(y, "dropout", [x], (g) => [x.requiresGrad ? applyMask(g, p, seed) : null]);
}
