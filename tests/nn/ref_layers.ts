/** Float64 references of the nn layers (the oracle for tests/nn/layers.test.ts). */

const GELU_K = Math.sqrt(2 / Math.PI);

/** GELU, tanh form (as kernels/unary_prelude.wgsl). */
export function geluRef(x: number): number {
  return 0.5 * x * (1 + Math.tanh(GELU_K * (x + 0.044715 * x ** 3)));
}

/** x [rows, in] · w [in, out] + b → [rows, out]. */
export function linearRef(
  x: Float64Array,
  w: Float64Array,
  b: Float64Array | undefined,
  inDim: number,
  outDim: number,
): Float64Array {
  const rows = x.length / inDim;
  const y = new Float64Array(rows * outDim);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outDim; o++) {
      let s = b ? b[o] : 0;
      for (let i = 0; i < inDim; i++) s += x[r * inDim + i] * w[i * outDim + o];
      y[r * outDim + o] = s;
    }
  }
  return y;
}

/** LayerNorm over rows of length d (biased variance). */
export function layerNormRef(
  x: Float64Array,
  w: Float64Array,
  b: Float64Array,
  d: number,
  eps = 1e-5,
): Float64Array {
  const y = new Float64Array(x.length);
  for (let r = 0; r < x.length / d; r++) {
    let mean = 0;
    for (let i = 0; i < d; i++) mean += x[r * d + i];
    mean /= d;
    let v = 0;
    for (let i = 0; i < d; i++) v += (x[r * d + i] - mean) ** 2;
    const rstd = 1 / Math.sqrt(v / d + eps);
    for (let i = 0; i < d; i++) y[r * d + i] = (x[r * d + i] - mean) * rstd * w[i] + b[i];
  }
  return y;
}

/** Linear → GELU → Linear with parameters under `prefix` (fc1.*, fc2.*). */
export function mlpRef(
  x: Float64Array,
  p: Map<string, Float64Array>,
  prefix: string,
  dims: [number, number, number],
): Float64Array {
  const [i, h, o] = dims;
  const hid = linearRef(x, p.get(`${prefix}fc1.weight`)!, p.get(`${prefix}fc1.bias`), i, h)
    .map(geluRef);
  return linearRef(hid, p.get(`${prefix}fc2.weight`)!, p.get(`${prefix}fc2.bias`), h, o);
}

/** Masking of the attention reference. */
export interface RefMask {
  causal?: boolean;
  /** [B·T] 1 for real keys, 0 for padding. */
  keyPadding?: number[];
}

/** Multi-head self-attention (fused qkv [D, 3D], heads split as [T, 3, H, Dh]). */
export function mhaRef(
  x: Float64Array,
  p: Map<string, Float64Array>,
  prefix: string,
  dims: { b: number; t: number; d: number; h: number },
  mask: RefMask,
): Float64Array {
  const { b, t, d, h } = dims;
  const dh = d / h;
  const qkv = linearRef(x, p.get(`${prefix}qkv.weight`)!, p.get(`${prefix}qkv.bias`), d, 3 * d);
  const o = new Float64Array(b * t * d);
  const at = (bi: number, ti: number, part: number, hi: number, e: number) =>
    qkv[(bi * t + ti) * 3 * d + part * d + hi * dh + e];
  for (let bi = 0; bi < b; bi++) {
    for (let hi = 0; hi < h; hi++) {
      for (let i = 0; i < t; i++) {
        const keys: number[] = [];
        for (let j = 0; j < t; j++) {
          if (mask.causal && j > i) continue;
          if (mask.keyPadding && mask.keyPadding[bi * t + j] === 0) continue;
          keys.push(j);
        }
        const s = keys.map((j) => {
          let dot = 0;
          for (let e = 0; e < dh; e++) dot += at(bi, i, 0, hi, e) * at(bi, j, 1, hi, e);
          return dot / Math.sqrt(dh);
        });
        const m = Math.max(...s);
        const w = s.map((v) => Math.exp(v - m));
        const z = w.reduce((a, c) => a + c, 0);
        for (let e = 0; e < dh; e++) {
          let acc = 0;
          keys.forEach((j, k) => (acc += (w[k] / z) * at(bi, j, 2, hi, e)));
          o[(bi * t + i) * d + hi * dh + e] = acc;
        }
      }
    }
  }
  return linearRef(o, p.get(`${prefix}proj.weight`)!, p.get(`${prefix}proj.bias`), d, d);
}

/** The pre-LN transformer block without dropout. */
export function blockRef(
  x: Float64Array,
  p: Map<string, Float64Array>,
  dims: { b: number; t: number; d: number; h: number; hidden: number },
  mask: RefMask,
): Float64Array {
  const { d, hidden } = dims;
  const ln = (v: Float64Array, name: string) =>
    layerNormRef(v, p.get(`${name}.weight`)!, p.get(`${name}.bias`)!, d);
  const a = mhaRef(ln(x, "ln1"), p, "attn.", dims, mask);
  const h1 = x.map((v, i) => v + a[i]);
  const m = mlpRef(ln(h1, "ln2"), p, "mlp.", [d, hidden, d]);
  return h1.map((v, i) => v + m[i]);
}
