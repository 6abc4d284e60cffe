/**
 * Losses and log-probability gathers over vocabulary logits, fused and numerically stable:
 * one invocation per row computes the max-shifted log-sum-exp and picks the target's
 * log-probability; the gradient (softmax − one-hot, scaled) is one element per invocation.
 *
 * A row counts when its target t satisfies 0 ≤ t < V and t ≠ ignoreIndex; other rows
 * contribute 0 and get zero gradient (no readback is ever needed to know this).
 * @module
 */

import logprobRowsWgsl from "../../../kernels/logprob_rows.wgsl" with { type: "text" };
import ceMeanWgsl from "../../../kernels/ce_mean.wgsl" with { type: "text" };
import logprobGradWgsl from "../../../kernels/logprob_grad.wgsl" with { type: "text" };
import { dispatch, grid1d, packParams } from "../../gpu/kernel.ts";
import { Tensor } from "../tensor.ts";
import { record } from "../autograd.ts";
import { ShapeError } from "../errors.ts";
import { reshape } from "./shape_ops.ts";
import { grid2d } from "./grid.ts";
import { sumPool } from "./vision.ts";

/** Never matches a target: tokenLogProbs ignores only out-of-range targets. */
const NO_IGNORE = -0x80000000;

function checkLogits(op: string, logits: Tensor, targets: Tensor): [number, number] {
  const [n, v] = logits.shape;
  const ok = logits.rank === 2 && logits.dtype === "f32" && targets.dtype === "i32" &&
    targets.rank === 1 && targets.shape[0] === n && v > 0;
  if (!ok) {
    throw new ShapeError(
      op,
      `needs f32 logits [N, V] and i32 targets [N] (got ${logits.dtype}, ${targets.dtype})`,
      [...logits.shape],
      [...targets.shape],
    );
  }
  return [n, v];
}

/** Per-row log-sum-exp (as max and log-sum) and target log-prob (0 for rows not counted). */
function logprobRows(logits: Tensor, targets: Tensor, n: number, v: number, ignore: number) {
  const lse = Tensor.empty([n, 2]); // (row max, log Σ exp(x − max))
  const logp = Tensor.empty([n]);
  dispatch({
    name: "logprob_rows",
    code: logprobRowsWgsl,
    params: packParams([n, v, ignore]),
    bindings: [logits.buffer, targets.buffer, lse.buffer, logp.buffer],
    workgroups: grid1d(n),
    flops: 4 * n * v, // max, subtract, exp, add per logit
  });
  return { lse, logp };
}

function logprobGrad(
  entry: "ce" | "tlp",
  logits: Tensor,
  targets: Tensor,
  lse: Tensor,
  g: Tensor,
  ignore: number,
  count?: Tensor,
): Tensor {
  const [n, v] = logits.shape;
  const out = Tensor.empty(logits.shape);
  dispatch({
    name: `logprob_grad_${entry}`,
    code: logprobGradWgsl,
    entry,
    params: packParams([n, v, ignore]),
    bindings: [logits.buffer, targets.buffer, lse.buffer, g.buffer, out.buffer]
      .concat(count ? [count.buffer] : []),
    ...grid2d(v, n),
    flops: 4 * n * v, // subtract, exp, subtract, multiply per logit
  });
  return out;
}

/**
 * Mean cross-entropy −log softmax(logits)[target] over the counted rows of logits [N, V]
 * with i32 targets [N] → scalar (shape []). Rows whose target equals `ignoreIndex` (default
 * −100) or lies outside [0, V) are skipped; if every row is skipped the loss is 0 with a
 * zero gradient. The count of rows is computed on the GPU. Gradient:
 * (softmax − one-hot)·g / count on counted rows.
 */
export function crossEntropy(
  logits: Tensor,
  targets: Tensor,
  { ignoreIndex = -100 }: { ignoreIndex?: number } = {},
): Tensor {
  const [n, v] = checkLogits("crossEntropy", logits, targets);
  const { lse, logp } = logprobRows(logits, targets, n, v, ignoreIndex);
  const loss = Tensor.empty([]);
  const count = Tensor.empty([1]);
  dispatch({
    name: "ce_mean",
    code: ceMeanWgsl,
    params: packParams([n, v, ignoreIndex]),
    bindings: [targets.buffer, logp.buffer, loss.buffer, count.buffer],
    workgroups: [1],
    flops: n + 1,
  });
  return record(loss, "crossEntropy", [logits, targets], (g) => [
    logits.requiresGrad ? logprobGrad("ce", logits, targets, lse, g, ignoreIndex, count) : null,
    null,
  ]);
}

/**
 * log softmax(logits)[n, targets[n]] for logits [N, V] and i32 targets [N] → [N]. A target
 * outside [0, V) (e.g. −100 padding) gives 0 and no gradient. Gradient: g·(one-hot − softmax).
 */
export function tokenLogProbs(logits: Tensor, targets: Tensor): Tensor {
  const [n, v] = checkLogits("tokenLogProbs", logits, targets);
  const { lse, logp } = logprobRows(logits, targets, n, v, NO_IGNORE);
  return record(logp, "tokenLogProbs", [logits, targets], (g) => [
    logits.requiresGrad ? logprobGrad("tlp", logits, targets, lse, g, NO_IGNORE) : null,
    null,
  ]);
}

/**
 * Σ_t mask[b, t]·log p(targets[b, t]) for logits [B, T, V], i32 targets [B, T] and an f32
 * mask [B, T] → [B]: the per-sequence response log-likelihood DPO compares. Composed of
 * `tokenLogProbs` and a masked `sumPool` (2 dispatches forward); the mask gets no gradient.
 */
export function sequenceLogProbs(logits: Tensor, targets: Tensor, mask: Tensor): Tensor {
  const [b, t, v] = logits.shape;
  const ok = logits.rank === 3 && targets.rank === 2 && mask.rank === 2 &&
    targets.shape[0] === b && targets.shape[1] === t && mask.shape[0] === b &&
    mask.shape[1] === t && mask.dtype === "f32";
  if (!ok) {
    throw new ShapeError(
      "sequenceLogProbs",
      "needs logits [B, T, V], i32 targets [B, T] and an f32 mask [B, T]",
      [...logits.shape],
      [...targets.shape],
      [...mask.shape],
    );
  }
  const logp = tokenLogProbs(reshape(logits, [b * t, v]), reshape(targets, [b * t]));
  return reshape(sumPool(reshape(logp, [b, t, 1]), mask), [b]);
}
