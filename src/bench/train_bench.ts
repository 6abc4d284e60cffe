/**
 * Training throughput: a ViT classifier step (64×64 RGB images, patch 8, width 128, depth 4,
 * batch 32), a causal LM step (width 128, depth 4, 96 tokens, batch 32, vocabulary 512) and the
 * `small` Stage-1b MLLM step (`mllmTrainer`: the post-training protocol's shapes), each
 * forward + backward + AdamW recorded as one batch and submitted once. After a warm-up
 * (pipeline compiles, pool fill) `steps` steps are recorded back to back with one `sync()`
 * at the end (a readback costs ≥ 11 ms); the median over repeats is reported. GFLOP/s come
 * from the FLOPs every dispatch declares (`measureFlops`), compared with a matmul rate the
 * caller passes.
 *
 * `profileStep` explains where a step's time goes: the dispatches per kernel name, and for
 * each kernel name the time of the step with only that kernel's dispatches executed (all
 * others recorded but skipped; their values are garbage, which does not change the work a
 * kernel does). The sum of the kinds plus the "nothing executed" baseline ≈ the full step.
 * Run: `deno run -A src/bench/train_bench.ts [--profile]`.
 * @module
 */

import { getGpu } from "../gpu/device.ts";
import { flush, sync } from "../gpu/batch.ts";
import { measureFlops } from "../gpu/flops.ts";
import { type Tensor, tensor } from "../tensor/tensor.ts";
import { keep, tidy } from "../tensor/scope.ts";
import { backward } from "../tensor/autograd.ts";
import { Rng } from "../tensor/random.ts";
import { matmul } from "../tensor/ops/matmul.ts";
import { AdamW, decayGroups } from "../nn/adamw.ts";
import type { Module } from "../nn/module.ts";
import { ViTClassifier, type ViTClassifierConfig } from "../nn/vit.ts";
import { CausalLM, type CausalLMConfig } from "../nn/causal_lm.ts";
import { MLLM } from "../mllm/model.ts";
import { pretrainProtocol } from "../protocol/presets.ts";
import { postTrainProtocol } from "../protocol/posttrain.ts";
import { worldTokenizer } from "../world/tokenizer.ts";
import { median } from "./timing.ts";
import { timeRecorded } from "./matmul_bench.ts";

/** The benchmarked ViT classifier. */
export const BENCH_VIT: ViTClassifierConfig = {
  imageSize: 64,
  patch: 8,
  channels: 3,
  width: 128,
  depth: 4,
  heads: 4,
  mlpRatio: 4,
  classes: 10,
};
/** The benchmarked causal LM. */
export const BENCH_LM: CausalLMConfig = {
  vocab: 512,
  maxLen: 96,
  width: 128,
  depth: 4,
  heads: 4,
  mlpRatio: 4,
};
export const BENCH_BATCH = 32;
export const BENCH_TOKENS = 96;

/** One training-throughput measurement. */
export interface TrainBenchResult {
  name: string;
  config: string;
  batch: number;
  /** Median milliseconds per step and the range over repeats. */
  msPerStep: number;
  msRange: [number, number];
  samplesPerS: number;
  /** Counted FLOPs of one step (forward + backward + AdamW). */
  gflopPerStep: number;
  gflops: number;
  dispatchesPerStep: number;
  /** The matmul rate compared with (GFLOP/s) and achieved / matmul, when given. */
  matmulGflops?: number;
  ratio?: number;
}

/** A model, its optimizer and one recorded training step on a fixed batch. */
interface Trainer {
  name: string;
  config: string;
  model: Module;
  step: () => void;
  dispose: () => void;
}

function makeTrainer(
  model: Module,
  loss: () => Tensor,
  inputs: Tensor[],
  name: string,
  config: string,
): Trainer {
  const opt = new AdamW(decayGroups(model.parameters(), { lr: 1e-4, weightDecay: 0.05 }), {
    maxGradNorm: 1,
  });
  const step = () => {
    tidy(() => {
      backward(loss());
      opt.step();
    });
    opt.zeroGrad();
    flush();
  };
  const dispose = () => {
    model.dispose();
    opt.dispose();
    for (const t of inputs) t.dispose();
  };
  return { name, config, model, step, dispose };
}

