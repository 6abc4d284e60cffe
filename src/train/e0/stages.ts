/**
 * E0: the vision encoders, pretrained on the world.
 *
 * - `siglip` (`vit-s`, `vit-l`): ViT + text tower trained with the sigmoid image–text loss
 *   on the caption corpus (captions as sampled: some partial, some noisy). Check: zero-shot
 *   image↔text retrieval on held-out scenes (the `segmentation_test` split: free scenes
 *   from the caption corpus's distribution, never trained on here) with their full captions.
 * - `classification` (`vit-sup`): ViT + mean-pool + Linear trained with cross-entropy on
 *   the fine-grained labels of `classification_train` (the supervised-ViT row of the paper).
 *   Check: top-1 on `classification_test` vs the majority-class rate.
 *
 * Each stage saves the whole model to `checkpoint/` (names `vit.*`, `image_head.*`,
 * `text.*`, `siglip.*` or `vit.*`, `head.*`) and the ViT alone to `encoder/`, which
 * `loadEncoder` reads back into a fresh `ViT`.
 * @module
 */

import { join } from "node:path";
import { AdamW, decayGroups } from "../../nn/adamw.ts";
import { loadCheckpoint, saveCheckpoint } from "../../nn/checkpoint.ts";
import { ViT, ViTClassifier, type ViTConfig } from "../../nn/vit.ts";
import type { TextTowerConfig } from "../../nn/text_tower.ts";
import { Rng } from "../../tensor/random.ts";
import type { Module } from "../../nn/module.ts";
import { CLASSIFICATION_CLASSES } from "../../world/labels.ts";
import { worldTokenizer } from "../../world/tokenizer.ts";
import { WORLD_FORMAT_VERSION } from "../../world/storage.ts";
import type { World } from "../../world/world.ts";
import type { E0Spec, PretrainProtocol } from "../../protocol/presets.ts";
import { CaptionBatches, LabelBatches } from "../../data/batches.ts";
import { classificationLabels } from "../../data/images.ts";
import { fullCaptions, tokenizeTexts } from "../../data/text.ts";
import {
  classificationAccuracy,
  type ClassificationResult,
  retrievalAccuracy,
  type RetrievalResult,
} from "../../eval/retrieval.ts";
import { type LossPoint, trainLoop, type TrainResult } from "../loop.ts";
import type { Json, StageDef, StageOutput } from "../stage.ts";
import { SigLIPModel } from "./model.ts";

/** Folder (inside the stage folder) holding the ViT alone. */
export const ENCODER_DIR = "encoder";

/**
 * Held-out split and size of each E0 check (capped by the split's size: 50 / 200 on tiny).
 * 500 keeps each check under ~30 s of forward passes on lavapipe at the small sizes.
 */
export const E0_EVAL = {
  siglip: { split: "segmentation_test", n: 500 },
  classification: { split: "classification_test", n: 500 },
} as const;

/** The key-relevant description of an E0 stage (plain JSON). */
export interface E0Config {
  encoder: E0Spec["encoder"];
  objective: E0Spec["objective"];
  split: E0Spec["split"];
  vit: ViTConfig;
  /** The text tower (siglip only). */
  text: TextTowerConfig | null;
  /** Classes of the supervised head (classification only). */
  classes: number | null;
  world: { preset: string; seed: number; format: number };
  batch: number;
  steps: number;
  optim: E0Spec["optim"];
  seed: number;
  eval: { split: string; n: number };
  logEvery: number;
  checkpointEvery: number;
}

/** What an E0 stage reports (the pretraining summary's fields plus the details). */
export interface E0Metrics extends Record<string, unknown> {
  stage: string;
  encoder: string;
  objective: string;
  params: number;
  vitParams: number;
  steps: number;
  samples: number;
  flops: number;
  trainSeconds: number;
  trainCpuSeconds: number;
  msPerStep: number;
  curve: LossPoint[];
  firstLoss: number;
  finalLoss: number;
  /** Learned temperature exp(t′) and bias (siglip). */
  siglip?: { temperature: number; bias: number };
  retrieval?: RetrievalResult;
  classification?: ClassificationResult;
  quality: { metric: string; value: number; chance: number; higherIsBetter: true };
}

