/** Float64 references of the losses (the oracle for kernels/logprob_*.wgsl, ce_mean.wgsl). */

function counted(t: number, v: number, ignore: number): boolean {
  return t >= 0 && t < v && t !== ignore;
}

function logSoftmaxAt(x: Float64Array, row: number, v: number, t: number): number {
  let m = -Infinity;
  for (let j = 0; j < v; j++) m = Math.max(m, x[row * v + j]);
  let s = 0;
  for (let j = 0; j < v; j++) s += Math.exp(x[row * v + j] - m);
  return x[row * v + t] - m - Math.log(s);
}

/** log p(target) per row of logits [N, V]; uncounted targets give 0. */
export function tokenLogProbsRef(v: number, ignore = -Infinity) {
  return ([x, targets]: Float64Array[]): Float64Array =>
    targets.map((t, n) => (counted(t, v, ignore) ? logSoftmaxAt(x, n, v, t) : 0));
}

/** Mean −log p(target) over counted rows (0 when none). */
export function crossEntropyRef(v: number, ignore = -100) {
  return ([x, targets]: Float64Array[]): Float64Array => {
    const logp = tokenLogProbsRef(v, ignore)([x, targets]);
    const count = targets.filter((t) => counted(t, v, ignore)).length;
    const total = logp.reduce((a, b) => a + b, 0);
    return Float64Array.of(count > 0 ? -total / count : 0);
  };
}

/** Σ_t mask·log p per sequence of logits [B, T, V]. */
export function sequenceLogProbsRef(b: number, t: number, v: number) {
  return ([x, targets, mask]: Float64Array[]): Float64Array => {
    const logp = tokenLogProbsRef(v)([x, targets]);
    const out = new Float64Array(b);
    for (let i = 0; i < b * t; i++) out[Math.floor(i / t)] += mask[i] * logp[i];
    return out;
  };
}
