/** Float64 references of the unary ops (the oracle for kernels/unary*.wgsl). */

const GELU_K = Math.sqrt(2 / Math.PI);

/** Scalar float64 definitions, same forms as the kernels (GELU: tanh approximation). */
export const UNARY_REF: Record<string, (x: number, s: number) => number> = {
  exp: (x) => Math.exp(x),
  log: (x) => Math.log(x),
  tanh: (x) => Math.tanh(x),
  gelu: (x) => 0.5 * x * (1 + Math.tanh(GELU_K * (x + 0.044715 * x ** 3))),
  relu: (x) => Math.max(x, 0),
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  logSigmoid: (x) => Math.min(x, 0) - Math.log1p(Math.exp(-Math.abs(x))),
  softplus: (x) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))),
  neg: (x) => -x,
  sqrt: (x) => Math.sqrt(x),
  square: (x) => x * x,
  scale: (x, s) => x * s,
  addScalar: (x, s) => x + s,
};

/** The reference of unary op `name` as a checkOp reference. */
export function unaryRef(name: string, s = 0): (inputs: Float64Array[]) => Float64Array {
  const f = UNARY_REF[name];
  return ([x]) => x.map((v) => f(v, s));
}
