/**
 * E0, the vision encoders pretrained on the world: stage definitions for `pretrain`, the
 * contrastive model, and `loadEncoder` for the stages that reuse an encoder.
 * @module
 */

export {
  E0_EVAL,
  type E0Config,
  e0Config,
  type E0Metrics,
  e0Stage,
  e0Stages,
  ENCODER_DIR,
  encoderDir,
  loadEncoder,
} from "./stages.ts";
export { SigLIPModel, type SigLIPModelConfig } from "./model.ts";
