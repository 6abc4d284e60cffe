/**
 * The SFT loss of Stage 2 (and of Stages 1a/1b): mean cross-entropy over the response
 * tokens, i.e. the positions whose label is not −100 (chat.ts puts labels only on the
 * response, its `<eos>` included). For the SFT arm the batch holds the chosen responses only.
 * @module
 */

import type { Tensor } from "../../tensor/tensor.ts";
import { lmLoss } from "../../nn/causal_lm.ts";

/** logits [B, T, V], i32 labels [B, T] (−100 outside responses) → scalar mean CE. */
export function sftLoss(logits: Tensor, labels: Tensor): Tensor {
  return lmLoss(logits, labels);
}
