/**
 * Index of the largest value along the last axis (greedy decoding). Not differentiable.
 * @module
 */

import argmaxWgsl from "../../../kernels/argmax_rows.wgsl" with { type: "text" };
import { dispatch, grid1d, packParams } from "../../gpu/kernel.ts";
import { Tensor } from "../tensor.ts";
import { ShapeError } from "../errors.ts";

/**
 * f32 x [..., V] → i32 [...]: the index of each row's maximum, the first one on ties (NaNs
 * never win over numbers). One invocation per row.
 */
export function argmax(x: Tensor): Tensor {
  const v = x.shape[x.rank - 1];
  if (x.rank === 0 || x.dtype !== "f32" || !(v > 0)) {
    throw new ShapeError("argmax", "needs f32 x [..., V] with V ≥ 1", [...x.shape]);
  }
  const n = x.size / v;
  const out = Tensor.empty(x.shape.slice(0, -1), "i32");
  dispatch({
    name: "argmax_rows",
    code: argmaxWgsl,
    params: packParams([n, v]),
    bindings: [x.buffer, out.buffer],
    workgroups: grid1d(n),
    flops: n * v,
  });
  return out;
}