/** The benchmark ViT classifier step on random images. */
export function vitTrainer(batch = BENCH_BATCH, cfg = BENCH_VIT): Trainer {
  const rng = new Rng(1);
  const model = new ViTClassifier(cfg, rng);
  const s = cfg.imageSize;
  const images = keep(
    tensor(rng.uniforms(batch * s * s * cfg.channels), [batch, s, s, cfg.channels]),
  );
  const labels = keep(
    tensor(Int32Array.from({ length: batch }, () => rng.int(cfg.classes)), [batch], "i32"),
  );
  const config = `${s}×${s} patch ${cfg.patch}, width ${cfg.width}, depth ${cfg.depth}, ` +
    `heads ${cfg.heads}, batch ${batch}`;
  return makeTrainer(
    model,
    () => model.loss(images, labels),
    [images, labels],
    "ViT classifier step",
    config,
  );
}

/** The benchmark causal LM step on random tokens. */
export function lmTrainer(batch = BENCH_BATCH, tokens = BENCH_TOKENS, cfg = BENCH_LM): Trainer {
  const rng = new Rng(2);
  const model = new CausalLM(cfg, rng);
  const ids = new Int32Array(batch * tokens).map(() => rng.int(cfg.vocab));
  const targets = ids.map((_, i) => ((i + 1) % tokens === 0 ? -100 : ids[i + 1]));
  const idsT = keep(tensor(ids, [batch, tokens], "i32"));
  const targetsT = keep(tensor(targets, [batch, tokens], "i32"));
  const config = `${tokens} tokens, vocab ${cfg.vocab}, width ${cfg.width}, depth ${cfg.depth}, ` +
    `heads ${cfg.heads}, batch ${batch}`;
  return makeTrainer(
    model,
    () => model.loss(idsT, targetsT),
    [idsT, targetsT],
    "causal LM step",
    config,
  );
}

/** Text tokens per row of the MLLM benchmark (the `small` instruction batches average 47). */
export const BENCH_MLLM_TEXT = 48;

/**
 * The `small` Stage-1b step: the protocol's MLLM (its encoder and LM at their `small` sizes,
 * the world's vocabulary) on random images and tokens, batch 16, the loss on the last third
 * of each row (the response), every part training (stand-in weights: FLOPs and time do not
 * depend on them).
 */
export function mllmTrainer(preset = "small", tokens = BENCH_MLLM_TEXT): Trainer {
  const post = postTrainProtocol(preset);
  const pre = pretrainProtocol(preset);
  const vit = { ...pre.encoders[post.encoder]!, channels: 3 };
  const lm = { ...pre.lms[post.lm]!, vocab: worldTokenizer().vocabSize };
  const batch = post.stage1b.batch;
  const rng = new Rng(4);
  const model = new MLLM({ vit, lm, visionLayer: post.visionLayer }, rng);
  const s = vit.imageSize;
  const images = keep(tensor(rng.uniforms(batch * s * s * 3), [batch, s, s, 3]));
  const ids = new Int32Array(batch * tokens).map(() => rng.int(lm.vocab));
  const response = Math.floor((2 * tokens) / 3);
  const labels = ids.map((_, i) =>
    i % tokens < response || (i + 1) % tokens === 0 ? -100 : ids[i + 1]
  );
  const idsT = keep(tensor(ids, [batch, tokens], "i32"));
  const labelsT = keep(tensor(labels, [batch, tokens], "i32"));
  const config = `${preset} Stage 1b: ${post.encoder} (${s}×${s}, width ${vit.width}, depth ` +
    `${vit.depth}) + ${post.lm} (width ${lm.width}, depth ${lm.depth}), ${tokens} text tokens, ` +
    `batch ${batch}`;
  return makeTrainer(
    model,
    () => model.loss(images, idsT, labelsT),
    [images, idsT, labelsT],
    "MLLM step",
    config,
  );
}

