/**
 * pivotlab: a WebGPU lab that re-enacts "RL makes MLLMs see better than SFT" (PIVOT).
 * The public API: the GPU context, tensors and their ops, autograd, layers, the optimizer
 * and checkpoints, and the generated world.
 * @module
 */

export { getGpu, type Gpu, initGpuOrExit, NoAdapterError } from "./src/gpu/device.ts";
export { flush, sync } from "./src/gpu/batch.ts";
export { flopCount, measureFlops } from "./src/gpu/flops.ts";
export { memoryStats, trimPool } from "./src/gpu/pool.ts";
export {
  type DType,
  isGradEnabled,
  noGrad,
  parameter,
  Tensor,
  tensor,
} from "./src/tensor/tensor.ts";
export { keep, tidy } from "./src/tensor/scope.ts";
export { backward, zeroGrad } from "./src/tensor/autograd.ts";
export { ShapeError } from "./src/tensor/errors.ts";
export { Rng } from "./src/tensor/random.ts";
export { full, ones, zeros } from "./src/tensor/ops/create.ts";
export { add, div, mul, sub, sumToShape } from "./src/tensor/ops/binary.ts";
