/**
 * Element-wise unary ops. Each op is one row of the table below: a WGSL forward expression
 * in x (and the uniform scalar p.s), and either a gradient expression in g and x or y, or a
 * rule for linear ops. Kernels run on vec4f; tensor buffers are padded to 16 bytes, so the
 * last vec4 stays in bounds (its padding lanes compute garbage that nobody reads).
 * @module
 */

import preludeWgsl from "../../../kernels/unary_prelude.wgsl" with { type: "text" };
import unaryWgsl from "../../../kernels/unary.wgsl" with { type: "text" };
import unaryGradWgsl from "../../../kernels/unary_grad.wgsl" with { type: "text" };
import { dispatch, grid1d, packParams, specialise } from "../../gpu/kernel.ts";
import { Tensor } from "../tensor.ts";
import { record } from "../autograd.ts";
import { ShapeError } from "../errors.ts";

/** One unary op: forward expression, gradient, and FLOPs per element (approximate). */
interface UnaryDef {
  fwd: string;
  /** `{ expr, uses }`: dx = expr in g and x or y; "self": dx = op(g) (linear ops); "pass": dx = g. */
  grad: { expr: string; uses: "x" | "y" } | "self" | "pass";
  flops: number;
  gradFlops: number;
}

/** The op table. Expressions are vec4f; helpers come from kernels/unary_prelude.wgsl. */
const OPS = {
  exp: { fwd: "exp(x)", grad: { expr: "g * y", uses: "y" }, flops: 1, gradFlops: 1 },
  log: { fwd: "log(x)", grad: { expr: "g / x", uses: "x" }, flops: 1, gradFlops: 1 },
  tanh: {
    fwd: "tanh_stable(x)",
    grad: { expr: "g * (1.0 - y * y)", uses: "y" },
    flops: 6,
    gradFlops: 3,
  },
  gelu: {
    fwd: "gelu_tanh(x)",
    grad: { expr: "g * gelu_tanh_grad(x)", uses: "x" },
    flops: 12,
    gradFlops: 20,
  },
  relu: {
    fwd: "max(x, vec4f(0.0))",
    // The gradient at exactly 0 is taken as 0 (as PyTorch).
    grad: { expr: "select(vec4f(0.0), g, y > vec4f(0.0))", uses: "y" },
    flops: 1,
    gradFlops: 1,
  },
  sigmoid: {
    fwd: "sigmoid_stable(x)",
    grad: { expr: "g * y * (1.0 - y)", uses: "y" },
    flops: 5,
    gradFlops: 3,
  },
  logSigmoid: {
    // min(x, 0) − log1p(exp(−|x|)): no overflow, no log of 0.
    fwd: "min(x, vec4f(0.0)) - log1p_stable(exp(-abs(x)))",
    // d/dx = σ(−x), from x: 1 − exp(y) would cancel where σ(x) ≈ 1.
    grad: { expr: "g * sigmoid_stable(-x)", uses: "x" },
    flops: 7,
    gradFlops: 6,
  },
  softplus: {
    fwd: "max(x, vec4f(0.0)) + log1p_stable(exp(-abs(x)))",
    grad: { expr: "g * sigmoid_stable(x)", uses: "x" },
    flops: 7,
    gradFlops: 6,
  },
  neg: { fwd: "-x", grad: "self", flops: 1, gradFlops: 1 },
  sqrt: { fwd: "sqrt(x)", grad: { expr: "g * 0.5 / y", uses: "y" }, flops: 1, gradFlops: 2 },
  square: { fwd: "x * x", grad: { expr: "2.0 * g * x", uses: "x" }, flops: 1, gradFlops: 2 },
  scale: { fwd: "x * p.s", grad: "self", flops: 1, gradFlops: 1 },
  addScalar: { fwd: "x + p.s", grad: "pass", flops: 1, gradFlops: 0 },
} satisfies Record<UnaryName, UnaryDef>;

/** Names of the unary ops (the keys of the op table). */
export type UnaryName =
  | "exp"
  | "log"
  | "tanh"
  | "gelu"
  | "relu"
  | "sigmoid"
  | "logSigmoid"
  | "softplus"
  | "neg"
  | "sqrt"
  | "square"
  | "scale"
  | "addScalar";

const fwdCode = new Map<string, string>();
const gradCode = new Map<string, string>();