/** Times `steps` recorded steps per sync, after `warmup` steps; median over `repeats`. */
async function timeSteps(
  step: () => void,
  opts: { warmup?: number; steps?: number; repeats?: number },
): Promise<number[]> {
  for (let i = 0; i < (opts.warmup ?? 2); i++) step();
  await sync();
  const times: number[] = [];
  for (let r = 0; r < (opts.repeats ?? 3); r++) {
    const n = opts.steps ?? 5;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) step();
    await sync();
    times.push((performance.now() - t0) / n);
  }
  return times;
}

async function benchTrainer(
  t: Trainer,
  batch: number,
  opts: { matmulGflops?: number; warmup?: number; steps?: number; repeats?: number },
): Promise<TrainBenchResult> {
  await getGpu();
  try {
    const times = await timeSteps(t.step, opts);
    const { flops, dispatches } = measureFlops(t.step);
    await sync();
    const ms = median(times);
    const gflops = flops / ms / 1e6;
    return {
      name: t.name,
      config: t.config,
      batch,
      msPerStep: ms,
      msRange: [Math.min(...times), Math.max(...times)],
      samplesPerS: batch / (ms / 1000),
      gflopPerStep: flops / 1e9,
      gflops,
      dispatchesPerStep: dispatches,
      matmulGflops: opts.matmulGflops,
      ratio: opts.matmulGflops ? gflops / opts.matmulGflops : undefined,
    };
  } finally {
    t.dispose();
  }
}

/** Options of the training benchmarks. */
export interface TrainBenchOptions {
  /** The matmul rate (GFLOP/s) to compare with; the runner passes its own measurement. */
  matmulGflops?: number;
  warmup?: number;
  /** Steps per timed batch (one sync each); default 5. */
  steps?: number;
  repeats?: number;
}

/** Throughput of the ViT classifier training step (64×64, patch 8, width 128, depth 4, batch 32). */
export function benchViTTrain(opts: TrainBenchOptions = {}): Promise<TrainBenchResult> {
  return benchTrainer(vitTrainer(), BENCH_BATCH, opts);
}

/** Throughput of the causal LM training step (96 tokens, width 128, depth 4, batch 32, V 512). */
export function benchLMTrain(opts: TrainBenchOptions = {}): Promise<TrainBenchResult> {
  return benchTrainer(lmTrainer(), BENCH_BATCH, opts);
}

/** Throughput of the `small` Stage-1b MLLM step (see `mllmTrainer`). */
export function benchMLLMTrain(opts: TrainBenchOptions = {}): Promise<TrainBenchResult> {
  const t = mllmTrainer();
  return benchTrainer(t, postTrainProtocol("small").stage1b.batch, opts);
}

/** A matmul rate at the models' typical linear-layer shape, (4096×128)·(128×512). */
export async function referenceMatmulGflops(): Promise<number> {
  await getGpu();
  const rng = new Rng(3);
  const a = tensor(rng.normals(4096 * 128), [4096, 128]);
  const b = tensor(rng.normals(128 * 512), [128, 512]);
  const t = await timeRecorded(() => matmul(a, b));
  a.dispose();
  b.dispose();
  return (2 * 4096 * 128 * 512) / t.ms / 1e6;
}

/** Time and dispatch count of one kernel kind within a step. */
export interface KindCost {
  kind: string;
  dispatches: number;
  /** Milliseconds per step with only this kind executed, minus the empty baseline. */
  ms: number;
}

/**
 * Where a step's time goes, by kernel name (see the module comment). Returns the full step
 * time, the baseline (everything recorded, nothing executed) and the kinds, costliest first.
 */
