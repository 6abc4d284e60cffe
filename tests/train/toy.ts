/**
 * A toy stage for the loop and stage tests: an MLP classifying 8-d points by which of 4
 * fixed directions they lie closest to; batches drawn by `DataOrder`, so a run is a pure
 * function of (seed, step).
 */

import { MLP } from "../../src/nn/layers.ts";
import { AdamW, decayGroups } from "../../src/nn/adamw.ts";
import { saveCheckpoint } from "../../src/nn/checkpoint.ts";
import { type Tensor, tensor } from "../../src/tensor/tensor.ts";
import { crossEntropy } from "../../src/tensor/ops/loss.ts";
import { scale } from "../../src/tensor/ops/unary.ts";
import { Rng } from "../../src/tensor/random.ts";
import { BatchOrder } from "../../src/data/order.ts";
import { trainLoop, type TrainResult } from "../../src/train/loop.ts";
import type { StageDef } from "../../src/train/stage.ts";

export const TOY_N = 256;
export const TOY_DIM = 8;
export const TOY_CLASSES = 4;

/** The toy data set (fixed by `seed`). */
export function toyData(seed: number): { x: Float32Array; y: Int32Array } {
  const rng = new Rng(seed);
  const dirs = rng.normals(TOY_CLASSES * TOY_DIM);
  const x = rng.normals(TOY_N * TOY_DIM);
  const y = new Int32Array(TOY_N);
  for (let i = 0; i < TOY_N; i++) {
    let best = -Infinity;
    for (let c = 0; c < TOY_CLASSES; c++) {
      let dot = 0;
      for (let d = 0; d < TOY_DIM; d++) dot += x[i * TOY_DIM + d] * dirs[c * TOY_DIM + d];
      if (dot > best) [best, y[i]] = [dot, c];
    }
  }
  return { x, y };
}

/** The toy config (plain JSON). */
export interface ToyConfig {
  seed: number;
  steps: number;
  batch: number;
  lr: number;
  checkpointEvery: number;
  logEvery: number;
  /** The 0-based step whose loss is made NaN (tests). */
  nanAt?: number;
}

export const TOY_CONFIG: ToyConfig = {
  seed: 3,
  steps: 40,
  batch: 16,
  lr: 1e-2,
  checkpointEvery: 10,
  logEvery: 5,
};

/** Trains the toy MLP; returns the loop result and every parameter's final values. */
export async function trainToy(
  cfg: ToyConfig,
  opts: {
    partialDir?: string;
    stopAfterSteps?: number;
    checkpointDir?: string;
    log?: (line: string) => void;
  } = {},
): Promise<{ result: TrainResult; params: Map<string, Float32Array> }> {
  const model = new MLP(TOY_DIM, 32, TOY_CLASSES, new Rng(cfg.seed), { std: 0.3 });
  const optimizer = new AdamW(decayGroups(model.parameters(), { lr: cfg.lr, weightDecay: 0.01 }), {
    maxGradNorm: 1,
  });
  const data = toyData(cfg.seed + 1);
  const order = new BatchOrder(TOY_N, cfg.batch, cfg.seed);
  try {
    const result = await trainLoop({
      name: "toy",
      model,
      optimizer,
      totalSteps: cfg.steps,
      schedule: { warmupFraction: 0.1, minLrRatio: 0.1 },
      samplesPerStep: cfg.batch,
      logEvery: cfg.logEvery,
      checkpoint: opts.partialDir
        ? { dir: opts.partialDir, every: cfg.checkpointEvery }
        : undefined,
      stopAfterSteps: opts.stopAfterSteps,
      progress: false,
      log: opts.log,
      batch: (step) => {
        const idx = order.indices(step);
        const xs = new Float32Array(cfg.batch * TOY_DIM);
        const ys = new Int32Array(cfg.batch);
        idx.forEach((j, k) => {
          xs.set(data.x.subarray(j * TOY_DIM, (j + 1) * TOY_DIM), k * TOY_DIM);
          ys[k] = data.y[j];
        });
        return { x: tensor(xs, [cfg.batch, TOY_DIM]), y: tensor(ys, [cfg.batch], "i32") };
      },
      loss: (b: { x: Tensor; y: Tensor }, step) => {
        const l = crossEntropy(model.forward(b.x), b.y);
        return step === cfg.nanAt ? scale(l, NaN) : l;
      },
    });
    if (opts.checkpointDir) await saveCheckpoint(opts.checkpointDir, { model });
    const params = new Map<string, Float32Array>();
    for (const [n, p] of model.namedParameters()) params.set(n, await p.data());
    return { result, params };
  } finally {
    model.dispose();
    optimizer.dispose();
  }
}

/** The toy as a stage; `runs` counts how often `run` was really called. */
export function toyStage(
  cfg: ToyConfig,
  runs: { count: number },
  inputs: StageDef["inputs"] = [],
): StageDef<{ finalLoss: number; steps: number }> {
  return {
    name: "toy",
    config: { ...cfg },
    inputs,
    run: async (ctx) => {
      runs.count += 1;
      const { result } = await trainToy(cfg, {
        partialDir: ctx.partialDir,
        stopAfterSteps: ctx.stopAfterSteps,
        checkpointDir: ctx.checkpointDir,
        log: ctx.log,
      });
      return { finalLoss: result.curve.at(-1)!.loss, steps: result.steps };
    },
  };
}
