/**
 * pivotlab's neural-network library: modules and layers, AdamW with parameter groups and
 * GPU-side gradient clipping, the learning-rate schedule, and checkpoints.
 * @module
 */

export {
  constInit,
  type Init,
  initValues,
  Module,
  ModuleList,
  normalInit,
  uniformInit,
  wantsDecay,
} from "./module.ts";
export {
  Embedding,
  INIT_STD,
  LayerNorm,
  Linear,
  type LinearOptions,
  MLP,
  type MLPOptions,
} from "./layers.ts";
export { Dropout, mixSeed } from "./dropout.ts";
export { type AttentionMask, type MHAOptions, MultiHeadAttention } from "./attention.ts";
export { type BlockCall, type BlockOptions, blockStack, TransformerBlock } from "./transformer.ts";
export {
  type AdamState,
  AdamW,
  type AdamWOptions,
  decayGroups,
  type GradNorms,
  type ParamGroup,
} from "./adamw.ts";
export { type CosineSchedule, cosineWarmup, warmupStepsOf } from "./schedule.ts";
export {
  CHECKPOINT_FILES,
  CheckpointError,
  type CheckpointMeta,
  loadCheckpoint,
  saveCheckpoint,
} from "./checkpoint.ts";
export {
  decodeSafetensors,
  encodeSafetensors,
  type SafeDType,
  type SafeFile,
  type SafeTensor,
  SafetensorsError,
} from "./safetensors.ts";
