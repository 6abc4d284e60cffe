/**
 * The PIVOT recipe as a composition of the existing MLLM stages (src/train/mllm):
 *
 * - **evolve**: an encoder family goes through 1a → 1b → Stage 2 (SFT gives "+SFT", DPO
 *   "+PIVOT") with the post-training protocol cloned with `encoder` set, so the stages are the
 *   very StageDefs of the SFT-vs-DPO experiment (for its encoder, the same keys: `runStage`
 *   loads them when that experiment already trained them);
 * - **Stage 3** (the evaluation): the encoder, detached from the evolve run (or E0's, for
 *   the original), in a fresh MLLM: a fresh projector (or the evolve run's first projector
 *   layer, the ablation) and a fresh copy of L0; 3a trains the projector on captions, 3b the
 *   projector and the LM on the instruction mix, the ViT frozen (or trained, the ablation);
 *   then VQA on the test splits by group.
 * @module
 */

import { sync } from "../gpu/batch.ts";
import { trimPool } from "../gpu/pool.ts";
import type { World } from "../world/world.ts";
import type { PretrainProtocol } from "../protocol/presets.ts";
import { type PostTrainProtocol, postTrainProtocol } from "../protocol/posttrain.ts";
import type { EncoderId, PivotProtocol } from "../protocol/pivot.ts";
import {
  type Metrics,
  type RunOptions,
  runStage,
  type StageDef,
  type StageOutput,
} from "../train/stage.ts";
import {
  dpoReferenceStage,
  loadMLLM,
  type MLLMStageMetrics,
  type ProjectorStart,
  referenceConfig,
  type ReferenceMetrics,
  stage1aConfig,
  stage1aStage,
  stage1bConfig,
  stage1bStage,
  stage2Config,
  stage2Stage,
  type Stage3aConfig,
  type Stage3bConfig,
} from "../train/mllm/mod.ts";
import { groupSplits, type VqaResult, vqaStage } from "../eval/vqa.ts";

/** The post-training protocol of a preset with its MLLM built on `encoder`. */
export function evolveProtocol(preset: string, encoder: EncoderId): PostTrainProtocol {
  return { ...postTrainProtocol(preset), encoder };
}

/** Runs a stage (cached, resumable), then returns the pooled GPU memory it left. */
export async function runAndTrim<M extends Metrics>(
  def: StageDef<M>,
  opts: RunOptions,
): Promise<StageOutput<M>> {
  const out = await runStage(def, opts);
  await sync();
  trimPool();
  return out;
}

/** The stages of one evolve run (its 1a and 1b are shared by the SFT and DPO arms). */
export interface EvolveRun {
  s1a: StageOutput<MLLMStageMetrics>;
  s1b: StageOutput<MLLMStageMetrics>;
  /** DPO's cached reference log-probs (absent for SFT). */
  reference?: StageOutput<ReferenceMetrics>;
  stage2: StageOutput<MLLMStageMetrics>;
}

/** The inputs every recipe step needs. */
export interface RecipeContext {
  preset: string;
  world: World;
  pre: PretrainProtocol;
  pivot: PivotProtocol;
  e0: (encoder: EncoderId) => StageOutput;
  l0: StageOutput;
  run: RunOptions;
}

/** Evolves `encoder` with Stage-2 `arm` at `lr` (seed: the protocol's evolve seed). */
export async function evolve(
  ctx: RecipeContext,
  encoder: EncoderId,
  arm: "sft" | "dpo",
  lr: number,
): Promise<EvolveRun> {
  const p = evolveProtocol(ctx.preset, encoder);
  const seed = ctx.pivot.evolveSeed;
  const inputs = { e0: ctx.e0(encoder), l0: ctx.l0 };
  const s1a = await runAndTrim(
    stage1aStage(stage1aConfig(p, ctx.pre, seed), ctx.world, inputs),
    ctx.run,
  );
  const s1b = await runAndTrim(
    stage1bStage(stage1bConfig(p, ctx.pre, seed), ctx.world, s1a),
    ctx.run,
  );
  const reference = arm === "dpo"
    ? await runAndTrim(
      dpoReferenceStage(referenceConfig(p, ctx.pre, "full"), ctx.world, s1b),
      ctx.run,
    )
    : undefined;
  const cfg = stage2Config(p, ctx.pre, { arm, lr, condition: "full", seed });
  const stage2 = await runAndTrim(stage2Stage(cfg, ctx.world, s1b, reference), ctx.run);
  return { s1a, s1b, reference, stage2 };
}

/** One Stage-3 run: which encoder source, how the projector starts, frozen or not, seed. */
export interface Stage3Spec {
  encoder: EncoderId;
  /** The encoder's stage: `e0-<encoder>` (original) or an evolve run's Stage 2. */
  source: StageOutput;
  projector: ProjectorStart;
  frozen: boolean;
  seed: number;
}

/** Stage 3a's config: 1a's fields for the encoder's MLLM, the PIVOT protocol's 3a. */
export function stage3aConfig(ctx: RecipeContext, spec: Stage3Spec): Stage3aConfig {
  const p = evolveProtocol(ctx.preset, spec.encoder);
  const s = ctx.pivot.stage3a;
  return {
    ...stage1aConfig(p, ctx.pre, spec.seed),
    stage: "3a",
    batch: s.batch,
    steps: s.steps,
    optim: s.optim,
    projector: spec.projector,
  };
}

/** Stage 3b's config: 1b's fields, the PIVOT protocol's 3b; the ViT frozen unless asked. */
export function stage3bConfig(ctx: RecipeContext, spec: Stage3Spec): Stage3bConfig {
  const p = evolveProtocol(ctx.preset, spec.encoder);
  const s = ctx.pivot.stage3b;
  return {
    ...stage1bConfig(p, ctx.pre, spec.seed),
    stage: "3b",
    batch: s.batch,
    steps: s.steps,
    optim: s.optim,
    vitLrRatio: spec.frozen ? null : s.unfrozenVitLrRatio,
  };
}

/** What one Stage-3 run left: its two training stages and its test evaluation. */
export interface Stage3Run {
  s3a: StageOutput<MLLMStageMetrics>;
  s3b: StageOutput<MLLMStageMetrics>;
  vqa: StageOutput<VqaResult>;
}

/** Stage 3a → 3b → VQA on the first `perGroup` test questions of every group. */
export async function stage3(ctx: RecipeContext, spec: Stage3Spec): Promise<Stage3Run> {
  const s3a = await runAndTrim(
    stage1aStage(stage3aConfig(ctx, spec), ctx.world, { e0: spec.source, l0: ctx.l0 }),
    ctx.run,
  );
  const s3b = await runAndTrim(stage1bStage(stage3bConfig(ctx, spec), ctx.world, s3a), ctx.run);
  const v = ctx.pivot.vqa;
  const vqa = await runAndTrim(
    vqaStage(s3b, loadMLLM, ctx.world, {
      name: "vqa-pivot",
      splits: groupSplits("test"),
      batch: v.batch,
      maxNew: v.maxNew,
      perSplit: v.perGroup ?? undefined,
    }),
    ctx.run,
  );
  return { s3a, s3b, vqa };
}
