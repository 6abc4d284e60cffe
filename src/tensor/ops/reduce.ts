/**
 * Reductions over one axis (sum, mean, max) and over everything (sumAll, meanAll). The input
 * is viewed as [outer, len, inner] around the reduced axis. Summation order is fixed (no
 * atomics); axes longer than CHUNK are reduced in passes of CHUNK-long partial sums, so
 * no invocation loops over a whole long axis and f32 rounding error stays small.
 * @module
 */

import reduceSumWgsl from "../../../kernels/reduce_sum.wgsl" with { type: "text" };
import reduceMaxWgsl from "../../../kernels/reduce_max.wgsl" with { type: "text" };
import reduceGradWgsl from "../../../kernels/reduce_grad.wgsl" with { type: "text" };
import { dispatch, grid1d, packParams } from "../../gpu/kernel.ts";
import { isGradEnabled, Tensor } from "../tensor.ts";
import { record } from "../autograd.ts";
import { ShapeError } from "../errors.ts";

/** Longest run of elements one invocation sums; longer axes take another pass. */
export const CHUNK = 1024;

/** The reduced axis of a tensor as [outer, len, inner], and the output shape. */
interface AxisView {
  outer: number;
  len: number;
  inner: number;
  outShape: number[];
}

/** Validates `axis` (negative counts from the end) and splits the shape around it. */
export function axisView(op: string, x: Tensor, axis: number, keepdim: boolean): AxisView {
  if (x.dtype !== "f32") {
    throw new ShapeError(op, `needs an f32 tensor, got ${x.dtype}`, [...x.shape]);
  }
  const rank = x.rank;
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new ShapeError(op, `axis ${axis} is out of range for rank ${rank}`, [...x.shape]);
  }
  const a = axis < 0 ? axis + rank : axis;
  const prod = (dims: readonly number[]) => dims.reduce((p, d) => p * d, 1);
  const outShape = keepdim
    ? x.shape.map((d, k) => (k === a ? 1 : d))
    : x.shape.filter((_, k) => k !== a);
  return {
    outer: prod(x.shape.slice(0, a)),
    len: x.shape[a],
    inner: prod(x.shape.slice(a + 1)),
    outShape,
  };
}

/** Σ (times `scale` at the end) over the middle axis of [outer, len, inner]; no tape. */
function sumPasses(x: Tensor, v: AxisView, scale: number): Tensor {
  let cur = x;
  let len = v.len;
  while (len > CHUNK) {
    const nChunks = Math.ceil(len / CHUNK);
    const partial = Tensor.empty([v.outer * nChunks * v.inner]);
    sumPass(cur, partial, v.outer, len, v.inner, CHUNK, nChunks, 1);
    if (cur !== x) cur.dispose();
    cur = partial;
    len = nChunks;
  }
  const out = Tensor.empty(v.outShape);
  sumPass(cur, out, v.outer, len, v.inner, Math.max(len, 1), 1, scale);
  if (cur !== x) cur.dispose();
  return out;
}

function sumPass(
  x: Tensor,
  out: Tensor,
  outer: number,
  len: number,
  inner: number,
  chunk: number,
  nChunks: number,
  scale: number,
): void {
  const nOut = outer * nChunks * inner;
  dispatch({
    name: "reduce_sum",
    code: reduceSumWgsl,
    params: packParams([nOut, len, inner, chunk, nChunks], [scale]),
    bindings: [x.buffer, out.buffer],
    workgroups: grid1d(nOut),
    flops: outer * len * inner + (scale === 1 ? 0 : nOut),
  });
}

