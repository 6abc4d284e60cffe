/** Tensor creation on the GPU: zeros, ones, full. @module */

import fillWgsl from "../../../kernels/fill.wgsl" with { type: "text" };
import { dispatch, grid1d, packParams } from "../../gpu/kernel.ts";
import { type DType, Tensor } from "../tensor.ts";

/** A tensor filled with `value`. */
export function full(shape: readonly number[], value: number, dtype: DType = "f32"): Tensor {
  const t = Tensor.empty(shape, dtype);
  const bits = new DataView(new ArrayBuffer(4));
  if (dtype === "f32") bits.setFloat32(0, value, true);
  else bits.setInt32(0, value, true);
  dispatch({
    name: "fill",
    code: fillWgsl,
    params: packParams([t.size, bits.getUint32(0, true)]),
    bindings: [t.buffer],
    workgroups: grid1d(t.size),
  });
  return t;
}

/** A tensor of zeros. */
export function zeros(shape: readonly number[], dtype: DType = "f32"): Tensor {
  return full(shape, 0, dtype);
}

/** A tensor of ones. */
export function ones(shape: readonly number[]): Tensor {
  return full(shape, 1);
}
