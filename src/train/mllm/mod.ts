/**
 * The MLLM training stages (1a, 1b, the DPO reference cache, the Stage-2 arms, and 1a / 1b
 * as PIVOT's Stage 3a / 3b), their
 * configs from the post-training protocol, and `loadMLLM` for whoever evaluates a stage.
 * @module
 */

export {
  type DpoPoint,
  dpoReferenceStage,
  loadMLLM,
  mllmConfigOf,
  type MLLMStageMetrics,
  type ProjectorStart,
  readReference,
  REFERENCE_FILE,
  type ReferenceConfig,
  referenceConfig,
  type ReferenceMetrics,
  type Stage1aConfig,
  stage1aConfig,
  stage1aStage,
  type Stage1bConfig,
  stage1bConfig,
  stage1bStage,
  type Stage2Choice,
  type Stage2Config,
  stage2Config,
  stage2Stage,
  type Stage3aConfig,
  type Stage3bConfig,
  type UnlikelihoodPoint,
  type WorldRef,
} from "./stages.ts";
export { type EncoderMovement, encoderMovement, snapshotVit, vitFeatures } from "./movement.ts";
export {
  ChatData,
  chatExamples,
  type EncodedPreference,
  preferenceArrays,
  PreferenceData,
  preferenceExamples,
} from "./data.ts";
export {
  type Arm,
  ARMS,
  DATA_CONDITIONS,
  type DataCondition,
  POSTTRAIN_PROTOCOLS,
  type PostTrainProtocol,
  postTrainProtocol,
  stage2Steps,
} from "../../protocol/posttrain.ts";
export { runBase, runReference, runStage2 } from "./run.ts";