/** The E0 config of a protocol entry. */
export function e0Config(p: PretrainProtocol, spec: E0Spec): E0Config {
  const enc = p.encoders[spec.encoder];
  if (!enc) throw new Error(`protocol ${p.preset}: ${spec.encoder} has no encoder size`);
  const siglip = spec.objective === "siglip";
  const t = p.textTower;
  return {
    encoder: spec.encoder,
    objective: spec.objective,
    split: spec.split,
    vit: { ...enc, channels: 3 },
    text: siglip
      ? {
        vocab: worldTokenizer().vocabSize,
        maxLen: t.maxTokens,
        width: t.width,
        depth: t.depth,
        heads: t.heads,
        mlpRatio: t.mlpRatio,
        embedDim: t.embedDim,
      }
      : null,
    classes: siglip ? null : CLASSIFICATION_CLASSES.fine,
    world: { ...p.world, format: WORLD_FORMAT_VERSION },
    batch: spec.batch,
    steps: spec.steps,
    optim: spec.optim,
    seed: spec.seed,
    eval: { ...E0_EVAL[spec.objective] },
    logEvery: p.logEvery,
    checkpointEvery: p.checkpointEvery,
  };
}

/** Every E0 stage of a protocol, in protocol order (the entry point `pretrain` calls). */
export function e0Stages(p: PretrainProtocol, world: World): StageDef<E0Metrics>[] {
  return p.e0.map((spec) => e0Stage(e0Config(p, spec), world));
}

function optimizerOf(model: Module, cfg: E0Config): AdamW {
  const { lr, weightDecay, betas, maxGradNorm } = cfg.optim;
  return new AdamW(decayGroups(model.parameters(), { lr, weightDecay }), { betas, maxGradNorm });
}

function summary(cfg: E0Config, name: string, model: Module, vit: ViT, r: TrainResult) {
  return {
    stage: name,
    encoder: cfg.encoder,
    objective: cfg.objective,
    params: model.parameterCount(),
    vitParams: vit.parameterCount(),
    steps: r.steps,
    samples: r.samples,
    flops: r.flops,
    trainSeconds: r.seconds,
    trainCpuSeconds: r.cpuSeconds,
    msPerStep: (1000 * r.seconds) / Math.max(1, r.steps),
    curve: r.curve,
    firstLoss: r.curve[0].loss,
    finalLoss: r.curve.at(-1)!.loss,
  };
}

