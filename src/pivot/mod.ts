/**
 * PIVOT (the paper's F6) as a composition of the MLLM stages: evolve an encoder (1a → 1b →
 * Stage 2), then evaluate it detached and frozen in a fresh MLLM (Stage 3a / 3b → VQA).
 * The experiment that builds the table is src/experiments/pivot.ts.
 * @module
 */

export {
  evolve,
  evolveProtocol,
  type EvolveRun,
  type RecipeContext,
  runAndTrim,
  stage3,
  stage3aConfig,
  stage3bConfig,
  type Stage3Run,
  type Stage3Spec,
} from "./recipe.ts";
export { diffParts, type PartDiff, readPart } from "./weights.ts";
export {
  type EncoderId,
  PIVOT_PROTOCOLS,
  type PivotProtocol,
  pivotProtocol,
  type Variant,
} from "../protocol/pivot.ts";
