/** Float64 references of the generation ops (the oracle for tests/tensor/attention_decode.test.ts). */

/**
 * Attention of q [B, H, S, Dh] over a cache k, v [B, H, L, Dh]: query row i of entry b sees
 * keys j < min(max(lengths[b] − (S − 1 − i), 0), L); a row with no visible key gives 0.
 */
export function attentionDecodeRef(
  q: Float64Array,
  k: Float64Array,
  v: Float64Array,
  lengths: ArrayLike<number>,
  shape: { b: number; h: number; s: number; l: number; dh: number },
  scale?: number,
): Float64Array {
  const { b, h, s, l, dh } = shape;
  const sc = scale ?? 1 / Math.sqrt(dh);
  const out = new Float64Array(b * h * s * dh);
  const scores = new Float64Array(l);
  for (let bi = 0; bi < b; bi++) {
    for (let hi = 0; hi < h; hi++) {
      const bh = bi * h + hi;
      for (let i = 0; i < s; i++) {
        const end = Math.min(Math.max(lengths[bi] - (s - 1 - i), 0), l);
        if (end === 0) continue;
        let m = -Infinity;
        for (let j = 0; j < end; j++) {
          let dot = 0;
          for (let d = 0; d < dh; d++) {
            dot += q[(bh * s + i) * dh + d] * k[(bh * l + j) * dh + d];
          }
          scores[j] = dot * sc;
          m = Math.max(m, scores[j]);
        }
        let z = 0;
        for (let j = 0; j < end; j++) z += scores[j] = Math.exp(scores[j] - m);
        for (let d = 0; d < dh; d++) {
          let acc = 0;
          for (let j = 0; j < end; j++) acc += scores[j] * v[(bh * l + j) * dh + d];
          out[(bh * s + i) * dh + d] = acc / z;
        }
      }
    }
  }
  return out;
}

/** The cache after writing x [B, H, S, Dh] at rows start[b] + s (rows past L dropped). */
export function cacheWriteRef(
  cache: Float64Array,
  x: Float64Array,
  start: ArrayLike<number>,
  shape: { b: number; h: number; s: number; l: number; dh: number },
): Float64Array {
  const { b, h, s, l, dh } = shape;
  const out = Float64Array.from(cache);
  for (let bi = 0; bi < b; bi++) {
    for (let hi = 0; hi < h; hi++) {
      for (let si = 0; si < s; si++) {
        const pos = start[bi] + si;
        if (pos < 0 || pos >= l) continue;
        for (let d = 0; d < dh; d++) {
          out[(((bi * h + hi) * l) + pos) * dh + d] = x[(((bi * h + hi) * s) + si) * dh + d];
        }
      }
    }
  }
  return out;
}

/** Index of the first maximum of each row of x [N, V]. */
export function argmaxRef(x: ArrayLike<number>, v: number): Int32Array {
  const n = x.length / v;
  const out = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    let best = 0;
    for (let j = 1; j < v; j++) if (x[r * v + j] > x[r * v + best]) best = j;
    out[r] = best;
  }
  return out;
}