/** Max over the middle axis with the (first) position of the maximum; no tape. */
function maxPasses(x: Tensor, v: AxisView): { values: Tensor; index: Tensor } {
  let cur = x;
  let curIdx: Tensor | null = null;
  let len = v.len;
  for (;;) {
    const last = len <= CHUNK;
    const nChunks = last ? 1 : Math.ceil(len / CHUNK);
    const chunk = last ? len : CHUNK;
    const n = v.outer * nChunks * v.inner;
    const values = last ? Tensor.empty(v.outShape) : Tensor.empty([n]);
    const index = last ? Tensor.empty(v.outShape, "i32") : Tensor.empty([n], "i32");
    dispatch({
      name: "reduce_max",
      code: reduceMaxWgsl,
      entry: curIdx ? "next_pass" : "first_pass",
      params: packParams([n, len, v.inner, chunk, nChunks]),
      bindings: curIdx
        ? [cur.buffer, values.buffer, index.buffer, curIdx.buffer]
        : [cur.buffer, values.buffer, index.buffer],
      workgroups: grid1d(n),
      flops: v.outer * len * v.inner,
    });
    if (cur !== x) cur.dispose();
    curIdx?.dispose();
    if (last) return { values, index };
    cur = values;
    curIdx = index;
    len = nChunks;
  }
}

/** The gradient of a reduction: g (of the output shape) spread or routed back to x. */
function reduceGrad(
  g: Tensor,
  x: Tensor,
  v: AxisView,
  how: { scale: number } | { index: Tensor },
): Tensor {
  const dx = Tensor.empty(x.shape);
  const route = "index" in how;
  dispatch({
    name: route ? "reduce_max_grad" : "reduce_sum_grad",
    code: reduceGradWgsl,
    entry: route ? "route" : "spread",
    params: packParams([x.size, v.len, v.inner], [route ? 0 : how.scale]),
    bindings: route ? [g.buffer, dx.buffer, how.index.buffer] : [g.buffer, dx.buffer],
    workgroups: grid1d(x.size),
    flops: route ? 0 : x.size,
  });
  return dx;
}

function sumLike(op: string, x: Tensor, v: AxisView, scale: number): Tensor {
  const y = sumPasses(x, v, scale);
  return record(y, op, [x], (g) => [x.requiresGrad ? reduceGrad(g, x, v, { scale }) : null]);
}

/** Σ over `axis` (negative counts from the end); `keepdim` keeps it as a size-1 dim. */
export function sum(x: Tensor, axis: number, keepdim = false): Tensor {
  return sumLike("sum", x, axisView("sum", x, axis, keepdim), 1);
}

/** Mean over `axis` (negative counts from the end); NaN over an empty axis. */
export function mean(x: Tensor, axis: number, keepdim = false): Tensor {
  const v = axisView("mean", x, axis, keepdim);
  return sumLike("mean", x, v, 1 / v.len);
}

/**
 * Max over `axis` (negative counts from the end). Ties: the first (lowest-index) maximal
 * element is the maximum, and the whole gradient goes to it. NaNs are skipped unless first.
 */
export function max(x: Tensor, axis: number, keepdim = false): Tensor {
  const v = axisView("max", x, axis, keepdim);
  if (v.len === 0) throw new ShapeError("max", "axis has no elements", [...x.shape]);
  const { values, index } = maxPasses(x, v);
  // Positions are only needed by the backward.
  if (!(isGradEnabled() && x.requiresGrad)) index.dispose();
  return record(values, "max", [x], (g) => [
    x.requiresGrad ? reduceGrad(g, x, v, { index }) : null,
  ]);
}

/** The whole tensor as one axis, reduced to a scalar. */
function allView(op: string, x: Tensor): AxisView {
  if (x.dtype !== "f32") {
    throw new ShapeError(op, `needs an f32 tensor, got ${x.dtype}`, [...x.shape]);
  }
  return { outer: 1, len: x.size, inner: 1, outShape: [] };
}

/** Σ of all elements, as a scalar (shape []). */
export function sumAll(x: Tensor): Tensor {
  return sumLike("sumAll", x, allView("sumAll", x), 1);
}

/** Mean of all elements, as a scalar (shape []). */
export function meanAll(x: Tensor): Tensor {
  return sumLike("meanAll", x, allView("meanAll", x), 1 / x.size);
}
