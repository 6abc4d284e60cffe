/**
 * The MLLM stages, each a `StageDef` for `runStage` and each trained by `trainLoop`:
 *
 * - `mllm-1a`: the MLLM is assembled from an E0 encoder (`vit.*` of its checkpoint) and an
 *   L0 language model, with a fresh projector (seeded); only the projector trains, on
 *   captions in the chat format.
 * - `mllm-1b`: from 1a, every part trains on the instruction mix's chosen responses; the
 *   ViT's parameter groups use lr · vitLrRatio (the paper: 5× lower).
 * - `mllm-dpo-ref`: the frozen 1b model's summed response log-probs of every preference
 *   item (chosen and rejected), computed once per (1b, data condition) and cached, so every
 *   DPO run of that base reuses it.
 * - `mllm-2-<arm>`: from 1b, on the same preference items, epochs, batch, schedule and data
 *   order (a pure function of (seed, step)) for every arm; the arms differ only in the loss
 *   (sft: CE on chosen; dpo: sigmoid DPO vs the cached reference; unlikelihood: CE on chosen
 *   + α · unlikelihood on the rejected response's differing tokens). The ViT trains in all.
 * - `mllm-3a` / `mllm-3b` (PIVOT's evaluation, src/pivot): the 1a and 1b stage code with two
 *   options. 3a takes its ViT from its first input, an E0 stage or an MLLM stage (the evolved
 *   encoder, detached), a fresh copy of L0 and a fresh projector (or the MLLM stage's first
 *   projector layer); 3b keeps the ViT frozen unless its `vitLrRatio` is a number (the
 *   ablation). The 1a / 1b configs, names and keys are unchanged by these options.
 *
 * A stage's config holds everything that determines its result (the seed included: seed s
 * trains its own 1a, 1b and arms), its inputs the upstream outputs. Every training stage
 * reports the loss curve with grad norms before/after clipping, samples, counted FLOPs,
 * wall and CPU time, and the encoder's movement since the stage began; DPO adds the chosen /
 * rejected log-prob and margin curves, the control its two loss parts.
 * @module
 */

import { join } from "node:path";
import { loadPart, MLLM, type MLLMConfig } from "../../mllm/model.ts";
import { batchEncoded } from "../../mllm/chat.ts";
import { AdamW, decayGroups, type ParamGroup } from "../../nn/adamw.ts";
import { saveCheckpoint } from "../../nn/checkpoint.ts";
import { noGrad, type Tensor, tensor } from "../../tensor/tensor.ts";
import { keep, tidy } from "../../tensor/scope.ts";
import { concat, reshape } from "../../tensor/ops/shape_ops.ts";
import { sequenceLogProbs } from "../../tensor/ops/loss.ts";
import { Rng } from "../../tensor/random.ts";
import { flopCount } from "../../gpu/flops.ts";
import { sync } from "../../gpu/batch.ts";
import { imageTensor } from "../../data/images.ts";
import { worldTokenizer } from "../../world/tokenizer.ts";
import { WORLD_FORMAT_VERSION } from "../../world/storage.ts";
import { readVerified, writeFileAtomic } from "../../io/atomic.ts";
import type { World } from "../../world/world.ts";
import type { OptimSpec, PretrainProtocol } from "../../protocol/presets.ts";
import type { Arm, DataCondition, PostTrainProtocol } from "../../protocol/posttrain.ts";
import { type LossPoint, trainLoop } from "../loop.ts";
import {
  type Json,
  type StageContext,
  type StageDef,
  type StageOutput,
  stageRemedy,
  writeJsonAtomic,
} from "../stage.ts";
import { sftLoss } from "../losses/sft.ts";
import { dpoLoss } from "../losses/dpo.ts";
import { unlikelihoodLoss } from "../losses/unlikelihood.ts";
import {
  ChatData,
  chatExamples,
  type EncodedPreference,
  preferenceArrays,
  PreferenceData,
  preferenceExamples,
} from "./data.ts";
import { type EncoderMovement, encoderMovement, snapshotVit } from "./movement.ts";

/** File (in the `mllm-dpo-ref` stage folder) of the cached reference log-probs. */
export const REFERENCE_FILE = "reference_logps.f32";