function codeFor(cache: Map<string, string>, name: string, make: () => string): string {
  let code = cache.get(name);
  if (!code) cache.set(name, code = make());
  return code;
}

function checkF32(name: string, a: Tensor): void {
  if (a.dtype !== "f32") {
    throw new ShapeError(name, `needs an f32 tensor, got ${a.dtype}`, [...a.shape]);
  }
}

/** Runs the forward kernel of `name` (no tape). */
function forward(name: UnaryName, a: Tensor, s: number): Tensor {
  checkF32(name, a);
  const out = Tensor.empty(a.shape);
  const n4 = Math.ceil(a.size / 4);
  dispatch({
    name: `unary_${name}`,
    code: codeFor(fwdCode, name, () => preludeWgsl + specialise(unaryWgsl, { FWD: OPS[name].fwd })),
    params: packParams([n4], [s]),
    bindings: [a.buffer, out.buffer],
    workgroups: grid1d(n4),
    flops: OPS[name].flops * a.size,
  });
  return out;
}

/** The input gradient of `name` given the output gradient g. */
function gradient(name: UnaryName, g: Tensor, x: Tensor, y: Tensor, s: number): Tensor {
  const def: UnaryDef = OPS[name];
  if (def.grad === "pass") return g;
  if (def.grad === "self") return forward(name, g, s);
  const { expr, uses } = def.grad;
  const out = Tensor.empty(x.shape);
  const n4 = Math.ceil(x.size / 4);
  dispatch({
    name: `unary_${name}_grad`,
    code: codeFor(
      gradCode,
      name,
      () => preludeWgsl + specialise(unaryGradWgsl, { GRAD: expr, V: uses }),
    ),
    params: packParams([n4], [s]),
    bindings: [g.buffer, (uses === "x" ? x : y).buffer, out.buffer],
    workgroups: grid1d(n4),
    flops: def.gradFlops * x.size,
  });
  return out;
}

/** Applies the unary op `name` (with scalar `s` for scale/addScalar) and records its gradient. */
export function unary(name: UnaryName, a: Tensor, s = 0): Tensor {
  if (!(name in OPS)) throw new ShapeError("unary", `unknown op ${name}`, [...a.shape]);
  const y = forward(name, a, s);
  return record(y, name, [a], (g) => [a.requiresGrad ? gradient(name, g, a, y, s) : null]);
}

/** eˣ element-wise. */
export function exp(a: Tensor): Tensor {
  return unary("exp", a);
}

/** Natural logarithm element-wise (−∞ at 0, NaN below). */
export function log(a: Tensor): Tensor {
  return unary("log", a);
}

/** Hyperbolic tangent element-wise (overflow-free, accurate near 0). */
export function tanh(a: Tensor): Tensor {
  return unary("tanh", a);
}

/** GELU, tanh approximation (GPT-2): 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
export function gelu(a: Tensor): Tensor {
  return unary("gelu", a);
}

/** max(x, 0); the gradient at 0 is 0. */
export function relu(a: Tensor): Tensor {
  return unary("relu", a);
}

/** Logistic sigmoid 1/(1 + e⁻ˣ), stable for large |x|. */
export function sigmoid(a: Tensor): Tensor {
  return unary("sigmoid", a);
}

/** log σ(x) = min(x, 0) − log1p(e^−|x|), stable for large |x|. */
export function logSigmoid(a: Tensor): Tensor {
  return unary("logSigmoid", a);
}

/** softplus(x) = log(1 + eˣ) = max(x, 0) + log1p(e^−|x|), stable for large |x|. */
export function softplus(a: Tensor): Tensor {
  return unary("softplus", a);
}

/** −x element-wise. */
export function neg(a: Tensor): Tensor {
  return unary("neg", a);
}

/** √x element-wise (gradient 1/(2√x), infinite at 0). */
export function sqrt(a: Tensor): Tensor {
  return unary("sqrt", a);
}

/** x² element-wise. */
export function square(a: Tensor): Tensor {
  return unary("square", a);
}

/** s·x with a plain number `s` (a uniform, not a tensor). */
export function scale(a: Tensor, s: number): Tensor {
  return unary("scale", a, s);
}

/** x + s with a plain number `s` (a uniform, not a tensor). */
export function addScalar(a: Tensor, s: number): Tensor {
  return unary("addScalar", a, s);
}
