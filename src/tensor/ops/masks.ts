/**
 * Padding masks for variable-length batches. (Causal masks are built inside attention.)
 * @module
 */

import paddingMaskWgsl from "../../../kernels/padding_mask.wgsl" with { type: "text" };
import { dispatch, grid1d, packParams } from "../../gpu/kernel.ts";
import { Tensor } from "../tensor.ts";
import { ShapeError } from "../errors.ts";

/**
 * f32 [B, T] mask with 1 at positions t < lengths[b] and 0 after (lengths: i32 [B]; a length
 * ≤ 0 gives an all-zero row, one ≥ T an all-one row). Not differentiable.
 */
export function paddingMask(lengths: Tensor, t: number): Tensor {
  if (lengths.rank !== 1 || lengths.dtype !== "i32" || !Number.isInteger(t) || t < 0) {
    throw new ShapeError(
      "paddingMask",
      `needs i32 lengths [B] and an integer T ≥ 0 (got ${lengths.dtype}, T = ${t})`,
      [...lengths.shape],
    );
  }
  const b = lengths.shape[0];
  const mask = Tensor.empty([b, t]);
  dispatch({
    name: "padding_mask",
    code: paddingMaskWgsl,
    params: packParams([b, t]),
    bindings: [lengths.buffer, mask.buffer],
    workgroups: grid1d(b * t),
    flops: 0,
  });
  return mask;
}
