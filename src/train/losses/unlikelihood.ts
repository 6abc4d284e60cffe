/**
 * The control arm: SFT on the chosen response plus unlikelihood (Welleck et al.) on the
 * rejected response's tokens where it differs from the chosen one, so the arm sees exactly
 * the negatives DPO sees, without the preference objective:
 *
 *     L = CE(chosen tokens) + α · mean_{k ∈ differing rejected tokens} −log(1 − p(y_k))
 *
 * with −log(1 − p) = −log1mexp(log p), computed stably (src/tensor/ops/log1mexp.ts). The
 * caller builds the targets from a `preferenceBatch`: `sftLabels` are the chosen rows'
 * labels (−100 on rejected rows), `ulTargets` the rejected rows' labels inside the diff
 * spans (−100 elsewhere), `ulMask` 1 exactly there and `ulCount` its sum.
 * @module
 */

import { noGrad, type Tensor } from "../../tensor/tensor.ts";
import { ShapeError } from "../../tensor/errors.ts";
import { add, mul } from "../../tensor/ops/binary.ts";
import { scale } from "../../tensor/ops/unary.ts";
import { sumAll } from "../../tensor/ops/reduce.ts";
import { reshape } from "../../tensor/ops/shape_ops.ts";
import { tokenLogProbs } from "../../tensor/ops/loss.ts";
import { log1mexp } from "../../tensor/ops/log1mexp.ts";
import { lmLoss } from "../../nn/causal_lm.ts";

/** The loss and its two parts (scalars; the parts carry no gradient). */
export interface UnlikelihoodTerms {
  loss: Tensor;
  sft: Tensor;
  unlikelihood: Tensor;
}

/** mean over masked positions of −log(1 − p(target)), for logits [R, T, V]. */
export function unlikelihoodTerm(
  logits: Tensor,
  targets: Tensor,
  mask: Tensor,
  count: number,
): Tensor {
  const [r, t, v] = logits.shape;
  if (logits.rank !== 3 || targets.size !== r * t || mask.size !== r * t) {
    throw new ShapeError(
      "unlikelihood",
      "needs logits [R, T, V], targets [R, T] and a mask [R, T]",
      [...logits.shape],
      [...targets.shape],
      [...mask.shape],
    );
  }
  const logp = tokenLogProbs(reshape(logits, [r * t, v]), reshape(targets, [r * t]));
  const masked = mul(log1mexp(logp), reshape(mask, [r * t]));
  return scale(sumAll(masked), count > 0 ? -1 / count : 0);
}

/** SFT on chosen + α · unlikelihood on the differing rejected tokens. */
export function unlikelihoodLoss(
  logits: Tensor,
  sftLabels: Tensor,
  ulTargets: Tensor,
  ulMask: Tensor,
  ulCount: number,
  alpha: number,
): UnlikelihoodTerms {
  const sft = lmLoss(logits, sftLabels);
  const ul = unlikelihoodTerm(logits, ulTargets, ulMask, ulCount);
  const loss = add(sft, scale(ul, alpha));
  return noGrad(() => ({ loss, sft: scale(sft, 1), unlikelihood: scale(ul, 1) }));
}
