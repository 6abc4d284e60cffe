/**
 * log(1 − exp(x)) of log-probabilities, the building block of unlikelihood losses
 * (−log(1 − p) = −log1mexp(log p)). Computed stably on both sides of −ln 2; the input is
 * clamped to x ≤ −eps (default 1e-6, so y ≥ log(1e-6) ≈ −13.8) because p = 1 has no finite
 * value. The gradient, −exp(x − y) = −p/(1 − p), is taken at the clamped x (it keeps
 * pushing where the clamp is active, and after the chain rule through log-softmax the
 * gradient w.r.t. the logits is bounded: p on the target, −p·p_j/(1 − p) elsewhere).
 * @module
 */

import log1mexpWgsl from "../../../kernels/log1mexp.wgsl" with { type: "text" };
import { dispatch, grid1d, packParams } from "../../gpu/kernel.ts";
import { Tensor } from "../tensor.ts";
import { record } from "../autograd.ts";
import { ShapeError } from "../errors.ts";

/** The clamp: inputs above −eps are treated as −eps. */
export const LOG1MEXP_EPS = 1e-6;

/** log(1 − exp(min(x, −eps))) element-wise, for f32 x (log-probabilities, ≤ 0). */
export function log1mexp(x: Tensor, eps = LOG1MEXP_EPS): Tensor {
  if (x.dtype !== "f32") {
    throw new ShapeError("log1mexp", `needs an f32 tensor, got ${x.dtype}`, [...x.shape]);
  }
  const y = Tensor.empty(x.shape);
  dispatch({
    name: "log1mexp",
    code: log1mexpWgsl,
    entry: "forward",
    params: packParams([x.size], [eps]),
    bindings: [x.buffer, y.buffer],
    workgroups: grid1d(x.size),
    flops: 6 * x.size,
  });
  return record(y, "log1mexp", [x], (g) => {
    if (!x.requiresGrad) return [null];
    const dx = Tensor.empty(x.shape);
    dispatch({
      name: "log1mexp_grad",
      code: log1mexpWgsl,
      entry: "backward",
      params: packParams([x.size], [eps]),
      bindings: [x.buffer, dx.buffer, g.buffer],
      workgroups: grid1d(x.size),
      flops: 10 * x.size,
    });
    return [dx];
  });
}
