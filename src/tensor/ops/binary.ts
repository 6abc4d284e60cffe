/**
 * Element-wise binary ops with numpy broadcasting: add, sub, mul, div. One WGSL template;
 * each operator is a row of the table below (forward expression, gradient per operand).
 * @module
 */

import binaryWgsl from "../../../kernels/binary.wgsl" with { type: "text" };
import binarySameWgsl from "../../../kernels/binary_same.wgsl" with { type: "text" };
import binary3dWgsl from "../../../kernels/binary_3d.wgsl" with { type: "text" };
import sumMiddleWgsl from "../../../kernels/sum_middle.wgsl" with { type: "text" };
import { dispatch, grid1d, packParams, specialise } from "../../gpu/kernel.ts";
import { gpu } from "../../gpu/device.ts";
import { grid2d } from "./grid.ts";
import { Tensor, tensor } from "../tensor.ts";
import { record } from "../autograd.ts";
import { ShapeError } from "../errors.ts";
import {
  broadcastShapes,
  broadcastStrides,
  mergeBroadcast,
  type MergedBroadcast,
  sameShape,
  vec8,
} from "../shape.ts";

type BinaryName = "add" | "sub" | "mul" | "div";

/** WGSL expression of x (from a) and y (from b); works for f32 and vec4f alike. */
const EXPR: Record<BinaryName, string> = {
  add: "x + y",
  sub: "x - y",
  mul: "x * y",
  div: "x / y",
};

function runBinary(name: BinaryName, a: Tensor, b: Tensor): Tensor {
  if (a.dtype !== "f32" || b.dtype !== "f32") {
    throw new ShapeError(name, "needs f32 operands", [...a.shape], [...b.shape]);
  }
  const shape = broadcastShapes(name, a.shape, b.shape);
  const out = Tensor.empty(shape);
  if (out.size === 0) return out;
  if (sameShape(a.shape, b.shape)) {
    const n4 = Math.ceil(out.size / 4);
    dispatch({
      name: `${name}_same`,
      code: specialise(binarySameWgsl, { OP: EXPR[name] }),
      params: packParams([n4]),
      bindings: [a.buffer, b.buffer, out.buffer],
      workgroups: grid1d(n4),
      flops: out.size,
    });
    return out;
  }
  const merged = mergeBroadcast(
    shape,
    broadcastStrides(a.shape, shape),
    broadcastStrides(b.shape, shape),
  );
  if (!dispatchBinary3d(name, merged, a, b, out)) dispatchBinaryGeneral(name, shape, a, b, out);
  return out;
}

/**
 * The common broadcasts (a bias over rows, a per-row scale, …) merge into ≤ 3 dims and run
 * without per-element index arithmetic. Returns false when the merged form does not fit.
 */
function dispatchBinary3d(
  name: BinaryName,
  m: MergedBroadcast,
  a: Tensor,
  b: Tensor,
  out: Tensor,
): boolean {
  if (m.dims.length > 3) return false;
  const pad = 3 - m.dims.length;
  let dims = [...new Array(pad).fill(1), ...m.dims];
  let sa = [...new Array(pad).fill(0), ...m.aStrides];
  let sb = [...new Array(pad).fill(0), ...m.bStrides];
  // vec4 along inner when both operands are contiguous there and every stride stays aligned.
  const vec4 = dims[2] % 4 === 0 && sa[2] === 1 && sb[2] === 1 &&
    [sa[0], sa[1], sb[0], sb[1]].every((s) => s % 4 === 0);
  if (vec4) {
    dims = [dims[0], dims[1], dims[2] / 4];
    sa = [sa[0] / 4, sa[1] / 4, 1];
    sb = [sb[0] / 4, sb[1] / 4, 1];
  }
  const [outer, mid, inner] = dims;
  let wx = 1;
  while (wx < Math.min(inner, 64)) wx *= 2;
  const wy = 64 / wx;
  const workgroups: [number, number, number] = [
    Math.ceil(inner / wx),
    Math.ceil(mid / wy),
    outer,
  ];
  const maxWg = gpu().limits.maxComputeWorkgroupsPerDimension;
  if (workgroups.some((w) => w > maxWg)) return false;
  dispatch({
    name: `${name}_3d${vec4 ? "_vec4" : ""}`,
    code: specialise(binary3dWgsl, { OP: EXPR[name], T: vec4 ? "vec4f" : "f32" }),
    constants: { WX: wx, WY: wy },
    params: packParams([inner, mid, outer, 0, sa[0], sa[1], sa[2], 0, sb[0], sb[1], sb[2], 0]),
    bindings: [a.buffer, b.buffer, out.buffer],
    workgroups,
    flops: out.size,
  });
  return true;
}

/** Any broadcast up to rank 6: per-element index arithmetic (slow on lavapipe, rarely used). */
function dispatchBinaryGeneral(
  name: BinaryName,
  shape: number[],
  a: Tensor,
  b: Tensor,
  out: Tensor,
): void {
  dispatch({
    name: `${name}_broadcast`,
    code: specialise(binaryWgsl, { OP: EXPR[name] }),
    params: packParams([
      out.size,
      shape.length,
      0,
      0,
      ...vec8(shape),
      ...vec8(broadcastStrides(a.shape, shape)),
      ...vec8(broadcastStrides(b.shape, shape)),
    ]),
    bindings: [a.buffer, b.buffer, out.buffer],
    workgroups: grid1d(out.size),
    flops: out.size,
  });
}

