/**
 * Float64 references of the post-training losses (src/train/losses/): SFT, sigmoid DPO on
 * summed response log-probs, SFT + unlikelihood, and log1mexp. Logits are row-major
 * [R, T, V]; labels are −100 where a position has no target.
 */

/** log softmax(row)[target] of row r of a flat [N, V] array. */
export function logProb(logits: Float64Array, r: number, v: number, target: number): number {
  let m = -Infinity;
  for (let j = 0; j < v; j++) m = Math.max(m, logits[r * v + j]);
  let s = 0;
  for (let j = 0; j < v; j++) s += Math.exp(logits[r * v + j] - m);
  return logits[r * v + target] - m - Math.log(s);
}

/** log(1 − exp(x)) for x < 0, Mächler's split at −ln 2, x clamped to ≤ −eps. */
export function log1mexpRef(x: number, eps = 1e-6): number {
  const y = Math.min(x, -eps);
  return y > -Math.LN2 ? Math.log(-Math.expm1(y)) : Math.log1p(-Math.exp(y));
}

/** Mean CE over labelled positions (0 if none), for logits [R·T, V]. */
export function sftRef(v: number, logits: Float64Array, labels: Float64Array): number {
  let s = 0;
  let n = 0;
  labels.forEach((t, i) => {
    if (t >= 0 && t < v) {
      s -= logProb(logits, i, v, t);
      n++;
    }
  });
  return n > 0 ? s / n : 0;
}

/** Summed masked log-probs per row: [R]. */
export function sequenceRef(
  r: number,
  t: number,
  v: number,
  logits: Float64Array,
  labels: Float64Array,
  mask: Float64Array,
): Float64Array {
  const out = new Float64Array(r);
  for (let i = 0; i < r; i++) {
    for (let k = 0; k < t; k++) {
      const at = i * t + k;
      const lab = labels[at];
      if (lab >= 0 && lab < v) out[i] += mask[at] * logProb(logits, at, v, lab);
    }
  }
  return out;
}

/** DPO loss and logged terms from summed log-probs [2N] (chosen rows, then rejected). */
export function dpoRef(policy: Float64Array, reference: Float64Array, beta: number) {
  const n = policy.length / 2;
  let loss = 0;
  let margin = 0;
  let chosen = 0;
  let rejected = 0;
  for (let i = 0; i < n; i++) {
    const z = beta * ((policy[i] - reference[i]) - (policy[n + i] - reference[n + i]));
    // −log σ(z) = softplus(−z), stably.
    loss += Math.max(-z, 0) + Math.log1p(Math.exp(-Math.abs(z)));
    margin += z;
    chosen += policy[i];
    rejected += policy[n + i];
  }
  return { loss: loss / n, margin: margin / n, chosen: chosen / n, rejected: rejected / n };
}

/** SFT on chosen labels + α · mean over the masked positions of −log(1 − p(target)). */
export function unlikelihoodRef(
  v: number,
  logits: Float64Array,
  chosenLabels: Float64Array,
  diffTargets: Float64Array,
  diffMask: Float64Array,
  alpha: number,
) {
  const sft = sftRef(v, logits, chosenLabels);
  let s = 0;
  let n = 0;
  diffTargets.forEach((t, i) => {
    if (diffMask[i] > 0 && t >= 0 && t < v) {
      s -= log1mexpRef(logProb(logits, i, v, t));
      n++;
    }
  });
  const ul = n > 0 ? s / n : 0;
  return { loss: sft + alpha * ul, sft, ul };
}