/** The world a stage reads (part of every key). */
export interface WorldRef {
  preset: string;
  seed: number;
  format: number;
}

/** Fields every MLLM training stage's config has. */
interface TrainConfigBase {
  world: WorldRef;
  mllm: MLLMConfig;
  /** Seeds the projector init (1a) and the data order. */
  seed: number;
  batch: number;
  optim: OptimSpec;
  featureProbe: { split: string; images: number };
  logEvery: number;
  checkpointEvery: number;
}

/** Stage 1a: projector only, on captions. */
export interface Stage1aConfig extends TrainConfigBase {
  stage: "1a";
  steps: number;
}

/** Stage 1b: all parts, on the instruction mix; the ViT at lr · vitLrRatio. */
export interface Stage1bConfig extends TrainConfigBase {
  stage: "1b";
  steps: number;
  vitLrRatio: number;
}

/** How Stage 3a's projector starts: fresh (seeded), or with the encoder stage's first layer. */
export type ProjectorStart = "fresh" | "reuse-first-layer";

/**
 * Stage 3a (PIVOT's evaluation): 1a on a detached encoder. Its first input is the encoder
 * source (an `e0-*` stage or an `mllm-*` stage, whose ViT is loaded), the second a fresh L0.
 */
export interface Stage3aConfig extends Omit<Stage1aConfig, "stage"> {
  stage: "3a";
  projector: ProjectorStart;
}

/** Stage 3b: 1b from 3a; the ViT frozen (`vitLrRatio` null) or at lr · vitLrRatio. */
export interface Stage3bConfig extends Omit<Stage1bConfig, "stage" | "vitLrRatio"> {
  stage: "3b";
  vitLrRatio: number | null;
}

/** The reference log-probs of the preference set under a frozen 1b model. */
export interface ReferenceConfig {
  stage: "dpo-ref";
  world: WorldRef;
  condition: DataCondition;
  /** Items scored: the first `size` of the preference split. */
  size: number;
  /** Items per forward. */
  batch: number;
}

/** Stage 2: one arm at one lr, data condition and preference-set size. */
export interface Stage2Config extends TrainConfigBase {
  stage: "2";
  arm: Arm;
  condition: DataCondition;
  /** Preference items (the first `size` of the split). */
  size: number;
  epochs: number;
  beta: number;
  unlikelihoodAlpha: number;
  vitLrRatio: number;
}

/** A point of the DPO log-prob curves (means over the window's steps). */
export interface DpoPoint {
  step: number;
  chosenLogp: number;
  rejectedLogp: number;
  margin: number;
}

/** A point of the control's loss parts. */
export interface UnlikelihoodPoint {
  step: number;
  sft: number;
  unlikelihood: number;
}

/** What every MLLM training stage reports. */
export interface MLLMStageMetrics extends Record<string, unknown> {
  stage: string;
  seed: number;
  params: number;
  trainableParams: number;
  steps: number;
  samples: number;
  /** Examples dropped for not fitting the LM's text positions. */
  dropped: number;
  flops: number;
  trainSeconds: number;
  trainCpuSeconds: number;
  msPerStep: number;
  /** Loss curve; each point has the global grad norm before/after clipping. */
  curve: LossPoint[];
  /** First and last log window; Stage 2: mean loss of the first and the last epoch. */
  firstLoss: number;
  finalLoss: number;
  /** Stage 2: the mean loss of every epoch (the same items each epoch). */
  epochLosses?: number[];
  /** Relative change of the ViT's weights and features since the stage began. */
  encoderMovement: EncoderMovement;
  /** Peak learning rates per parameter group. */
  lrs: Record<string, number>;
  arm?: Arm;
  condition?: DataCondition;
  size?: number;
  lr?: number;
  dpo?: DpoPoint[];
  unlikelihood?: UnlikelihoodPoint[];
}

/** What the reference stage reports. */
export interface ReferenceMetrics extends Record<string, unknown> {
  stage: string;
  items: number;
  /** Items that do not fit the LM (NaN in the cache; the training data drops them too). */
  dropped: number;
  meanChosenLogp: number;
  meanRejectedLogp: number;
  flops: number;
  seconds: number;
}

// ---------------------------------------------------------------------------------------
// Configs from the protocol

