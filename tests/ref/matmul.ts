/** Float64 reference of matmul (the oracle for kernels/matmul_*.wgsl). */

import { broadcastShapes, broadcastStrides } from "../../src/tensor/shape.ts";

/** op(A)·op(B) over the last two dims with broadcast batch dims, in float64. */
export function matmulRef(
  aShape: number[],
  bShape: number[],
  transA = false,
  transB = false,
): (inputs: Float64Array[]) => Float64Array {
  return ([a, b]) => {
    const [ar, ac] = aShape.slice(-2);
    const [br, bc] = bShape.slice(-2);
    const [m, k] = transA ? [ac, ar] : [ar, ac];
    const n = transB ? br : bc;
    const batch = broadcastShapes("ref", aShape.slice(0, -2), bShape.slice(0, -2));
    const sa = broadcastStrides(aShape.slice(0, -2), batch);
    const sb = broadcastStrides(bShape.slice(0, -2), batch);
    const count = batch.reduce((x, y) => x * y, 1);
    const out = new Float64Array(count * m * n);
    for (let z = 0; z < count; z++) {
      let rest = z;
      let ao = 0;
      let bo = 0;
      for (let d = batch.length - 1; d >= 0; d--) {
        const i = rest % batch[d];
        rest = Math.floor(rest / batch[d]);
        ao += i * sa[d] * m * k;
        bo += i * sb[d] * k * n;
      }
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let q = 0; q < k; q++) {
            const x = transA ? a[ao + q * m + i] : a[ao + i * k + q];
            const y = transB ? b[bo + j * k + q] : b[bo + q * n + j];
            s += x * y;
          }
          out[(z * m + i) * n + j] = s;
        }
      }
    }
    return out;
  };
}
