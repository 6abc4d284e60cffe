/**
 * Shape ops: reshape (a view), permute/transpose, slice and concat. Every copy is one
 * dispatch of kernels/strided_copy.wgsl, which moves raw 32-bit words, so these ops work on
 * f32 and i32 tensors alike (only f32 ones carry gradients).
 * @module
 */

import stridedCopyWgsl from "../../../kernels/strided_copy.wgsl" with { type: "text" };
import { dispatch, grid1d, packParams } from "../../gpu/kernel.ts";
import { sizeOf, Tensor } from "../tensor.ts";
import { record } from "../autograd.ts";
import { ShapeError } from "../errors.ts";
import { MAX_RANK, stridesOf, vec8 } from "../shape.ts";
import { zeros } from "./create.ts";

/** A strided region copy: `dims` elements from src (strides, offset) to dst (strides, offset). */
interface Region {
  dims: readonly number[];
  srcStrides: readonly number[];
  dstStrides: readonly number[];
  srcOffset?: number;
  dstOffset?: number;
}

/**
 * Drops unit dims and merges neighbours that are contiguous in both src and dst: fewer
 * per-element divisions in the kernel (a slice along axis 0 becomes a rank-1 copy).
 */
function collapse(r: Region): Region {
  const dims: number[] = [];
  const src: number[] = [];
  const dst: number[] = [];
  r.dims.forEach((d, k) => {
    if (d === 1) return;
    const last = dims.length - 1;
    if (last >= 0 && src[last] === r.srcStrides[k] * d && dst[last] === r.dstStrides[k] * d) {
      dims[last] *= d;
      src[last] = r.srcStrides[k];
      dst[last] = r.dstStrides[k];
    } else {
      dims.push(d);
      src.push(r.srcStrides[k]);
      dst.push(r.dstStrides[k]);
    }
  });
  return { ...r, dims, srcStrides: src, dstStrides: dst };
}

/** Records one strided copy from `src` into `dst` (pure data movement: 0 FLOPs). */
export function copyRegion(name: string, src: Tensor, dst: Tensor, region: Region): void {
  const n = sizeOf(region.dims);
  const r = collapse(region);
  dispatch({
    name,
    code: stridedCopyWgsl,
    params: packParams([
      n,
      r.dims.length,
      r.srcOffset ?? 0,
      r.dstOffset ?? 0,
      ...vec8(r.dims),
      ...vec8(r.srcStrides),
      ...vec8(r.dstStrides),
    ]),
    bindings: [src.buffer, dst.buffer],
    workgroups: grid1d(n),
    flops: 0,
  });
}

/** Resolves a possibly negative axis, or throws a ShapeError naming `op`. */
export function resolveAxis(op: string, axis: number, shape: readonly number[]): number {
  const rank = shape.length;
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) {
    throw new ShapeError(op, `axis ${axis} is out of range for rank ${rank}`, [...shape]);
  }
  return a;
}

function checkRank(op: string, x: Tensor): void {
  if (x.rank > MAX_RANK) throw new ShapeError(op, `rank above ${MAX_RANK}`, [...x.shape]);
}

/**
 * A tensor of the same data in a new shape (a view: no copy). One dimension may be −1 and
 * is inferred. The gradient is reshaped back.
 */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const free = shape.filter((d) => d === -1).length;
  const known = sizeOf(shape.filter((d) => d !== -1));
  const bad = free > 1 || shape.some((d) => !Number.isInteger(d) || d < -1);
  if (
    bad || (free === 0 && known !== x.size) || (free === 1 && (known === 0 || x.size % known !== 0))
  ) {
    throw new ShapeError("reshape", `cannot view ${x.size} elements as [${shape}]`, [...x.shape]);
  }
  const resolved = shape.map((d) => (d === -1 ? x.size / known : d));
  return record(x.view(resolved), "reshape", [x], (g) => [g.view(x.shape)]);
}

/**
 * Reorders the axes: output axis k is input axis `axes[k]` (rank ≤ 6). Copies. The gradient
 * is the inverse permutation of the output gradient.
 */