function worldRef(pre: PretrainProtocol): WorldRef {
  return { ...pre.world, format: WORLD_FORMAT_VERSION };
}

/** The MLLM shape of a protocol: its E0 encoder + L0 LM sizes, the world's vocabulary. */
export function mllmConfigOf(p: PostTrainProtocol, pre: PretrainProtocol): MLLMConfig {
  const enc = pre.encoders[p.encoder];
  const lm = pre.lms[p.lm];
  if (!enc) throw new Error(`protocol ${pre.preset}: no size for encoder ${p.encoder}`);
  if (!lm) throw new Error(`protocol ${pre.preset}: no size for LM ${p.lm}`);
  return {
    vit: { ...enc, channels: 3 },
    lm: { ...lm, vocab: worldTokenizer().vocabSize },
    visionLayer: p.visionLayer,
  };
}

function base(p: PostTrainProtocol, pre: PretrainProtocol, seed: number) {
  return {
    world: worldRef(pre),
    mllm: mllmConfigOf(p, pre),
    seed,
    featureProbe: { ...p.featureProbe },
    logEvery: p.logEvery,
    checkpointEvery: p.checkpointEvery,
  };
}

/** Stage 1a of seed `seed`. */
export function stage1aConfig(
  p: PostTrainProtocol,
  pre: PretrainProtocol,
  seed: number,
): Stage1aConfig {
  const s = p.stage1a;
  return { stage: "1a", ...base(p, pre, seed), batch: s.batch, steps: s.steps, optim: s.optim };
}

/** Stage 1b of seed `seed`. */
export function stage1bConfig(
  p: PostTrainProtocol,
  pre: PretrainProtocol,
  seed: number,
): Stage1bConfig {
  const s = p.stage1b;
  return {
    stage: "1b",
    ...base(p, pre, seed),
    batch: s.batch,
    steps: s.steps,
    optim: s.optim,
    vitLrRatio: s.vitLrRatio,
  };
}

/** The reference cache of one data condition (covers every size of the protocol). */
export function referenceConfig(
  p: PostTrainProtocol,
  pre: PretrainProtocol,
  condition: DataCondition,
): ReferenceConfig {
  const size = Math.max(p.stage2.preferenceSize, ...p.stage2.dataSweepSizes);
  return { stage: "dpo-ref", world: worldRef(pre), condition, size, batch: 32 };
}

/** What picks one Stage-2 run. */
export interface Stage2Choice {
  arm: Arm;
  lr: number;
  condition: DataCondition;
  /** Preference items (default: the protocol's preferenceSize). */
  size?: number;
  seed: number;
}

/** Stage 2 of one arm / lr / condition / size / seed. */
export function stage2Config(
  p: PostTrainProtocol,
  pre: PretrainProtocol,
  choice: Stage2Choice,
): Stage2Config {
  const s = p.stage2;
  if (!(choice.lr > 0)) throw new Error(`stage 2: lr must be > 0 (got ${choice.lr})`);
  return {
    stage: "2",
    ...base(p, pre, choice.seed),
    arm: choice.arm,
    condition: choice.condition,
    size: choice.size ?? s.preferenceSize,
    epochs: s.epochs,
    batch: s.batch,
    beta: s.beta,
    unlikelihoodAlpha: s.unlikelihoodAlpha,
    vitLrRatio: s.vitLrRatio,
    optim: { ...s.optim, lr: choice.lr },
  };
}

// ---------------------------------------------------------------------------------------
// Loading

/**
 * Rebuilds the MLLM saved by an MLLM stage (its output, or a checkpoint folder). The
 * caller owns the model (dispose it).
 */
