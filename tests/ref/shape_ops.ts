/** Float64 references of the shape ops (the oracle for kernels/strided_copy.wgsl). */

import { stridesOf } from "../../src/tensor/shape.ts";

/** Visits every coordinate of `shape` in row-major order. */
export function forEachIndex(shape: readonly number[], fn: (c: number[], i: number) => void) {
  const n = shape.reduce((a, b) => a * b, 1);
  const c = new Array(shape.length).fill(0);
  for (let i = 0; i < n; i++) {
    let rest = i;
    for (let k = shape.length - 1; k >= 0; k--) {
      c[k] = rest % shape[k];
      rest = Math.floor(rest / shape[k]);
    }
    fn(c, i);
  }
}

function offsetOf(c: readonly number[], strides: readonly number[]): number {
  return c.reduce((s, ck, k) => s + ck * strides[k], 0);
}

/** Output axis k is input axis axes[k]. */
export function permuteRef(shape: number[], axes: number[]) {
  return ([x]: Float64Array[]): Float64Array => {
    const outShape = axes.map((a) => shape[a]);
    const st = stridesOf(shape);
    const out = new Float64Array(x.length);
    forEachIndex(outShape, (c, i) => {
      out[i] = x[offsetOf(c, axes.map((a) => st[a]))];
    });
    return out;
  };
}

/** x[..., start:end, ...] along `axis` (non-negative bounds). */
export function sliceRef(shape: number[], axis: number, start: number, end: number) {
  return ([x]: Float64Array[]): Float64Array => {
    const outShape = shape.map((d, k) => (k === axis ? end - start : d));
    const st = stridesOf(shape);
    const out = new Float64Array(outShape.reduce((a, b) => a * b, 1));
    forEachIndex(outShape, (c, i) => {
      const src = [...c];
      src[axis] += start;
      out[i] = x[offsetOf(src, st)];
    });
    return out;
  };
}

/** Concatenation along `axis` of tensors with the given shapes. */
export function concatRef(shapes: number[][], axis: number) {
  return (xs: Float64Array[]): Float64Array => {
    const outShape = [...shapes[0]];
    outShape[axis] = shapes.reduce((n, s) => n + s[axis], 0);
    const out = new Float64Array(outShape.reduce((a, b) => a * b, 1));
    forEachIndex(outShape, (c, i) => {
      let j = 0;
      let pos = c[axis];
      while (pos >= shapes[j][axis]) pos -= shapes[j++][axis];
      const src = [...c];
      src[axis] = pos;
      out[i] = xs[j][offsetOf(src, stridesOf(shapes[j]))];
    });
    return out;
  };
}
