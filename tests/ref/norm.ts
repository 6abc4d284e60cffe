/** Float64 references of the row ops over the last axis (the oracle for softmax/layernorm). */

type Ref = (inputs: Float64Array[]) => Float64Array;

/** Applies `f` to each row of length n (the last axis) of the first input. */
function perRow(n: number, f: (row: Float64Array, rowIndex: number) => Float64Array): Ref {
  return ([x]) => {
    const out = new Float64Array(x.length);
    for (let r = 0; r * n < x.length; r++) out.set(f(x.subarray(r * n, (r + 1) * n), r), r * n);
    return out;
  };
}

function logSumExp(row: Float64Array): number {
  const m = Math.max(...row);
  return m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
}

/** Softmax over rows of length n. */
export function softmaxRef(n: number): Ref {
  return perRow(n, (row) => {
    const lse = logSumExp(row);
    return row.map((v) => Math.exp(v - lse));
  });
}

/** log softmax over rows of length n. */
export function logSoftmaxRef(n: number): Ref {
  return perRow(n, (row) => {
    const lse = logSumExp(row);
    return row.map((v) => v - lse);
  });
}

/** LayerNorm over rows of length n; inputs [x, weight, bias]; biased variance. */
export function layerNormRef(n: number, eps: number): Ref {
  return (inputs) => {
    const [, w, b] = inputs;
    return perRow(n, (row) => {
      const mean = row.reduce((s, v) => s + v, 0) / n;
      const variance = row.reduce((s, v) => s + (v - mean) ** 2, 0) / n;
      const rstd = 1 / Math.sqrt(variance + eps);
      return row.map((v, k) => (v - mean) * rstd * w[k] + b[k]);
    })(inputs);
  };
}
