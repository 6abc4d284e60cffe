/** Float64 reference of seeded dropout, with the kernel's hash (kernels/dropout.wgsl). */

import { dropThreshold } from "../../src/tensor/ops/dropout.ts";

/** PCG-RXS-M-XS 32-bit hash, in u32 arithmetic as in WGSL. */
export function pcg(v: number): number {
  const state = (Math.imul(v >>> 0, 747796405) + 2891336453) >>> 0;
  const word = Math.imul(((state >>> ((state >>> 28) + 4)) ^ state) >>> 0, 277803737) >>> 0;
  return ((word >>> 22) ^ word) >>> 0;
}

/** Whether element `e` is kept under (p, seed). */
export function kept(e: number, p: number, seed: number): boolean {
  const h = pcg((pcg(e) ^ pcg(seed >>> 0)) >>> 0);
  return h >>> 8 >= dropThreshold(p);
}

/** Dropout of a flat array in float64. */
export function dropoutRef(p: number, seed: number): (inputs: Float64Array[]) => Float64Array {
  return ([x]) => x.map((v, e) => (kept(e, p, seed) ? v / (1 - p) : 0));
}
