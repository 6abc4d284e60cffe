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
