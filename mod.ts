/**
 * pivotlab: a WebGPU lab that re-enacts "RL makes MLLMs see better than SFT" (PIVOT).
 *
 * The engine (GPU context, tensors, ops, autograd, layers, optimizer, checkpoints) is
 * exported flat; the generated world, the MLLM, training stages and the report are
 * exported as namespaces (`world`, `mllm`, `train`, `report`).
 * @module
 */

export { getGpu, type Gpu, initGpuOrExit, NoAdapterError } from "./src/gpu/device.ts";
export { flush, sync } from "./src/gpu/batch.ts";
export { flopCount, measureFlops } from "./src/gpu/flops.ts";
export { memoryStats, setPoolLimit, trimPool } from "./src/gpu/pool.ts";
export * from "./src/tensor/mod.ts";
export * from "./src/nn/mod.ts";
/** The generated world: scenes, masks, tokenizer, questions, preference pairs, splits. */
export * as world from "./src/world/mod.ts";
/** The multimodal model: ViT + projector + causal LM, chat format, generation. */
export * as mllm from "./src/mllm/mod.ts";
/** Figures, PNG fallbacks, the HTML report and notebook display helpers. */
export * as report from "./src/report/mod.ts";
