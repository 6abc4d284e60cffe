/** Float64 references of element-wise ops (the oracle for kernels/binary*.wgsl). */

import { broadcastShapes, broadcastStrides } from "../../src/tensor/shape.ts";

/** Broadcasting binary op in float64. */
export function binaryRef(
  f: (x: number, y: number) => number,
  aShape: number[],
  bShape: number[],
): (inputs: Float64Array[]) => Float64Array {
  return ([a, b]) => {
    const shape = broadcastShapes("ref", aShape, bShape);
    const sa = broadcastStrides(aShape, shape);
    const sb = broadcastStrides(bShape, shape);
    const n = shape.reduce((x, y) => x * y, 1);
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let rest = i;
      let ia = 0;
      let ib = 0;
      for (let k = shape.length - 1; k >= 0; k--) {
        const c = rest % shape[k];
        rest = Math.floor(rest / shape[k]);
        ia += c * sa[k];
        ib += c * sb[k];
      }
      out[i] = f(a[ia], b[ib]);
    }
    return out;
  };
}
