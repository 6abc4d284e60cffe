/**
 * Element-wise binary ops with numpy broadcasting: add, sub, mul, div. One WGSL template;
 * each operator is a row of the table below (forward expression, gradient per operand).
 * @module
 */

import binaryWgsl from "../../../kernels/binary.wgsl" with { type: "text" };
import binarySameWgsl from "../../../kernels/binary_same.wgsl" with { type: "text" };
import sumToShapeWgsl from "../../../kernels/sum_to_shape.wgsl" with { type: "text" };
import { dispatch, grid1d, packParams, specialise } from "../../gpu/kernel.ts";
import { Tensor, tensor } from "../tensor.ts";
import { record } from "../autograd.ts";
import { ShapeError } from "../errors.ts";
import { broadcastShapes, broadcastStrides, sameShape, stridesOf, vec8 } from "../shape.ts";

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
  } else {
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
  return out;
}

/**
 * Sums `g` (of a broadcast shape) down to `shape`: the gradient of broadcasting.
 * Returns `g` itself when no dimension was broadcast.
 */
export function sumToShape(g: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const rank = g.rank;
  const padded = [...new Array(rank - shape.length).fill(1), ...shape];
  for (let k = 0; k < rank; k++) {
    if (padded[k] !== 1 && padded[k] !== g.shape[k]) {
      throw new ShapeError("sumToShape", "target is not a broadcast source", [...g.shape], [
        ...shape,
      ]);
    }
  }
  const srcStrides = stridesOf(g.shape);
  const keptStrides = padded.map((d, k) => (d === 1 ? 0 : srcStrides[k]));
  const redDims = padded.map((d, k) => (d === 1 ? g.shape[k] : 1));
  const redStrides = padded.map((d, k) => (d === 1 ? srcStrides[k] : 0));
  const nInner = redDims.reduce((x, y) => x * y, 1);
  const out = Tensor.empty(shape);
  dispatch({
    name: "sum_to_shape",
    code: sumToShapeWgsl,
    params: packParams([
      out.size,
      rank,
      nInner,
      0,
      ...vec8(padded),
      ...vec8(keptStrides),
      ...vec8(redDims),
      ...vec8(redStrides),
    ]),
    bindings: [g.buffer, out.buffer],
    workgroups: grid1d(out.size),
    flops: g.size,
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