export function permute(x: Tensor, axes: readonly number[]): Tensor {
  checkRank("permute", x);
  const rank = x.rank;
  const seen = new Set(axes);
  if (axes.length !== rank || seen.size !== rank || axes.some((a) => !(a >= 0 && a < rank))) {
    throw new ShapeError("permute", `axes [${axes}] are not a permutation of 0..${rank - 1}`, [
      ...x.shape,
    ]);
  }
  const shape = axes.map((a) => x.shape[a]);
  const out = Tensor.empty(shape, x.dtype);
  const strides = stridesOf(x.shape);
  copyRegion("permute", x, out, {
    dims: shape,
    srcStrides: axes.map((a) => strides[a]),
    dstStrides: stridesOf(shape),
  });
  return record(out, "permute", [x], (g) => {
    const inverse = new Array<number>(rank);
    axes.forEach((a, k) => (inverse[a] = k));
    return [permute(g, inverse)];
  });
}

/** Swaps two axes (negative axes count from the end). A copy; see `permute`. */
export function transpose(x: Tensor, a: number, b: number): Tensor {
  const axes = x.shape.map((_, k) => k);
  const ra = resolveAxis("transpose", a, x.shape);
  const rb = resolveAxis("transpose", b, x.shape);
  [axes[ra], axes[rb]] = [axes[rb], axes[ra]];
  return permute(x, axes);
}

/**
 * Elements `start ≤ i < end` along `axis` (negative axis, start and end count from the end;
 * no clamping: out-of-range bounds throw). Copies. The gradient is scattered into zeros.
 */
export function slice(x: Tensor, axis: number, start: number, end: number): Tensor {
  checkRank("slice", x);
  const ax = resolveAxis("slice", axis, x.shape);
  const dim = x.shape[ax];
  const s = start < 0 ? start + dim : start;
  const e = end < 0 ? end + dim : end;
  if (!Number.isInteger(s) || !Number.isInteger(e) || s < 0 || e > dim || s > e) {
    throw new ShapeError("slice", `[${start}, ${end}) is out of range for axis ${axis}`, [
      ...x.shape,
    ]);
  }
  const shape = x.shape.map((d, k) => (k === ax ? e - s : d));
  const out = Tensor.empty(shape, x.dtype);
  const strides = stridesOf(x.shape);
  copyRegion("slice", x, out, {
    dims: shape,
    srcStrides: strides,
    dstStrides: stridesOf(shape),
    srcOffset: s * strides[ax],
  });
  return record(out, "slice", [x], (g) => {
    const gx = zeros(x.shape);
    copyRegion("slice_backward", g, gx, {
      dims: shape,
      srcStrides: stridesOf(shape),
      dstStrides: strides,
      dstOffset: s * strides[ax],
    });
    return [gx];
  });
}

/**
 * Joins tensors along `axis`; all must share the dtype and every other dimension. One copy
 * per input. The gradient of each input is its slice of the output gradient.
 */
export function concat(xs: readonly Tensor[], axis: number): Tensor {
  if (xs.length === 0) throw new ShapeError("concat", "needs at least one tensor");
  const first = xs[0];
  checkRank("concat", first);
  const ax = resolveAxis("concat", axis, first.shape);
  for (const x of xs) {
    const same = x.rank === first.rank && x.shape.every((d, k) => k === ax || d === first.shape[k]);
    if (!same || x.dtype !== first.dtype) {
      throw new ShapeError(
        "concat",
        `shapes/dtypes differ off axis ${axis}`,
        ...xs.map((t) => [...t.shape]),
      );
    }
  }
  const shape = [...first.shape];
  shape[ax] = xs.reduce((n, x) => n + x.shape[ax], 0);
  const out = Tensor.empty(shape, first.dtype);
  const outStrides = stridesOf(shape);
  const starts: number[] = [];
  let offset = 0;
  for (const x of xs) {
    starts.push(offset);
    copyRegion("concat", x, out, {
      dims: x.shape,
      srcStrides: stridesOf(x.shape),
      dstStrides: outStrides,
      dstOffset: offset * outStrides[ax],
    });
    offset += x.shape[ax];
  }
  return record(
    out,
    "concat",
    [...xs],
    (g) =>
      xs.map((x, i) => x.requiresGrad ? slice(g, ax, starts[i], starts[i] + x.shape[ax]) : null),
  );
}