/** The E0 stage `e0-<encoder>` over `world`. */
export function e0Stage(cfg: E0Config, world: World): StageDef<E0Metrics> {
  const name = `e0-${cfg.encoder}`;
  return {
    name,
    config: cfg as unknown as Json,
    run: async (ctx) => {
      const loop = {
        name,
        totalSteps: cfg.steps,
        schedule: cfg.optim,
        samplesPerStep: cfg.batch,
        logEvery: cfg.logEvery,
        checkpoint: { dir: ctx.partialDir, every: cfg.checkpointEvery },
        stopAfterSteps: ctx.stopAfterSteps,
        log: ctx.log,
      };
      const meta = { stage: name, config: cfg as unknown as Json };
      const saveEncoder = (vit: ViT) =>
        saveCheckpoint(join(ctx.dir, ENCODER_DIR), {
          model: vit,
          meta: { ...meta, vit: cfg.vit as unknown as Json },
        });
      const train = await world.split(cfg.split);
      const evalSplit = await world.split(cfg.eval.split);

      if (cfg.objective === "siglip") {
        const model = new SigLIPModel({ vit: cfg.vit, text: cfg.text! }, new Rng(cfg.seed))
          .nameParameters();
        const optimizer = optimizerOf(model, cfg);
        try {
          const data = new CaptionBatches(train, {
            batchSize: cfg.batch,
            seed: cfg.seed,
            maxTokens: cfg.text!.maxLen,
          });
          const r = await trainLoop({
            ...loop,
            model,
            optimizer,
            batch: (step) => data.batch(step),
            loss: (b, step) => model.loss(b.images, b.ids, b.lengths, step),
          });
          model.eval();
          const texts = fullCaptions(evalSplit, world.seed);
          const retrieval = await retrievalAccuracy(
            model,
            evalSplit,
            texts,
            tokenizeTexts(texts, cfg.text!.maxLen),
            { n: cfg.eval.n },
          );
          const [logScale, bias] = await Promise.all([
            model.scale.logScale.item(),
            model.scale.bias.item(),
          ]);
          await saveCheckpoint(ctx.checkpointDir, { model, meta });
          await saveEncoder(model.vit);
          return {
            ...summary(cfg, name, model, model.vit, r),
            captionsTruncated: data.tokens.truncated,
            siglip: { temperature: Math.exp(logScale), bias },
            retrieval,
            quality: {
              metric: `retrieval@1 image→text, ${retrieval.n} held-out captions`,
              value: retrieval.imageToText.top1,
              chance: retrieval.chance.top1,
              higherIsBetter: true,
            },
          };
        } finally {
          model.dispose();
          optimizer.dispose();
        }
      }

      const model = new ViTClassifier({ ...cfg.vit, classes: cfg.classes! }, new Rng(cfg.seed))
        .nameParameters();
      const optimizer = optimizerOf(model, cfg);
      try {
        const data = new LabelBatches(train, { batchSize: cfg.batch, seed: cfg.seed });
        const r = await trainLoop({
          ...loop,
          model,
          optimizer,
          batch: (step) => data.batch(step),
          loss: (b, step) => model.loss(b.images, b.labels, { seed: step }),
        });
        model.eval();
        const classification = await classificationAccuracy(
          (images) => model.forward(images),
          evalSplit,
          classificationLabels(evalSplit),
          data.labels,
          cfg.classes!,
          { n: cfg.eval.n },
        );
        await saveCheckpoint(ctx.checkpointDir, { model, meta });
        await saveEncoder(model.vit);
        return {
          ...summary(cfg, name, model, model.vit, r),
          classification,
          quality: {
            metric: `top-1 on ${classification.n} held-out images (chance: majority class)`,
            value: classification.top1,
            chance: classification.majority,
            higherIsBetter: true,
          },
        };
      } finally {
        model.dispose();
        optimizer.dispose();
      }
    },
  };
}

/** The folder of a finished E0 stage's encoder-only checkpoint. */
export function encoderDir(stage: StageOutput | string): string {
  return join(typeof stage === "string" ? stage : stage.dir, ENCODER_DIR);
}

/**
 * The pretrained ViT of a finished E0 stage (its output, or its stage folder), with its
 * config and the stage's name. The caller owns the ViT (dispose it, freeze it, …).
 */
export async function loadEncoder(
  stage: StageOutput | string,
): Promise<{ vit: ViT; config: ViTConfig; stage: string }> {
  const dir = encoderDir(stage);
  let meta: { meta?: { vit?: ViTConfig; stage?: string } };
  try {
    meta = JSON.parse(await Deno.readTextFile(join(dir, "meta.json")));
  } catch (e) {
    throw new Error(`loadEncoder: ${dir} holds no encoder checkpoint (${(e as Error).message})`);
  }
  const config = meta.meta?.vit;
  if (!config) throw new Error(`loadEncoder: ${dir}/meta.json does not name a ViT config`);
  const vit = new ViT(config, new Rng(0)).nameParameters();
  try {
    await loadCheckpoint(dir, { model: vit });
  } catch (e) {
    vit.dispose();
    throw e;
  }
  return { vit, config, stage: meta.meta?.stage ?? "" };
}
