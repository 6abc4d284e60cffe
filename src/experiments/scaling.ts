/**
 * The runs of the LM-size and encoder-size sweeps: the committed post-training protocol
 * with only its `lm` or `encoder` swapped, through the same stage definitions as the
 * SFT-vs-DPO experiment (src/train/mllm/stages.ts): per seed, 1a (the swapped model's E0 /
 * L0 checkpoint), 1b, the DPO reference, then SFT and DPO on the full preference set at the
 * learning rates the main comparison selected. The protocol's own size gives exactly the
 * main experiment's configs, so those runs are cache hits.
 *
 * Presets whose pretraining lacks a size a sweep needs (`tiny`: one encoder, one LM) get it
 * from the analysis protocol's `extraPretraining`, run here as ordinary E0 / L0 stages.
 * @module
 */

import type { PretrainResult } from "../train/pretrain.ts";
import { l0Stages } from "../train/pretrain.ts";
import { e0Stages } from "../train/e0/mod.ts";
import { type PretrainProtocol, pretrainProtocol } from "../protocol/presets.ts";
import type { ProbesProtocol } from "../protocol/probes.ts";
import {
  dpoReferenceStage,
  type PostTrainProtocol,
  postTrainProtocol,
  referenceConfig,
  stage1aConfig,
  stage1aStage,
  stage1bConfig,
  stage1bStage,
  stage2Config,
  stage2Stage,
} from "../train/mllm/mod.ts";
import type { StageDef, StageOutput } from "../train/stage.ts";
import type { World } from "../world/world.ts";

/** Which sweep. */
export type SweepKind = "lm" | "encoder";

/** The models of one (sweep size, seed): the 1b base and the two arms. */
export interface SweepModels {
  kind: SweepKind;
  size: string;
  seed: number;
  base: StageOutput;
  sft: StageOutput;
  dpo: StageOutput;
}

/** The pretraining protocol with the analysis protocol's extra sizes merged in. */
export function sweepPretrainProtocol(preset: string, p: ProbesProtocol): PretrainProtocol {
  const pre = pretrainProtocol(preset);
  const x = p.extraPretraining;
  if (!x) return pre;
  return {
    ...pre,
    encoders: { ...pre.encoders, ...x.encoders },
    lms: { ...pre.lms, ...x.lms },
  };
}

/**
 * The E0 and L0 stage outputs a sweep can read: pretraining's, plus the extra stages of the
 * analysis protocol (run, or loaded when cached).
 */
export async function sweepPretraining(
  pre: PretrainResult,
  world: World,
  p: ProbesProtocol,
  preset: string,
  runDef: (def: StageDef) => Promise<StageOutput>,
): Promise<StageOutput[]> {
  const outs = [...pre.e0, ...pre.l0];
  const x = p.extraPretraining;
  if (!x) return outs;
  const ext = sweepPretrainProtocol(preset, p);
  const defs = [
    ...e0Stages({ ...ext, e0: x.e0 }, world) as unknown as StageDef[],
    ...l0Stages({ ...ext, l0: x.l0 }, world),
  ];
  for (const def of defs) outs.push(await runDef(def));
  return outs;
}

/** The post-training protocol of one sweep point. */
export function sweptProtocol(preset: string, kind: SweepKind, size: string): PostTrainProtocol {
  const base = postTrainProtocol(preset);
  return kind === "lm"
    ? { ...base, lm: size as PostTrainProtocol["lm"] }
    : { ...base, encoder: size as PostTrainProtocol["encoder"] };
}

/** Trains (or loads) the base and both arms of one sweep point and seed. */
export async function sweepModels(
  kind: SweepKind,
  size: string,
  seed: number,
  ctx: {
    preset: string;
    world: World;
    probes: ProbesProtocol;
    pretrained: StageOutput[];
    lr: { sft: number; dpo: number };
    runDef: (def: StageDef) => Promise<StageOutput>;
  },
): Promise<SweepModels> {
  const p = sweptProtocol(ctx.preset, kind, size);
  const pre = sweepPretrainProtocol(ctx.preset, ctx.probes);
  const find = (name: string) => {
    const o = ctx.pretrained.find((s) => s.name === name);
    if (!o) throw new Error(`${kind} sweep: no pretraining stage ${name}`);
    return o;
  };
  const { world, runDef } = ctx;
  const s1a = await runDef(
    stage1aStage(stage1aConfig(p, pre, seed), world, {
      e0: find(`e0-${p.encoder}`),
      l0: find(`l0-${p.lm}`),
    }) as unknown as StageDef,
  );
  const base = await runDef(stage1bStage(stage1bConfig(p, pre, seed), world, s1a) as StageDef);
  const size2 = p.stage2.preferenceSize;
  const sft = await runDef(
    stage2Stage(
      stage2Config(p, pre, { arm: "sft", lr: ctx.lr.sft, condition: "full", size: size2, seed }),
      world,
      base,
    ) as unknown as StageDef,
  );
  const ref = await runDef(
    dpoReferenceStage(referenceConfig(p, pre, "full"), world, base) as unknown as StageDef,
  );
  const dpo = await runDef(
    stage2Stage(
      stage2Config(p, pre, { arm: "dpo", lr: ctx.lr.dpo, condition: "full", size: size2, seed }),
      world,
      base,
      ref,
    ) as unknown as StageDef,
  );
  return { kind, size, seed, base, sft, dpo };
}
