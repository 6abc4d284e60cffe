/**
 * Row-wise ops over the last axis: softmax, logSoftmax and layerNorm. One row per
 * invocation, looping over the row in passes (any length works, e.g. vocab-size logits);
 * rows whose length is a multiple of 4 run on vec4f.
 * @module
 */

import rowF32Wgsl from "../../../kernels/row_f32.wgsl" with { type: "text" };
import rowVec4Wgsl from "../../../kernels/row_vec4.wgsl" with { type: "text" };
import softmaxWgsl from "../../../kernels/softmax.wgsl" with { type: "text" };
import softmaxGradWgsl from "../../../kernels/softmax_grad.wgsl" with { type: "text" };
import layernormWgsl from "../../../kernels/layernorm.wgsl" with { type: "text" };
import layernormGradWgsl from "../../../kernels/layernorm_grad.wgsl" with { type: "text" };
import layernormWgradWgsl from "../../../kernels/layernorm_wgrad.wgsl" with { type: "text" };
import { dispatch, grid1d, packParams } from "../../gpu/kernel.ts";
import { Tensor } from "../tensor.ts";
import { record } from "../autograd.ts";
import { ShapeError } from "../errors.ts";
import { sum } from "./reduce.ts";

/** Rows per first-level chunk of the layerNorm weight/bias gradient. */
const WGRAD_ROWS = 64;

/** Rows of a tensor seen as [rows, D] over its last axis, and the vector width used. */
interface Rows {
  rows: number;
  /** Row length in elements. */
  n: number;
  /** Row length in units of the kernel's element type (vec4f or f32). */
  d: number;
  /** The kernel source with the matching row prelude prepended. */
  withPrelude: (src: string) => string;
}

function rowsOf(op: string, x: Tensor): Rows {
  if (x.dtype !== "f32") {
    throw new ShapeError(op, `needs an f32 tensor, got ${x.dtype}`, [...x.shape]);
  }
  if (x.rank === 0 || x.shape[x.rank - 1] === 0) {
    throw new ShapeError(op, "needs a non-empty last axis", [...x.shape]);
  }
  const n = x.shape[x.rank - 1];
  const vec4 = n % 4 === 0;
  return {
    rows: x.size / n,
    n,
    d: vec4 ? n / 4 : n,
    withPrelude: (src) => (vec4 ? rowVec4Wgsl : rowF32Wgsl) + src,
  };
}

/** Runs one row kernel of the softmax family over `x`'s rows into a new tensor. */
function rowKernel(
  name: string,
  code: string,
  r: Rows,
  inputs: Tensor[],
  flopsPerElement: number,
): Tensor {
  const out = Tensor.empty(inputs[0].shape);
  dispatch({
    name,
    code: r.withPrelude(code),
    entry: name,
    params: packParams([r.rows, r.d]),
    bindings: [...inputs.map((t) => t.buffer), out.buffer],
    workgroups: grid1d(r.rows),
    flops: flopsPerElement * r.rows * r.n,
  });
  return out;
}

/** Softmax over the last axis: exp(x − max) / Σ exp(x − max). */
export function softmax(x: Tensor): Tensor {
  const r = rowsOf("softmax", x);
  const y = rowKernel("softmax", softmaxWgsl, r, [x], 7);
  return record(y, "softmax", [x], (g) => [
    x.requiresGrad ? rowKernel("softmax_grad", softmaxGradWgsl, r, [g, y], 4) : null,
  ]);
}

/** log softmax over the last axis: x − max − log Σ exp(x − max). */
export function logSoftmax(x: Tensor): Tensor {
  const r = rowsOf("logSoftmax", x);
  const y = rowKernel("log_softmax", softmaxWgsl, r, [x], 5);
  return record(y, "logSoftmax", [x], (g) => [
    x.requiresGrad ? rowKernel("log_softmax_grad", softmaxGradWgsl, r, [g, y], 4) : null,
  ]);
}

/**
 * LayerNorm over the last axis D: (x − mean)/√(var + eps)·weight + bias, with the biased
 * variance (÷ D) as PyTorch. `weight` and `bias` have shape [D]. The backward gives dx,
 * dweight and dbias; dweight/dbias are summed over rows in a fixed order (chunks of rows,
 * then the chunks), without atomics.
 */
export function layerNorm(x: Tensor, weight: Tensor, bias: Tensor, eps = 1e-5): Tensor {
  const r = rowsOf("layerNorm", x);
  for (const t of [weight, bias]) {
    if (t.dtype !== "f32" || t.rank !== 1 || t.shape[0] !== r.n) {
      throw new ShapeError(
        "layerNorm",
        `weight and bias must be f32 of shape [${r.n}]`,
        [...x.shape],
        [...weight.shape],
        [...bias.shape],
      );
    }
  }
  const y = Tensor.empty(x.shape);
  const mean = Tensor.empty([r.rows]);
  const rstd = Tensor.empty([r.rows]);
  dispatch({
    name: "layernorm",
    code: r.withPrelude(layernormWgsl),
    params: packParams([r.rows, r.d], [r.n, eps]),
    bindings: [x.buffer, weight.buffer, bias.buffer, y.buffer, mean.buffer, rstd.buffer],
    workgroups: grid1d(r.rows),
    flops: 9 * x.size,
  });
  return record(y, "layerNorm", [x, weight, bias], (g) => {
    const dx = x.requiresGrad ? layerNormDx(g, x, weight, mean, rstd, r) : null;
    const [dw, db] = weight.requiresGrad || bias.requiresGrad
      ? layerNormDwb(g, x, mean, rstd, r)
      : [null, null];
    return [dx, weight.requiresGrad ? dw : null, bias.requiresGrad ? db : null];
  });
}

function layerNormDx(
  g: Tensor,
  x: Tensor,
  w: Tensor,
  mean: Tensor,
  rstd: Tensor,
  r: Rows,
): Tensor {
  const dx = Tensor.empty(x.shape);
  dispatch({
    name: "layernorm_grad",
    code: r.withPrelude(layernormGradWgsl),
    params: packParams([r.rows, r.d], [r.n]),
    bindings: [g.buffer, x.buffer, w.buffer, mean.buffer, rstd.buffer, dx.buffer],
    workgroups: grid1d(r.rows),
    flops: 14 * x.size,
  });
  return dx;
}

/** dweight = Σ_rows g·x̂ and dbias = Σ_rows g: chunk partial sums, then `sum` over chunks. */
function layerNormDwb(g: Tensor, x: Tensor, mean: Tensor, rstd: Tensor, r: Rows): [Tensor, Tensor] {
  const nChunks = Math.ceil(r.rows / WGRAD_ROWS);
  const dwPart = Tensor.empty([nChunks, r.n]);
  const dbPart = Tensor.empty([nChunks, r.n]);
  dispatch({
    name: "layernorm_wgrad",
    code: r.withPrelude(layernormWgradWgsl),
    params: packParams([r.rows, r.d, WGRAD_ROWS, nChunks]),
    bindings: [g.buffer, x.buffer, mean.buffer, rstd.buffer, dwPart.buffer, dbPart.buffer],
    workgroups: grid1d(nChunks * r.d),
    flops: 5 * x.size,
  });
  const dw = sum(dwPart, 0);
  const db = sum(dbPart, 0);
  dwPart.dispose();
  dbPart.dispose();
  return [dw, db];
}
