/**
 * Tensors and their ops: every op is a WGSL kernel with a float64 reference twin in
 * tests/ref and a gradient checked against central differences.
 * @module
 */

export {
  type DType,
  type GradNode,
  isGradEnabled,
  noGrad,
  parameter,
  sizeOf,
  Tensor,
  tensor,
} from "./tensor.ts";
export { type Disposable, keep, tidy } from "./scope.ts";
export { backward, record, zeroGrad } from "./autograd.ts";
export { ShapeError } from "./errors.ts";
export { Rng } from "./random.ts";
export {
  gradCheck,
  type GradCheckInput,
  type GradCheckOptions,
  type GradCheckRow,
} from "./gradcheck.ts";
export { full, ones, zeros } from "./ops/create.ts";
export { add, div, mul, scalarTensor, sub, sumToShape } from "./ops/binary.ts";
export {
  addScalar,
  exp,
  gelu,
  log,
  logSigmoid,
  neg,
  relu,
  scale,
  sigmoid,
  softplus,
  sqrt,
  square,
  tanh,
  unary,
  type UnaryName,
} from "./ops/unary.ts";
export { max, mean, meanAll, sum, sumAll } from "./ops/reduce.ts";
export { layerNorm, logSoftmax, softmax } from "./ops/norm.ts";
export { dropout } from "./ops/dropout.ts";
export { matmul, matmulNoGrad, type MatmulOptions, type MatmulVersion } from "./ops/matmul.ts";
export {
  attention,
  type AttentionOptions,
  causalMask,
  type MaskOptions,
  maskScores,
} from "./ops/attention.ts";
export { attentionDecode, cacheWrite } from "./ops/attention_decode.ts";
export { argmax } from "./ops/argmax.ts";
export { concat, permute, reshape, slice, transpose } from "./ops/shape_ops.ts";
export { embedding, gather, gatherRows } from "./ops/gather.ts";
export { crossEntropy, sequenceLogProbs, tokenLogProbs } from "./ops/loss.ts";
export { meanPool, patchify, sumPool } from "./ops/vision.ts";
export { paddingMask } from "./ops/masks.ts";