export async function profileStep(
  t: Trainer,
  opts: { steps?: number; repeats?: number } = {},
): Promise<{ fullMs: number; baselineMs: number; kinds: KindCost[] }> {
  await getGpu();
  const passProto = GPUComputePassEncoder.prototype;
  const encProto = GPUCommandEncoder.prototype;
  const setPipeline = passProto.setPipeline;
  const dispatchWorkgroups = passProto.dispatchWorkgroups;
  const copyB2T = encProto.copyBufferToTexture;
  const counts = new Map<string, number>();
  let current = "";
  let only: string | null = null; // null: execute everything; "": nothing
  passProto.setPipeline = function (p: GPUComputePipeline) {
    current = p.label;
    return setPipeline.call(this, p);
  };
  passProto.dispatchWorkgroups = function (x: number, y?: number, z?: number) {
    counts.set(current, (counts.get(current) ?? 0) + 1);
    if (only === null || only === current) dispatchWorkgroups.call(this, x, y, z);
  };
  encProto.copyBufferToTexture = function (
    src: GPUTexelCopyBufferInfo,
    dst: GPUTexelCopyTextureInfo,
    size: GPUExtent3D,
  ) {
    const kind = "copyBufferToTexture";
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
    if (only === null || only === kind) copyB2T.call(this, src, dst, size);
  };
  try {
    const run = async () => median(await timeSteps(t.step, { warmup: 1, ...opts }));
    const fullMs = await run();
    counts.clear();
    t.step();
    await sync();
    const perStep = new Map(counts);
    only = "";
    const baselineMs = await run();
    const kinds: KindCost[] = [];
    for (const [kind, n] of perStep) {
      only = kind;
      kinds.push({ kind, dispatches: n, ms: (await run()) - baselineMs });
    }
    kinds.sort((a, b) => b.ms - a.ms);
    return { fullMs, baselineMs, kinds };
  } finally {
    passProto.setPipeline = setPipeline;
    passProto.dispatchWorkgroups = dispatchWorkgroups;
    encProto.copyBufferToTexture = copyB2T;
    t.dispose();
  }
}

/** Formats a result as one line. */
export function formatTrainResult(r: TrainBenchResult): string {
  const ratio = r.ratio !== undefined
    ? `  ${(100 * r.ratio).toFixed(0)}% of matmul ${r.matmulGflops!.toFixed(1)}`
    : "";
  return `${r.name.padEnd(20)} ${r.samplesPerS.toFixed(1).padStart(7)} samples/s  ` +
    `${r.msPerStep.toFixed(1)} ms/step [${r.msRange[0].toFixed(1)}–${r.msRange[1].toFixed(1)}]  ` +
    `${r.gflops.toFixed(1)} GFLOP/s (${r.gflopPerStep.toFixed(2)} GFLOP/step, ` +
    `${r.dispatchesPerStep} dispatches)${ratio}\n    ${r.config}`;
}

if (import.meta.main) {
  await getGpu();
  const matmulGflops = await referenceMatmulGflops();
  console.log(`reference matmul (4096×128)·(128×512): ${matmulGflops.toFixed(1)} GFLOP/s`);
  console.log(formatTrainResult(await benchViTTrain({ matmulGflops })));
  console.log(formatTrainResult(await benchLMTrain({ matmulGflops })));
  console.log(formatTrainResult(await benchMLLMTrain({ matmulGflops })));
  if (Deno.args.includes("--profile")) {
    for (const make of [vitTrainer, lmTrainer, () => mllmTrainer()]) {
      const t = make();
      const name = t.name;
      const p = await profileStep(t);
      console.log(
        `\nprofile of the ${name}: full ${p.fullMs.toFixed(1)} ms, ` +
          `recorded-but-skipped baseline ${p.baselineMs.toFixed(1)} ms`,
      );
      for (const k of p.kinds) {
        console.log(
          `  ${k.kind.padEnd(28)} ${String(k.dispatches).padStart(5)} × ` +
            `${k.ms.toFixed(2).padStart(8)} ms`,
        );
      }
    }
  }
}
