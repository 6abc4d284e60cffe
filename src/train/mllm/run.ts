/**
 * Convenience runners over the stage definitions, for orchestrators: one seed's base (1a →
 * 1b) and one Stage-2 run (for DPO, the reference cache of its base and data condition
 * first: computed by the first DPO run of that base, loaded by every later one). Each
 * stage goes through `runStage` (cached, resumable), and the GPU pool is trimmed after it.
 * @module
 */

import { sync } from "../../gpu/batch.ts";
import { trimPool } from "../../gpu/pool.ts";
import type { World } from "../../world/world.ts";
import type { PretrainProtocol } from "../../protocol/presets.ts";
import type { PostTrainProtocol } from "../../protocol/posttrain.ts";
import {
  type Metrics,
  type RunOptions,
  runStage,
  type StageDef,
  type StageOutput,
} from "../stage.ts";
import {
  dpoReferenceStage,
  type MLLMStageMetrics,
  referenceConfig,
  type ReferenceMetrics,
  stage1aConfig,
  stage1aStage,
  stage1bConfig,
  stage1bStage,
  type Stage2Choice,
  stage2Config,
  stage2Stage,
} from "./stages.ts";

async function runAndTrim<M extends Metrics>(def: StageDef<M>, opts: RunOptions) {
  const out = await runStage(def, opts);
  await sync();
  trimPool();
  return out;
}

/** Seed `seed`'s Stage 1a and 1b (from the E0 and L0 outputs the protocol names). */
export async function runBase(
  p: PostTrainProtocol,
  pre: PretrainProtocol,
  world: World,
  inputs: { e0: StageOutput; l0: StageOutput },
  seed: number,
  opts: RunOptions,
): Promise<{ s1a: StageOutput<MLLMStageMetrics>; s1b: StageOutput<MLLMStageMetrics> }> {
  if (inputs.e0.name !== `e0-${p.encoder}` || inputs.l0.name !== `l0-${p.lm}`) {
    throw new Error(
      `runBase: the ${p.preset} protocol builds on e0-${p.encoder} and l0-${p.lm} ` +
        `(got ${inputs.e0.name}, ${inputs.l0.name})`,
    );
  }
  const s1a = await runAndTrim(stage1aStage(stage1aConfig(p, pre, seed), world, inputs), opts);
  const s1b = await runAndTrim(stage1bStage(stage1bConfig(p, pre, seed), world, s1a), opts);
  return { s1a, s1b };
}

/** The DPO reference cache of a base and data condition (computed once, then loaded). */
export function runReference(
  p: PostTrainProtocol,
  pre: PretrainProtocol,
  world: World,
  s1b: StageOutput,
  condition: Stage2Choice["condition"],
  opts: RunOptions,
): Promise<StageOutput<ReferenceMetrics>> {
  return runAndTrim(dpoReferenceStage(referenceConfig(p, pre, condition), world, s1b), opts);
}

/** One Stage-2 run from the base `s1b` (DPO: its reference cache first). */
export async function runStage2(
  p: PostTrainProtocol,
  pre: PretrainProtocol,
  world: World,
  s1b: StageOutput,
  choice: Stage2Choice,
  opts: RunOptions,
): Promise<StageOutput<MLLMStageMetrics>> {
  const ref = choice.arm === "dpo"
    ? await runReference(p, pre, world, s1b, choice.condition, opts)
    : undefined;
  return runAndTrim(stage2Stage(stage2Config(p, pre, choice), world, s1b, ref), opts);
}
