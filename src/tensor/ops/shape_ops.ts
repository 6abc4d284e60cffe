/**
 * Shape ops: reshape (a view), permute/transpose, slice and concat. Every copy is one
 * dispatch moving raw 32-bit words, so these ops work on f32 and i32 tensors alike (only
 * f32 ones carry gradients): kernels/strided_copy_3d.wgsl on a launch grid when the
 * collapsed region has ≤ 4 dims (no per-element division), kernels/strided_copy.wgsl
 * (an index loop over up to 6 dims) beyond.
 * @module
 */

import stridedCopyWgsl from "../../../kernels/strided_copy.wgsl" with { type: "text" };
import stridedCopy3dWgsl from "../../../kernels/strided_copy_3d.wgsl" with { type: "text" };
import { dispatch, grid1d, packParams, specialise } from "../../gpu/kernel.ts";
import { gpu } from "../../gpu/device.ts";
import { sizeOf, Tensor } from "../tensor.ts";
import { record } from "../autograd.ts";
import { ShapeError } from "../errors.ts";
import { MAX_RANK, stridesOf, vec8 } from "../shape.ts";
import { zeros } from "./create.ts";

const COPY_GRID_U32 = specialise(stridedCopy3dWgsl, { T: "u32" });
const COPY_GRID_VEC4 = specialise(stridedCopy3dWgsl, { T: "vec4u" });

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
  if (n === 0) return;
  const r = collapse(region);
  if (copyGrid(name, src, dst, r)) return;
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

/**
 * The common case: a collapsed region of ≤ 4 dims runs on a launch grid (x innermost, y,
 * z the outer two) with no per-element division, moving vec4s when the inner dim is
 * contiguous on both sides and every stride and offset is a multiple of 4. Returns false
 * when the region does not fit (more dims, or a grid dimension above the device limit).
 */
function copyGrid(name: string, src: Tensor, dst: Tensor, r: Region): boolean {
  if (r.dims.length > 4) return false;
  const pad = 4 - r.dims.length;
  let dims = [...new Array(pad).fill(1), ...r.dims];
  let ss = [...new Array(pad).fill(0), ...r.srcStrides];
  let ds = [...new Array(pad).fill(0), ...r.dstStrides];
  let so = r.srcOffset ?? 0;
  let dso = r.dstOffset ?? 0;
  const vec4 = dims[3] % 4 === 0 && ss[3] === 1 && ds[3] === 1 &&
    [...ss.slice(0, 3), ...ds.slice(0, 3), so, dso].every((v) => v % 4 === 0);
  if (vec4) {
    dims = [dims[0], dims[1], dims[2], dims[3] / 4];
    ss = [ss[0] / 4, ss[1] / 4, ss[2] / 4, 1];
    ds = [ds[0] / 4, ds[1] / 4, ds[2] / 4, 1];
    so /= 4;
    dso /= 4;
  }
  const [outer, outer2, mid, inner] = dims;
  let wx = 1;
  while (wx < Math.min(inner, 64)) wx *= 2;
  const wy = 64 / wx;
  const workgroups: [number, number, number] = [
    Math.ceil(inner / wx),
    Math.ceil(mid / wy),
    outer * outer2,
  ];
  const maxWg = gpu().limits.maxComputeWorkgroupsPerDimension;
  if (workgroups.some((w) => w > maxWg)) return false;
  dispatch({
    name,
    code: vec4 ? COPY_GRID_VEC4 : COPY_GRID_U32,
    constants: { WX: wx, WY: wy },
    params: packParams([inner, mid, outer2, 0, so, dso, 0, 0, ...ss, ...ds]),
    bindings: [src.buffer, dst.buffer],
    workgroups,
    flops: 0,
  });
  return true;
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
