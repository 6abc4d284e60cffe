/**
 * Held-out perplexity of a causal LM, and the chance levels it is compared with.
 * perplexity = exp(Σ token NLL / tokens) over every counted target (padding, i.e. target
 * −100, excluded). Chance: a uniform guess over the vocabulary (perplexity = V), and the
 * unigram model of the training targets (add-one smoothed), the better of the two
 * baselines that ignore context.
 * @module
 */

import type { CausalLM } from "../nn/causal_lm.ts";
import { noGrad, type Tensor, tensor } from "../tensor/tensor.ts";
import { keep, tidy } from "../tensor/scope.ts";
import { add } from "../tensor/ops/binary.ts";
import { scale } from "../tensor/ops/unary.ts";
import { zeros } from "../tensor/ops/create.ts";
import { measureFlops } from "../gpu/flops.ts";

/** Token rows for an LM: ids and next-token targets (−100 = not counted), [rows, T]. */
export interface TokenRows {
  ids: Int32Array;
  targets: Int32Array;
  rows: number;
  /** Tokens per row. */
  t: number;
}

/** A perplexity measurement. */
export interface Perplexity {
  perplexity: number;
  /** Mean negative log-likelihood per token (nats). */
  nll: number;
  tokens: number;
  flops: number;
}

/** Counted targets of rows [start, end). */
function countTargets(rows: TokenRows, start: number, end: number): number {
  let n = 0;
  for (let i = start * rows.t; i < end * rows.t; i++) if (rows.targets[i] !== -100) n++;
  return n;
}

/**
 * Perplexity of `model` on `rows`, in batches of `batch` rows, in evaluation mode and
 * without the tape. The NLL is summed on the GPU and read once.
 */
export async function lmPerplexity(
  model: CausalLM,
  rows: TokenRows,
  batch = 32,
): Promise<Perplexity> {
  const wasTraining = model.training;
  model.eval();
  let tokens = 0;
  let acc: Tensor = keep(zeros([]));
  const { flops } = measureFlops(() =>
    noGrad(() => {
      for (let start = 0; start < rows.rows; start += batch) {
        const end = Math.min(rows.rows, start + batch);
        const n = countTargets(rows, start, end);
        if (n === 0) continue;
        tokens += n;
        const next = tidy(() => {
          const shape = [end - start, rows.t];
          const ids = tensor(rows.ids.subarray(start * rows.t, end * rows.t), shape, "i32");
          const tg = tensor(rows.targets.subarray(start * rows.t, end * rows.t), shape, "i32");
          return add(acc, scale(model.loss(ids, tg), n));
        });
        acc.dispose();
        acc = keep(next);
      }
    })
  );
  const sum = await acc.item();
  acc.dispose();
  model.train(wasTraining);
  const nll = tokens > 0 ? sum / tokens : NaN;
  return { perplexity: Math.exp(nll), nll, tokens, flops };
}

/**
 * Perplexity on `heldOut` targets of the unigram distribution of `train` targets, add-one
 * smoothed over a vocabulary of `vocab` tokens (−100 targets skipped in both).
 */
export function unigramPerplexity(
  train: Int32Array,
  heldOut: Int32Array,
  vocab: number,
): { perplexity: number; nll: number; tokens: number } {
  const counts = new Float64Array(vocab).fill(1);
  let total = vocab;
  for (const t of train) {
    if (t !== -100) {
      counts[t] += 1;
      total += 1;
    }
  }
  let sum = 0;
  let tokens = 0;
  for (const t of heldOut) {
    if (t === -100) continue;
    sum -= Math.log(counts[t] / total);
    tokens += 1;
  }
  const nll = sum / tokens;
  return { perplexity: Math.exp(nll), nll, tokens };
}
