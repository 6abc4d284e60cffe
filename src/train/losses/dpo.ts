/**
 * Sigmoid DPO (Rafailov et al.), as the paper runs it: no SFT term, sequence log-probs
 * *summed* over response tokens, reference = the frozen Stage-1b model (its log-probs are
 * inputs, computed once and cached):
 *
 *     L = mean_i −log σ(β · [(π_c,i − ref_c,i) − (π_r,i − ref_r,i)])
 *
 * over the N items of a `preferenceBatch` (rows 0 … N−1 chosen, N … 2N−1 rejected). The
 * logged quantities stay on the GPU: mean chosen and rejected policy log-probs (the known
 * failure mode is both falling together) and the mean implicit reward margin
 * β·[(π_c − ref_c) − (π_r − ref_r)].
 * @module
 */

import { noGrad, type Tensor } from "../../tensor/tensor.ts";
import { ShapeError } from "../../tensor/errors.ts";
import { sub } from "../../tensor/ops/binary.ts";
import { logSigmoid, neg, scale } from "../../tensor/ops/unary.ts";
import { meanAll } from "../../tensor/ops/reduce.ts";
import { slice } from "../../tensor/ops/shape_ops.ts";
import { sequenceLogProbs } from "../../tensor/ops/loss.ts";

/** The loss and its logged terms (scalars, shape []). */
export interface DpoTerms {
  loss: Tensor;
  /** Mean over items of the chosen response's summed policy log-prob (no gradient). */
  chosenLogp: Tensor;
  /** The same for the rejected response. */
  rejectedLogp: Tensor;
  /** Mean implicit reward margin β·[(π_c − ref_c) − (π_r − ref_r)] (no gradient). */
  margin: Tensor;
}

/** DPO from summed log-probs: policy [2N] (chosen then rejected), reference [2N]. */
export function dpoFromLogProbs(policy: Tensor, reference: Tensor, beta: number): DpoTerms {
  const n2 = policy.shape[0];
  if (policy.rank !== 1 || n2 % 2 !== 0 || reference.rank !== 1 || reference.shape[0] !== n2) {
    throw new ShapeError(
      "dpo",
      "needs policy and reference log-probs [2N] (chosen rows, then rejected rows)",
      [...policy.shape],
      [...reference.shape],
    );
  }
  const n = n2 / 2;
  const pc = slice(policy, 0, 0, n);
  const pr = slice(policy, 0, n, n2);
  const rc = slice(reference, 0, 0, n);
  const rr = slice(reference, 0, n, n2);
  const z = scale(sub(sub(pc, rc), sub(pr, rr)), beta);
  const loss = neg(meanAll(logSigmoid(z)));
  return noGrad(() => ({
    loss,
    chosenLogp: meanAll(pc),
    rejectedLogp: meanAll(pr),
    margin: meanAll(z),
  }));
}

/**
 * DPO of a preference batch: logits [2N, T, V], i32 labels [2N, T], f32 response mask
 * [2N, T] and the cached reference log-probs [2N] (same row order).
 */
export function dpoLoss(
  logits: Tensor,
  labels: Tensor,
  mask: Tensor,
  reference: Tensor,
  beta: number,
): DpoTerms {
  return dpoFromLogProbs(sequenceLogProbs(logits, labels, mask), reference, beta);
}