/** Longest reduction one f32 accumulator runs before the sum is split into chunks. */
const SUM_CHUNK = 4096;

/**
 * Sums `g` (of a broadcast shape) down to `shape`: the gradient of broadcasting.
 * Returns `g` itself when no dimension was broadcast. Dims are merged into alternating kept
 * and reduced groups; each reduced group is one fixed-order pass (deterministic).
 */
export function sumToShape(g: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const rank = g.rank;
  const padded = [...new Array(Math.max(0, rank - shape.length)).fill(1), ...shape];
  if (padded.length !== rank || padded.some((d, k) => d !== 1 && d !== g.shape[k])) {
    throw new ShapeError("sumToShape", "target is not a broadcast source", [...g.shape], [
      ...shape,
    ]);
  }
  // Groups of [extent, reduced?], size-1 dims dropped, neighbours of one kind merged.
  const groups: [number, boolean][] = [];
  g.shape.forEach((d, k) => {
    if (d === 1) return;
    const reduced = padded[k] === 1;
    const last = groups.at(-1);
    if (last && last[1] === reduced) last[0] *= d;
    else groups.push([d, reduced]);
  });
  let current = g;
  for (let k = groups.length - 1; k >= 0; k--) {
    if (!groups[k][1]) continue;
    const outer = groups.slice(0, k).reduce((x, [d]) => x * d, 1);
    const inner = groups.slice(k + 1).reduce((x, [d]) => x * d, 1);
    current = sumMiddle(current, outer, groups[k][0], inner);
    groups.splice(k, 1);
  }
  return current.view(shape);
}

/** Σ over the middle dim of an [outer, reduced, inner] view → [outer·inner] (flat). */
function sumMiddle(src: Tensor, outer: number, reduced: number, inner: number): Tensor {
  if (reduced > SUM_CHUNK) {
    const chunks = Math.ceil(reduced / Math.ceil(Math.sqrt(reduced)));
    const chunk = Math.ceil(reduced / chunks);
    const partial = sumMiddlePass(src, outer, reduced, inner, chunk, chunks);
    return sumMiddlePass(partial, outer, chunks, inner, chunks, 1);
  }
  return sumMiddlePass(src, outer, reduced, inner, reduced, 1);
}

function sumMiddlePass(
  src: Tensor,
  outer: number,
  reduced: number,
  inner: number,
  chunk: number,
  chunks: number,
): Tensor {
  const out = Tensor.empty([outer * chunks * inner]);
  const rows = outer * chunks;
  const { workgroups, constants } = grid2d(inner, rows);
  dispatch({
    name: "sum_middle",
    code: sumMiddleWgsl,
    constants,
    params: packParams([inner, reduced, rows, chunk, chunks]),
    bindings: [src.buffer, out.buffer],
    workgroups,
    flops: outer * reduced * inner,
  });
  return out;
}

/** a + b (broadcasting). */
export function add(a: Tensor, b: Tensor): Tensor {
  return record(runBinary("add", a, b), "add", [a, b], (g) => [
    a.requiresGrad ? sumToShape(g, a.shape) : null,
    b.requiresGrad ? sumToShape(g, b.shape) : null,
  ]);
}

/** a − b (broadcasting). */
export function sub(a: Tensor, b: Tensor): Tensor {
  return record(runBinary("sub", a, b), "sub", [a, b], (g) => [
    a.requiresGrad ? sumToShape(g, a.shape) : null,
    b.requiresGrad ? sumToShape(runBinary("mul", g, minusOne()), b.shape) : null,
  ]);
}

/** a · b element-wise (broadcasting). */
export function mul(a: Tensor, b: Tensor): Tensor {
  return record(runBinary("mul", a, b), "mul", [a, b], (g) => [
    a.requiresGrad ? sumToShape(runBinary("mul", g, b), a.shape) : null,
    b.requiresGrad ? sumToShape(runBinary("mul", g, a), b.shape) : null,
  ]);
}

/** a / b element-wise (broadcasting). */
export function div(a: Tensor, b: Tensor): Tensor {
  return record(runBinary("div", a, b), "div", [a, b], (g) => {
    const ga = a.requiresGrad || b.requiresGrad ? runBinary("div", g, b) : null;
    return [
      a.requiresGrad ? sumToShape(ga!, a.shape) : null,
      // d(a/b)/db = −(a/b)/b · g = −ga · a / b
      b.requiresGrad
        ? sumToShape(
          runBinary("mul", runBinary("div", runBinary("mul", ga!, a), b), minusOne()),
          b.shape,
        )
        : null,
    ];
  });
}

function minusOne(): Tensor {
  return scalarTensor(-1);
}

/** A one-element f32 tensor (broadcasts against anything). */
export function scalarTensor(value: number): Tensor {
  return tensor([value], [1]);
}
