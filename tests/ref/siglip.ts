/** Float64 reference of the SigLIP sigmoid loss (src/train/losses/siglip.ts). */

/** Numerically stable log σ(x) in float64. */
export function logSigmoidRef(x: number): number {
  return Math.min(x, 0) - Math.log1p(Math.exp(-Math.abs(x)));
}

/** Rows of x [n, d] divided by √(‖row‖² + eps). */
export function l2NormalizeRef(x: Float64Array, n: number, d: number, eps = 1e-12): Float64Array {
  const out = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += x[i * d + k] ** 2;
    const r = Math.sqrt(s + eps);
    for (let k = 0; k < d; k++) out[i * d + k] = x[i * d + k] / r;
  }
  return out;
}

/** logits [b, b] = exp(logScale)·x̂·ŷᵀ + bias. */
export function siglipLogitsRef(
  img: Float64Array,
  txt: Float64Array,
  logScale: number,
  bias: number,
  b: number,
  d: number,
): Float64Array {
  const x = l2NormalizeRef(img, b, d);
  const y = l2NormalizeRef(txt, b, d);
  const t = Math.exp(logScale);
  const out = new Float64Array(b * b);
  for (let i = 0; i < b; i++) {
    for (let j = 0; j < b; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += x[i * d + k] * y[j * d + k];
      out[i * b + j] = t * s + bias;
    }
  }
  return out;
}

/** −(1/b) Σ_ij log σ(z_ij·logits_ij), z = +1 on the diagonal and −1 elsewhere. */
export function siglipLossRef(
  img: Float64Array,
  txt: Float64Array,
  logScale: number,
  bias: number,
  b: number,
  d: number,
): number {
  const logits = siglipLogitsRef(img, txt, logScale, bias, b, d);
  let total = 0;
  for (let i = 0; i < b; i++) {
    for (let j = 0; j < b; j++) total += logSigmoidRef((i === j ? 1 : -1) * logits[i * b + j]);
  }
  return -total / b;
}
