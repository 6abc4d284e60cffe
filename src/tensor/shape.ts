/** Shape arithmetic shared by ops: broadcasting and strides. @module */

import { ShapeError } from "./errors.ts";

/** Maximum rank the broadcasting kernels handle. */
export const MAX_RANK = 6;

/** Row-major strides of a shape. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1] * shape[i + 1];
  return s;
}

/** The numpy broadcast of two shapes, or a ShapeError naming the op. */
export function broadcastShapes(op: string, a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(op, "shapes do not broadcast", [...a], [...b]);
    }
    out.push(da === 1 ? db : da);
  }
  if (rank > MAX_RANK) throw new ShapeError(op, `rank above ${MAX_RANK}`, [...a], [...b]);
  return out;
}

/** Strides of `shape` read as if broadcast to `target` (0 along broadcast dims). */
export function broadcastStrides(shape: readonly number[], target: readonly number[]): number[] {
  const own = stridesOf(shape);
  const offset = target.length - shape.length;
  return target.map((_, i) => {
    const k = i - offset;
    return k < 0 || shape[k] === 1 ? 0 : own[k];
  });
}

/** Whether two shapes are identical. */
export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Packs up to 8 u32 values as two vec4u (the kernels' array<vec4u, 2>). */
export function vec8(values: readonly number[]): number[] {
  const out = new Array(8).fill(0);
  values.forEach((v, i) => (out[i] = v));
  return out;
}

/** A broadcast with its dims merged: output extents and each operand's strides. */
export interface MergedBroadcast {
  dims: number[];
  aStrides: number[];
  bStrides: number[];
}

/**
 * Drops size-1 output dims and merges neighbours that both operands traverse contiguously
 * (or both broadcast), so e.g. [B,T,D] + [D] becomes [B·T, D] with b strides [0, 1].
 */
export function mergeBroadcast(
  shape: readonly number[],
  aStrides: readonly number[],
  bStrides: readonly number[],
): MergedBroadcast {
  const dims: number[] = [];
  const sa: number[] = [];
  const sb: number[] = [];
  for (let k = 0; k < shape.length; k++) {
    if (shape[k] === 1) continue;
    const n = dims.length - 1;
    // The previous (outer) dim merges with this one when stepping it equals stepping
    // through all of this one, for both operands.
    if (
      n >= 0 && sa[n] === aStrides[k] * shape[k] && sb[n] === bStrides[k] * shape[k]
    ) {
      dims[n] *= shape[k];
      sa[n] = aStrides[k];
      sb[n] = bStrides[k];
    } else {
      dims.push(shape[k]);
      sa.push(aStrides[k]);
      sb.push(bStrides[k]);
    }
  }
  if (dims.length === 0) return { dims: [1], aStrides: [0], bStrides: [0] };
  return { dims, aStrides: sa, bStrides: sb };
}