export async function loadMLLM(stage: StageOutput | string): Promise<MLLM> {
  const dir = typeof stage === "string" ? stage : stage.checkpointDir;
  let meta: { meta?: { mllm?: MLLMConfig } };
  try {
    meta = JSON.parse(await Deno.readTextFile(join(dir, "meta.json")));
  } catch (e) {
    throw new Error(`loadMLLM: ${dir} holds no checkpoint (${(e as Error).message})`);
  }
  const config = meta.meta?.mllm;
  if (!config) throw new Error(`loadMLLM: ${dir}/meta.json does not name an MLLM config`);
  const model = new MLLM(config, new Rng(0)).nameParameters();
  try {
    await loadPart(model, dir);
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model;
}

/** The cached reference log-probs of an `mllm-dpo-ref` stage: [chosen, rejected] per item. */
export async function readReference(stage: StageOutput): Promise<Float32Array> {
  const path = join(stage.dir, REFERENCE_FILE);
  // Checked against its SHA-256 sidecar (src/io/atomic.ts): a damaged cache is named.
  const bytes = await readVerified(path, stageRemedy(stage.name, stage.dir));
  if (bytes === null) throw new Error(`readReference: ${path} is missing`);
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
}

function inputNamed(ctx: StageContext, prefix: string): StageOutput {
  const o = ctx.inputs.find((i) => i.name.startsWith(prefix));
  if (!o) throw new Error(`stage ${ctx.name}: needs an input ${prefix}*`);
  return o;
}

// ---------------------------------------------------------------------------------------
// The shared training run

/** Parameter groups: the ViT at lr · vitRatio, projector and LM at lr (no decay split). */
function groupsOf(model: MLLM, optim: OptimSpec, vitRatio: number | null): ParamGroup[] {
  const wd = optim.weightDecay;
  const rest = [...model.projector.parameters(), ...model.lm.parameters()];
  const groups = vitRatio === null
    ? decayGroups(model.projector.parameters(), {
      lr: optim.lr,
      weightDecay: wd,
      name: "projector",
    })
    : [
      ...decayGroups(model.vit.parameters(), {
        lr: optim.lr * vitRatio,
        weightDecay: wd,
        name: "vit",
      }),
      ...decayGroups(rest, { lr: optim.lr, weightDecay: wd, name: "projector+lm" }),
    ];
  return groups;
}

/** Parameter groups of a frozen-ViT stage: projector and LM at lr (the ViT gets no group). */
function groupsWithoutVit(model: MLLM, optim: OptimSpec): ParamGroup[] {
  const params = [...model.projector.parameters(), ...model.lm.parameters()];
  return decayGroups(params, {
    lr: optim.lr,
    weightDecay: optim.weightDecay,
    name: "projector+lm",
  });
}

/**
 * Scalars kept on the GPU each step and read (averaged) at the loop's log points. The points
 * are also written to `file` at each log point, so a resumed run keeps the curve of the steps
 * before its checkpoint (points at or after a re-logged step are replaced).
 */
class TermLog {
  #window: Tensor[][] = [];
  points: Record<string, number>[] = [];
  constructor(readonly names: string[], readonly file: string) {}

  /** Loads the points a previous (interrupted) run of this stage wrote. */
  async load(): Promise<void> {
    try {
      this.points = JSON.parse(await Deno.readTextFile(this.file));
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  }

  push(values: Tensor[]): void {
    this.#window.push(values.map((v) => keep(v)));
  }

  async flush(step: number): Promise<void> {
    if (this.#window.length === 0) return;
    const flat = this.#window.flat();
    const all = noGrad(() => tidy(() => concat(flat.map((t) => reshape(t, [1])), 0)));
    const values = await all.data();
    all.dispose();
    for (const t of flat) t.dispose();
    const n = this.#window.length;
    const k = this.names.length;
    this.#window = [];
    const point: Record<string, number> = { step };
    this.names.forEach((name, j) => {
      let s = 0;
      for (let i = 0; i < n; i++) s += values[i * k + j];
      point[name] = s / n;
    });
    this.points = this.points.filter((p) => p.step < step);
    this.points.push(point);
    await writeJsonAtomic(this.file, this.points);
  }

  dispose(): void {
    for (const t of this.#window.flat()) t.dispose();
    this.#window = [];
  }
}

interface RunSpec<B> {
  ctx: StageContext;
  cfg: TrainConfigBase;
  world: World;
  model: MLLM;
  groups: ParamGroup[];
  steps: number;
  dropped: number;
  batch: (step: number) => B;
  loss: (b: B, step: number) => Tensor;
  terms?: TermLog;
  extra?: Partial<MLLMStageMetrics>;
  /**
   * Stage 2: the loss is read every step, and `epochLoss` turns the per-step curve into
   * each epoch's exact mean over its items (see `MLLMStageMetrics.epochLosses`).
   */
  epochLoss?: (curve: LossPoint[]) => number[];
}

function epochEnds(epochs: number[]) {
  return { firstLoss: epochs[0], finalLoss: epochs.at(-1)!, epochLosses: epochs };
}

/** Trains `model` with `trainLoop`, measures encoder movement, saves, reports. */
async function trainMLLM<B>(spec: RunSpec<B>): Promise<MLLMStageMetrics> {
  const { ctx, cfg, model } = spec;
  const optimizer = new AdamW(spec.groups, {
    betas: cfg.optim.betas,
    maxGradNorm: cfg.optim.maxGradNorm,
    trackGradNorm: true,
  });
  const probeSplit = await spec.world.split(cfg.featureProbe.split);
  const n = Math.min(cfg.featureProbe.images, probeSplit.count);
  const probe = imageTensor(probeSplit, Int32Array.from({ length: n }, (_, i) => i));
  try {
    const before = await snapshotVit(model, probe);
    const r = await trainLoop({
      name: ctx.name,
      model,
      optimizer,
      totalSteps: spec.steps,
      schedule: cfg.optim,
      samplesPerStep: cfg.batch,
      logEvery: spec.epochLoss ? 1 : cfg.logEvery,
      checkpoint: { dir: ctx.partialDir, every: cfg.checkpointEvery },
      stopAfterSteps: ctx.stopAfterSteps,
      log: ctx.log,
      batch: spec.batch,
      loss: spec.loss,
      onLog: spec.terms ? (pt) => spec.terms!.flush(pt.step) : undefined,
    });
    await sync();
    const movement = await encoderMovement(model, probe, before);
    await saveCheckpoint(ctx.checkpointDir, {
      model,
      meta: { stage: ctx.name, config: ctx.config, mllm: cfg.mllm as unknown as Json },
    });
    const lrs: Record<string, number> = {};
    for (const g of spec.groups) lrs[g.name ?? "params"] = g.lr;
    return {
      stage: ctx.name,
      seed: cfg.seed,
      params: model.parameterCount(),
      trainableParams: spec.groups.reduce(
        (s, g) => s + g.params.reduce((a, p) => a + p.size, 0),
        0,
      ),
      steps: r.steps,
      samples: r.samples,
      dropped: spec.dropped,
      flops: r.flops,
      trainSeconds: r.seconds,
      trainCpuSeconds: r.cpuSeconds,
      msPerStep: (1000 * r.seconds) / Math.max(1, r.steps),
      curve: r.curve,
      ...(spec.epochLoss ? epochEnds(spec.epochLoss(r.curve)) : {
        firstLoss: r.curve[0].loss,
        finalLoss: r.curve.at(-1)!.loss,
      }),
      encoderMovement: movement,
      lrs,
      ...spec.extra,
    };
  } finally {
    spec.terms?.dispose();
    probe.dispose();
    optimizer.dispose();
  }
}

// ---------------------------------------------------------------------------------------
// Stage 1a and 1b

/**
 * `mllm-1a`: inputs are the E0 stage (its ViT) and the L0 stage (its LM). With a 3a config it
 * is `mllm-3a`: the ViT comes from `inputs.e0`, which may also be an MLLM stage (the evolved
 * encoder), and the projector's first layer from that stage when the config says so.
 */
export function stage1aStage(
  cfg: Stage1aConfig | Stage3aConfig,
  world: World,
  inputs: { e0: StageOutput; l0: StageOutput },
): StageDef<MLLMStageMetrics> {
  const reuse = cfg.stage === "3a" && cfg.projector === "reuse-first-layer";
  if (reuse && !inputs.e0.name.startsWith("mllm-")) {
    throw new Error(
      `stage 3a: reusing a projector layer needs an MLLM stage (got ${inputs.e0.name})`,
    );
  }
  return {
    name: `mllm-${cfg.stage}`,
    config: cfg as unknown as Json,
    inputs: [inputs.e0, inputs.l0],
    run: async (ctx) => {
      const model = new MLLM(cfg.mllm, new Rng(cfg.seed)).nameParameters();
      try {
        const encoder = cfg.stage === "1a" ? inputNamed(ctx, "e0-") : ctx.inputs[0];
        await loadPart(model.vit, encoder.checkpointDir, { prefix: "vit." });
        await loadPart(model.lm, inputNamed(ctx, "l0-").checkpointDir);
        if (reuse) {
          await loadPart(model.projector.fc1, encoder.checkpointDir, { prefix: "projector.fc1." });
        }
        model.vit.freeze();
        model.lm.freeze();
        const split = await world.split("captions");
        const data = new ChatData(split, chatExamples(split), {
          batch: cfg.batch,
          seed: cfg.seed,
          maxText: model.maxTextLength,
        });
        return await trainMLLM({
          ctx,
          cfg,
          world,
          model,
          groups: groupsOf(model, cfg.optim, null),
          steps: cfg.steps,
          dropped: data.dropped,
          batch: (step) => data.batch(step),
          loss: (b, step) => sftLoss(model.forward(b.images, b.ids, { seed: step }), b.labels),
        });
      } finally {
        model.dispose();
      }
    },
  };
}

/**
 * `mllm-1b`: input is the 1a stage. With a 3b config it is `mllm-3b` (input: the 3a stage):
 * the ViT stays frozen when `vitLrRatio` is null.
 */
export function stage1bStage(
  cfg: Stage1bConfig | Stage3bConfig,
  world: World,
  s1a: StageOutput,
): StageDef<MLLMStageMetrics> {
  const from = cfg.stage === "1b" ? "mllm-1a" : "mllm-3a";
  return {
    name: `mllm-${cfg.stage}`,
    config: cfg as unknown as Json,
    inputs: [s1a],
    run: async (ctx) => {
      const model = await loadMLLM(inputNamed(ctx, from));
      try {
        const split = await world.split("instruction");
        const data = new ChatData(split, chatExamples(split), {
          batch: cfg.batch,
          seed: cfg.seed,
          maxText: model.maxTextLength,
        });
        if (cfg.vitLrRatio === null) model.vit.freeze();
        return await trainMLLM({
          ctx,
          cfg,
          world,
          model,
          groups: cfg.vitLrRatio === null
            ? groupsWithoutVit(model, cfg.optim)
            : groupsOf(model, cfg.optim, cfg.vitLrRatio),
          steps: cfg.steps,
          dropped: data.dropped,
          batch: (step) => data.batch(step),
          loss: (b, step) => sftLoss(model.forward(b.images, b.ids, { seed: step }), b.labels),
        });
      } finally {
        model.dispose();
      }
    },
  };
}

// ---------------------------------------------------------------------------------------
// The DPO reference cache

/** `mllm-dpo-ref`: input is the 1b stage; writes REFERENCE_FILE ([chosen, rejected] per item). */
export function dpoReferenceStage(
  cfg: ReferenceConfig,
  world: World,
  s1b: StageOutput,
): StageDef<ReferenceMetrics> {
  return {
    name: "mllm-dpo-ref",
    config: cfg as unknown as Json,
    inputs: [s1b],
    run: async (ctx) => {
      const model = await loadMLLM(inputNamed(ctx, "mllm-1b"));
      model.eval();
      const start = performance.now();
      const f0 = flopCount().flops;
      try {
        const split = await world.split("preference");
        const all = preferenceExamples(split, cfg.condition, cfg.size);
        const fits = all.filter((e) =>
          e.prompt.length + Math.max(e.chosen.length, e.rejected.length) <= model.maxTextLength
        );
        const out = new Float32Array(2 * cfg.size).fill(NaN);
        for (let i = 0; i < fits.length; i += cfg.batch) {
          const rows = fits.slice(i, i + cfg.batch);
          const logps = await scoreRows(model, split, rows);
          rows.forEach((r, k) => {
            out[2 * r.item] = logps[k];
            out[2 * r.item + 1] = logps[rows.length + k];
          });
        }
        await writeFileAtomic(join(ctx.dir, REFERENCE_FILE), new Uint8Array(out.buffer));
        const mean = (j: number) => {
          let s = 0;
          for (const r of fits) s += out[2 * r.item + j];
          return s / Math.max(1, fits.length);
        };
        return {
          stage: ctx.name,
          items: fits.length,
          dropped: all.length - fits.length,
          meanChosenLogp: mean(0),
          meanRejectedLogp: mean(1),
          flops: flopCount().flops - f0,
          seconds: (performance.now() - start) / 1000,
        };
      } finally {
        model.dispose();
      }
    },
  };
}

/** Summed response log-probs [2N] (chosen rows, then rejected) of some items, no gradient. */
async function scoreRows(
  model: MLLM,
  split: Parameters<typeof imageTensor>[0],
  rows: EncodedPreference[],
): Promise<Float32Array> {
  const a = preferenceArrays(rows);
  const shape = [2 * a.items, a.tokens];
  const lp = noGrad(() =>
    tidy(() =>
      sequenceLogProbs(
        model.forward(imageTensor(split, rows.map((r) => r.item)), tensor(a.ids, shape, "i32")),
        tensor(a.labels, shape, "i32"),
        tensor(a.responseMask, shape),
      )
    )
  );
  const values = Float32Array.from(await lp.data());
  lp.dispose();
  return values;
}

// ---------------------------------------------------------------------------------------
// Stage 2

interface Stage2Batch {
  images: Tensor;
  ids: Tensor;
  labels: Tensor;
  mask?: Tensor;
  reference?: Tensor;
  chosenLabels?: Tensor;
  diffTargets?: Tensor;
  diffMask?: Tensor;
  diffCount?: number;
}

/**
 * `mllm-2-<arm>`: inputs are the 1b stage and, for DPO, the `mllm-dpo-ref` stage of the
 * same 1b and data condition.
 */
export function stage2Stage(
  cfg: Stage2Config,
  world: World,
  s1b: StageOutput,
  reference?: StageOutput,
): StageDef<MLLMStageMetrics> {
  if (cfg.arm === "dpo") {
    if (!reference) throw new Error("stage 2 dpo: needs the mllm-dpo-ref stage as input");
    const rc = reference.config as unknown as ReferenceConfig;
    if (rc.condition !== cfg.condition || rc.size < cfg.size) {
      throw new Error(
        `stage 2 dpo: the reference covers ${rc.size} ${rc.condition} items; ` +
          `the run needs ${cfg.size} ${cfg.condition}`,
      );
    }
  }
  return {
    name: `mllm-2-${cfg.arm}`,
    config: cfg as unknown as Json,
    inputs: cfg.arm === "dpo" ? [s1b, reference!] : [s1b],
    run: async (ctx) => {
      const model = await loadMLLM(inputNamed(ctx, "mllm-1b"));
      try {
        const split = await world.split("preference");
        const data = new PreferenceData(split, preferenceExamples(split, cfg.condition, cfg.size), {
          batch: Math.min(cfg.batch, cfg.size),
          seed: cfg.seed,
          maxText: model.maxTextLength,
        });
        const ref = cfg.arm === "dpo" ? await readReference(inputNamed(ctx, "mllm-dpo-ref")) : null;
        const pad = worldTokenizer().special.pad;
        const batch = (step: number): Stage2Batch => {
          const rows = data.rows(step);
          const images = data.images(rows);
          if (cfg.arm === "sft") {
            const longest = Math.max(...rows.map((r) => r.prompt.length + r.chosen.length));
            const b = batchEncoded(
              rows.map((r) => ({ prompt: r.prompt, response: r.chosen })),
              pad,
              {
                padTo: Math.ceil(longest / 8) * 8,
              },
            );
            return {
              images,
              ids: tensor(b.ids, [b.batch, b.tokens], "i32"),
              labels: tensor(b.labels, [b.batch, b.tokens], "i32"),
            };
          }
          const a = preferenceArrays(rows);
          const shape = [2 * a.items, a.tokens];
          const out: Stage2Batch = {
            images,
            ids: tensor(a.ids, shape, "i32"),
            labels: tensor(a.labels, shape, "i32"),
          };
          if (cfg.arm === "dpo") {
            const r = new Float32Array(2 * a.items);
            rows.forEach((row, k) => {
              r[k] = ref![2 * row.item];
              r[a.items + k] = ref![2 * row.item + 1];
            });
            if (r.some((v) => !Number.isFinite(v))) {
              throw new Error(
                `stage ${ctx.name}: the reference cache lacks an item of step ${step}`,
              );
            }
            out.mask = tensor(a.responseMask, shape);
            out.reference = tensor(r, [2 * a.items]);
          } else {
            out.chosenLabels = tensor(a.chosenLabels, shape, "i32");
            out.diffTargets = tensor(a.diffTargets, shape, "i32");
            out.diffMask = tensor(a.diffMask, shape);
            out.diffCount = a.diffCount;
          }
          return out;
        };
        const termsFile = join(ctx.dir, "terms.partial.json");
        const terms = cfg.arm === "dpo"
          ? new TermLog(["chosenLogp", "rejectedLogp", "margin"], termsFile)
          : cfg.arm === "unlikelihood"
          ? new TermLog(["sft", "unlikelihood"], termsFile)
          : undefined;
        await terms?.load();
        const loss = (b: Stage2Batch, step: number): Tensor => {
          const logits = model.forward(b.images, b.ids, { seed: step });
          if (cfg.arm === "sft") return sftLoss(logits, b.labels);
          if (cfg.arm === "dpo") {
            const t = dpoLoss(logits, b.labels, b.mask!, b.reference!, cfg.beta);
            terms!.push([t.chosenLogp, t.rejectedLogp, t.margin]);
            return t.loss;
          }
          const t = unlikelihoodLoss(
            logits,
            b.chosenLabels!,
            b.diffTargets!,
            b.diffMask!,
            b.diffCount!,
            cfg.unlikelihoodAlpha,
          );
          terms!.push([t.sft, t.unlikelihood]);
          return t.loss;
        };
        const steps = cfg.epochs * data.order.stepsPerEpoch;
        const metrics = await trainMLLM({
          ctx,
          cfg,
          world,
          model,
          groups: groupsOf(model, cfg.optim, cfg.vitLrRatio),
          steps,
          dropped: data.dropped,
          batch,
          loss,
          terms,
          extra: { arm: cfg.arm, condition: cfg.condition, size: cfg.size, lr: cfg.optim.lr },
          epochLoss: (curve) => epochMeans(cfg, data, curve, terms?.points ?? []),
        });
        if (cfg.arm === "dpo") metrics.dpo = terms!.points as unknown as DpoPoint[];
        if (cfg.arm === "unlikelihood") {
          metrics.unlikelihood = terms!.points as unknown as UnlikelihoodPoint[];
        }
        await Deno.remove(termsFile).catch(() => {});
        return metrics;
      } finally {
        model.dispose();
      }
    },
  };
}

/**
 * Each epoch's loss over its items, exactly: every epoch visits the same items (in a new
 * order, so batch means alone would weight them differently), so per-step losses are
 * re-weighted to the loss's own normalisation — SFT by response tokens, DPO by items (equal
 * per step), the control's two parts by chosen and by differing rejected tokens.
 */
function epochMeans(
  cfg: Stage2Config,
  data: PreferenceData,
  curve: LossPoint[],
  terms: Record<string, number>[],
): number[] {
  const spe = data.order.stepsPerEpoch;
  const at = new Map(curve.map((pt) => [pt.step, pt.loss]));
  const part = new Map(terms.map((pt) => [pt.step, pt]));
  const out: number[] = [];
  for (let e = 0; e < cfg.epochs; e++) {
    let [a, wa, b, wb] = [0, 0, 0, 0];
    for (let s = e * spe; s < (e + 1) * spe; s++) {
      const rows = data.rows(s);
      const tokens = rows.reduce((n, r) => n + r.chosen.length, 0);
      if (cfg.arm === "sft") [a, wa] = [a + at.get(s + 1)! * tokens, wa + tokens];
      else if (cfg.arm === "dpo") [a, wa] = [a + at.get(s + 1)!, wa + 1];
      else {
        const diff = rows.reduce((n, r) => n + r.rejectedDiff.length, 0);
        const pt = part.get(s + 1)!;
        [a, wa] = [a + pt.sft * tokens, wa + tokens];
        [b, wb] = [b + pt.unlikelihood * diff, wb + diff];
      }
    }
    out.push(a / wa + (wb > 0 ? cfg.unlikelihoodAlpha * (b / wb) : 0));
  }
  return out;
}
