/** Float64 reference of masked multi-head attention (the oracle for kernels/attention_*.wgsl). */

/** Masks as plain arrays: valid lengths per batch entry, or a [B, T] 0/1 mask. */
export interface RefMasks {
  causal?: boolean;
  lengths?: number[];
  mask?: number[];
}

/** Whether query i of batch entry bi may see key j. */
export function keyVisible(m: RefMasks, t: number, bi: number, i: number, j: number): boolean {
  if (m.causal && j > i) return false;
  if (m.lengths && j >= m.lengths[bi]) return false;
  if (m.mask && m.mask[bi * t + j] === 0) return false;
  return true;
}

/**
 * softmax(scale·q·kᵀ over visible keys)·v on [B, H, T, Dh] in float64; masked keys get
 * probability 0 and a row with no visible key gives 0.
 */
export function attentionRef(
  shape: number[],
  masks: RefMasks,
  scale?: number,
): (inputs: Float64Array[]) => Float64Array {
  const [b, h, t, dh] = shape;
  const sc = scale ?? 1 / Math.sqrt(dh);
  return ([q, k, v]) => {
    const out = new Float64Array(b * h * t * dh);
    const s = new Float64Array(t);
    for (let bi = 0; bi < b; bi++) {
      for (let hi = 0; hi < h; hi++) {
        const base = (bi * h + hi) * t * dh;
        for (let i = 0; i < t; i++) {
          let m = -Infinity;
          for (let j = 0; j < t; j++) {
            if (!keyVisible(masks, t, bi, i, j)) continue;
            let dot = 0;
            for (let d = 0; d < dh; d++) dot += q[base + i * dh + d] * k[base + j * dh + d];
            s[j] = dot * sc;
            m = Math.max(m, s[j]);
          }
          let l = 0;
          for (let j = 0; j < t; j++) {
            s[j] = keyVisible(masks, t, bi, i, j) ? Math.exp(s[j] - m) : 0;
            l += s[j];
          }
          for (let j = 0; j < t; j++) {
            if (s[j] === 0) continue;
            for (let d = 0; d < dh; d++) {
              out[base + i * dh + d] += (s[j] / l) * v[base + j * dh + d];
            }
          }
        }
      }
    }
    return out;
  };
}

/** Scores [B, (H,) Tq, Tk] with masked positions replaced by `fill`. */
export function maskScoresRef(
  shape: number[],
  masks: RefMasks,
  fill: number,
): (inputs: Float64Array[]) => Float64Array {
  const [tq, tk] = shape.slice(-2);
  const perB = shape.length >= 3 ? shape.slice(1).reduce((x, y) => x * y, 1) : tq * tk;
  return ([x]) =>
    x.map((val, idx) => {
      const j = idx % tk;
      const i = Math.floor(idx / tk) % tq;
      const bi = Math.floor(idx / perB);
      return keyVisible(masks, tk, bi, i, j) ? val : fill;
    });
}

/**
 * `attentionPacked` in float64: qkv [B, T, 3, H, Dh] → [B, T, H, Dh], through
 * `attentionRef` on the unpacked [B, H, T, Dh] q, k, v.
 */
export function attentionPackedRef(
  b: number,
  t: number,
  h: number,
  dh: number,
  masks: RefMasks,
  scale?: number,
): (inputs: Float64Array[]) => Float64Array {
  const inner = attentionRef([b, h, t, dh], masks, scale);
  const n = b * h * t * dh;
  return ([qkv]) => {
    const parts = [0, 1, 2].map(() => new Float64Array(n));
    const out = new Float64Array(n);
    for (let bi = 0; bi < b; bi++) {
      for (let ti = 0; ti < t; ti++) {
        for (let s = 0; s < 3; s++) {
          for (let hi = 0; hi < h; hi++) {
            for (let d = 0; d < dh; d++) {
              parts[s][((bi * h + hi) * t + ti) * dh + d] =
                qkv[(((bi * t + ti) * 3 + s) * h + hi) * dh + d];
            }
          }
        }
      }
    }
    const o = inner(parts);
    for (let bi = 0; bi < b; bi++) {
      for (let hi = 0; hi < h; hi++) {
        for (let ti = 0; ti < t; ti++) {
          for (let d = 0; d < dh; d++) {
            out[((bi * t + ti) * h + hi) * dh + d] = o[((bi * h + hi) * t + ti) * dh + d];
          }
        }
      }
    }
    return out;
  };
}
