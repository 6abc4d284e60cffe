/**
 * The tiny models and fixed batches shared by the whole-step, determinism and leak tests:
 * small enough for central differences of every parameter in float64, and tasks a few
 * AdamW steps can learn.
 */

import { ViTClassifier, type ViTClassifierConfig } from "../../src/nn/vit.ts";
import { CausalLM, type CausalLMConfig } from "../../src/nn/causal_lm.ts";
import type { Module } from "../../src/nn/module.ts";
import { AdamW, decayGroups } from "../../src/nn/adamw.ts";
import { noGrad, type Tensor, tensor } from "../../src/tensor/tensor.ts";
import { concat, reshape } from "../../src/tensor/ops/shape_ops.ts";
import { keep, tidy } from "../../src/tensor/scope.ts";
import { backward } from "../../src/tensor/autograd.ts";
import { flush } from "../../src/gpu/batch.ts";
import { Rng } from "../../src/tensor/random.ts";

/** 16×16 RGB images, patch 4 (16 tokens), width 16, 2 heads, depth 2, 3 classes. */
export const TINY_VIT: ViTClassifierConfig = {
  imageSize: 16,
  patch: 4,
  channels: 3,
  width: 16,
  depth: 2,
  heads: 2,
  mlpRatio: 2,
  classes: 3,
};

/** Vocabulary 11, 6 tokens (+ room for a 3-token prefix), width 8, 2 heads, depth 2. */
export const TINY_LM: CausalLMConfig = {
  vocab: 11,
  maxLen: 10,
  width: 8,
  depth: 2,
  heads: 2,
  mlpRatio: 2,
};

/**
 * Overwrites every parameter with values of a trained-looking scale, so every gradient is
 * far above float32 noise: matrices N(0, 1/fan_in), LayerNorm gains 1 + N(0, 0.2²),
 * biases, positions and embeddings N(0, 0.3²).
 */
export function randomizeForCheck(m: Module, rng: Rng): void {
  for (const [name, p] of m.namedParameters()) {
    let v: Float32Array;
    if (name.endsWith("norm.weight") || /ln\d\.weight$/.test(name)) {
      v = rng.normals(p.size, 0.2).map((x) => 1 + x);
    } else if (p.rank === 2 && name.endsWith(".weight") && !name.includes("embed.weight")) {
      v = rng.normals(p.size, 1 / Math.sqrt(p.shape[0]));
    } else {
      v = rng.normals(p.size, 0.3);
    }
    p.write(v);
  }
}

/**
 * A learnable image batch: each image is noise plus a tint of one colour channel; the
 * label is the tinted channel (0, 1, 2).
 */
export function tintBatch(n: number, size: number, seed: number): {
  images: Float32Array;
  labels: Int32Array;
} {
  const rng = new Rng(seed);
  const images = new Float32Array(n * size * size * 3);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % 3;
    for (let px = 0; px < size * size; px++) {
      for (let c = 0; c < 3; c++) {
        images[(i * size * size + px) * 3 + c] = rng.uniform() * 0.5 +
          (c === labels[i] ? 0.5 : 0);
      }
    }
  }
  return { images, labels };
}

/**
 * A learnable token batch: each row counts up by a row-specific stride modulo the
 * vocabulary; targets are the ids shifted left, the last one ignored (−100).
 */
export function countingBatch(b: number, t: number, vocab: number, seed: number): {
  ids: Int32Array;
  targets: Int32Array;
} {
  const rng = new Rng(seed);
  const ids = new Int32Array(b * t);
  const targets = new Int32Array(b * t);
  for (let r = 0; r < b; r++) {
    const start = rng.int(vocab);
    const stride = 1 + (r % 3);
    for (let s = 0; s < t; s++) ids[r * t + s] = (start + s * stride) % vocab;
    for (let s = 0; s < t; s++) targets[r * t + s] = s + 1 < t ? ids[r * t + s + 1] : -100;
  }
  return { ids, targets };
}

/** Drops a loss's tape (its node would pin the step's graph in JS memory) and keeps it. */
function detach(l: Tensor): Tensor {
  l.node = null;
  l.requiresGrad = false;
  return keep(l);
}

/** A training step on a fixed batch: forward, backward, AdamW; returns the loss tensor. */
export type StepFn = (step: number) => Tensor;

/**
 * Builds a ViT classifier (seeded init), AdamW and a step function on a fixed tint batch.
 * Each step runs in `tidy`, keeps its scalar loss (caller disposes), drops the gradients
 * and submits the batch (no readback).
 */
export function vitTrainer(
  opts: { seed: number; batch: number; lr?: number; dropout?: number },
): { model: ViTClassifier; opt: AdamW; step: StepFn; dispose: () => void } {
  const model = new ViTClassifier({ ...TINY_VIT, dropout: opts.dropout ?? 0 }, new Rng(opts.seed));
  const opt = new AdamW(
    decayGroups(model.parameters(), { lr: opts.lr ?? 3e-3, weightDecay: 0.01 }),
    { maxGradNorm: 1 },
  );
  const data = tintBatch(opts.batch, TINY_VIT.imageSize, opts.seed + 100);
  const images = keep(tensor(data.images, [opts.batch, 16, 16, 3]));
  const labels = keep(tensor(data.labels, [opts.batch], "i32"));
  const step: StepFn = (k) => {
    const loss = tidy(() => {
      const l = model.loss(images, labels, { seed: k });
      backward(l);
      opt.step();
      return detach(l);
    });
    opt.zeroGrad();
    flush();
    return loss;
  };
  const dispose = () => {
    model.dispose();
    opt.dispose();
    images.dispose();
    labels.dispose();
  };
  return { model, opt, step, dispose };
}

/** Builds a causal LM, AdamW and a step function on a fixed counting batch (see vitTrainer). */
export function lmTrainer(
  opts: { seed: number; batch: number; tokens: number; lr?: number; dropout?: number },
): { model: CausalLM; opt: AdamW; step: StepFn; dispose: () => void } {
  const model = new CausalLM({ ...TINY_LM, dropout: opts.dropout ?? 0 }, new Rng(opts.seed));
  const opt = new AdamW(
    decayGroups(model.parameters(), { lr: opts.lr ?? 1e-2, weightDecay: 0.01 }),
    { maxGradNorm: 1 },
  );
  const data = countingBatch(opts.batch, opts.tokens, TINY_LM.vocab, opts.seed + 100);
  const ids = keep(tensor(data.ids, [opts.batch, opts.tokens], "i32"));
  const targets = keep(tensor(data.targets, [opts.batch, opts.tokens], "i32"));
  const step: StepFn = (k) => {
    const loss = tidy(() => {
      const l = model.loss(ids, targets, { seed: k });
      backward(l);
      opt.step();
      return detach(l);
    });
    opt.zeroGrad();
    flush();
    return loss;
  };
  const dispose = () => {
    model.dispose();
    opt.dispose();
    ids.dispose();
    targets.dispose();
  };
  return { model, opt, step, dispose };
}

/** Reads scalar losses in one readback (call once at the end) and disposes them. */
export async function readLosses(losses: Tensor[]): Promise<Float32Array> {
  const all = noGrad(() => tidy(() => concat(losses.map((l) => reshape(l, [1])), 0)));
  const out = await all.data();
  all.dispose();
  for (const l of losses) l.dispose();
  return out;
}
