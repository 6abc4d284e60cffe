/**
 * The committed pretraining protocol: per preset, the model sizes and the E0 (encoder) and
 * L0 (language model) hyperparameters. Fixed before any SFT-vs-DPO result exists
 * (pre-registration, DESIGN.md §3); nothing here was chosen by looking at Stage-2 outcomes.
 * See docs/PROTOCOL.md for the reasoning and how the `small` budget was derived.
 * @module
 */

import type { ViTConfig } from "../nn/vit.ts";
import type { CausalLMConfig } from "../nn/causal_lm.ts";
import { presetEntry } from "./lookup.ts";

/** Optimizer and schedule of one stage (AdamW, linear warm-up, cosine decay). */
export interface OptimSpec {
  lr: number;
  weightDecay: number;
  betas: [number, number];
  /** Global gradient-norm clip. */
  maxGradNorm: number;
  warmupFraction: number;
  minLrRatio: number;
}

/** A vision encoder: a ViT shape (the image size comes from the world preset). */
export type EncoderSpec = Omit<ViTConfig, "channels">;

/** The text tower of the contrastive pretraining (E0 owns its module). */
export interface TextTowerSpec {
  width: number;
  depth: number;
  heads: number;
  mlpRatio: number;
  /** Caption tokens (captions are cut beyond this). */
  maxTokens: number;
  /** Width of the shared image–text embedding space. */
  embedDim: number;
}

/** One E0 stage: which encoder, which objective, how long. */
export interface E0Spec {
  /** Stage name suffix and encoder id: `e0-<encoder>`. */
  encoder: "vit-s" | "vit-l" | "vit-sup";
  /** SigLIP-style sigmoid contrastive loss on captions, or supervised fine-class labels. */
  objective: "siglip" | "classification";
  /** World split it trains on. */
  split: "captions" | "classification_train";
  batch: number;
  steps: number;
  optim: OptimSpec;
  seed: number;
}

/** A causal LM shape (the vocabulary comes from the world's tokenizer). */
export type LMSpec = Omit<CausalLMConfig, "vocab">;

/** One L0 stage: LM pretraining on the world's text corpus. */
export interface L0Spec {
  /** Stage name suffix and LM id: `l0-<lm>`. */
  lm: "lm-s" | "lm-m";
  /** Rows per step; each row packs whole lines into `lm.maxLen` tokens. */
  batch: number;
  steps: number;
  optim: OptimSpec;
  /** Lines at the end of the text split kept out of training, for perplexity. */
  heldOutLines: number;
  seed: number;
}

/** Everything pretraining needs for one preset. */
export interface PretrainProtocol {
  preset: "tiny" | "small" | "paper";
  /** The world (src/world presets) and its seed. */
  world: { preset: "tiny" | "small" | "paper"; seed: number };
  encoders: Partial<Record<E0Spec["encoder"], EncoderSpec>>;
  textTower: TextTowerSpec;
  e0: E0Spec[];
  lms: Partial<Record<L0Spec["lm"], LMSpec>>;
  l0: L0Spec[];
  /** Loss readback and resumable-checkpoint intervals (steps). */
  logEvery: number;
  checkpointEvery: number;
}

const E0_OPTIM: OptimSpec = {
  lr: 1e-3,
  weightDecay: 0.05,
  betas: [0.9, 0.95],
  maxGradNorm: 1,
  warmupFraction: 0.05,
  minLrRatio: 0.1,
};

const L0_OPTIM: OptimSpec = {
  lr: 1e-3,
  weightDecay: 0.1,
  betas: [0.9, 0.95],
  maxGradNorm: 1,
  warmupFraction: 0.05,
  minLrRatio: 0.1,
};

/**
 * Sizes: the LM's position table covers the MLLM sequence (all patch tokens of the encoder
 * + up to 64 text tokens), and L0 packs rows of that full length, so every position the
 * MLLM will use is trained here.
 */
export const PROTOCOLS: Readonly<Record<PretrainProtocol["preset"], PretrainProtocol>> = {
  // Minimal: seconds of training; exercises every code path once. `vit-l` and `lm-m` are the
  // larger sizes the scaling sweeps and PIVOT's "larger, longer-pretrained encoder" row need
  // (vit-l: wider, deeper and on more samples than vit-s; a lower lr).
  tiny: {
    preset: "tiny",
    world: { preset: "tiny", seed: 0 },
    encoders: {
      "vit-s": { imageSize: 32, patch: 8, width: 32, depth: 2, heads: 2, mlpRatio: 4 },
      "vit-l": { imageSize: 32, patch: 8, width: 48, depth: 3, heads: 2, mlpRatio: 4 },
    },
    textTower: { width: 32, depth: 2, heads: 2, mlpRatio: 4, maxTokens: 32, embedDim: 32 },
    e0: [{
      encoder: "vit-s",
      objective: "siglip",
      split: "captions",
      batch: 64,
      steps: 50,
      optim: { ...E0_OPTIM, lr: 3e-3, warmupFraction: 0.1 },
      seed: 1,
    }, {
      encoder: "vit-l",
      objective: "siglip",
      split: "captions",
      batch: 64,
      steps: 60,
      optim: { ...E0_OPTIM, lr: 2e-3, warmupFraction: 0.1 },
      seed: 12,
    }],
    lms: {
      "lm-s": { maxLen: 80, width: 32, depth: 2, heads: 2, mlpRatio: 4 },
      "lm-m": { maxLen: 80, width: 48, depth: 3, heads: 2, mlpRatio: 4 },
    },
    l0: [{
      lm: "lm-s",
      batch: 32,
      steps: 40,
      optim: { ...L0_OPTIM, lr: 1e-2, warmupFraction: 0.1 },
      heldOutLines: 60,
      seed: 2,
    }, {
      lm: "lm-m",
      batch: 16,
      steps: 30,
      optim: { ...L0_OPTIM, lr: 7e-3, warmupFraction: 0.1 },
      heldOutLines: 60,
      seed: 22,
    }],
    logEvery: 10,
    checkpointEvery: 60,
  },
  // This machine (2 shared cores, lavapipe): ≤ 25 minutes for every E0 and L0 stage together.
  // Steps come from step times measured on the current engine (docs/PROTOCOL.md, "The small
  // budget", re-derived 2026-11-28 after the engine became ~3–7× faster): about one epoch of
  // the caption corpus for vit-s, two for vit-l.
  small: {
    preset: "small",
    world: { preset: "small", seed: 0 },
    encoders: {
      "vit-s": { imageSize: 64, patch: 8, width: 128, depth: 4, heads: 4, mlpRatio: 4 },
      "vit-l": { imageSize: 64, patch: 8, width: 192, depth: 6, heads: 6, mlpRatio: 4 },
      "vit-sup": { imageSize: 64, patch: 8, width: 128, depth: 4, heads: 4, mlpRatio: 4 },
    },
    textTower: { width: 128, depth: 2, heads: 4, mlpRatio: 4, maxTokens: 48, embedDim: 128 },
    e0: [
      {
        encoder: "vit-s",
        objective: "siglip",
        split: "captions",
        batch: 64,
        steps: 200,
        optim: E0_OPTIM,
        seed: 11,
      },
      {
        // The SigLIP2-g analogue: larger, and pretrained on twice the samples.
        encoder: "vit-l",
        objective: "siglip",
        split: "captions",
        batch: 64,
        steps: 400,
        optim: { ...E0_OPTIM, lr: 7e-4 },
        seed: 12,
      },
      {
        encoder: "vit-sup",
        objective: "classification",
        split: "classification_train",
        batch: 64,
        steps: 200,
        optim: E0_OPTIM,
        seed: 13,
      },
    ],
    lms: {
      "lm-s": { maxLen: 128, width: 128, depth: 4, heads: 4, mlpRatio: 4 },
      "lm-m": { maxLen: 128, width: 192, depth: 6, heads: 6, mlpRatio: 4 },
    },
    l0: [
      { lm: "lm-s", batch: 16, steps: 500, optim: L0_OPTIM, heldOutLines: 500, seed: 21 },
      {
        lm: "lm-m",
        batch: 16,
        steps: 300,
        optim: { ...L0_OPTIM, lr: 7e-4 },
        heldOutLines: 500,
        seed: 22,
      },
    ],
    logEvery: 10,
    checkpointEvery: 30,
  },
  // A real GPU: the same recipe, wider and longer (not run on this machine).
  paper: {
    preset: "paper",
    world: { preset: "paper", seed: 0 },
    encoders: {
      "vit-s": { imageSize: 128, patch: 16, width: 256, depth: 8, heads: 8, mlpRatio: 4 },
      "vit-l": { imageSize: 128, patch: 16, width: 384, depth: 12, heads: 8, mlpRatio: 4 },
      "vit-sup": { imageSize: 128, patch: 16, width: 256, depth: 8, heads: 8, mlpRatio: 4 },
    },
    textTower: { width: 256, depth: 4, heads: 8, mlpRatio: 4, maxTokens: 64, embedDim: 256 },
    e0: [
      {
        encoder: "vit-s",
        objective: "siglip",
        split: "captions",
        batch: 256,
        steps: 4000,
        optim: { ...E0_OPTIM, lr: 5e-4 },
        seed: 11,
      },
      {
        encoder: "vit-l",
        objective: "siglip",
        split: "captions",
        batch: 256,
        steps: 8000,
        optim: { ...E0_OPTIM, lr: 3e-4 },
        seed: 12,
      },
      {
        encoder: "vit-sup",
        objective: "classification",
        split: "classification_train",
        batch: 256,
        steps: 4000,
        optim: { ...E0_OPTIM, lr: 5e-4 },
        seed: 13,
      },
    ],
    lms: {
      "lm-s": { maxLen: 192, width: 256, depth: 8, heads: 8, mlpRatio: 4 },
      "lm-m": { maxLen: 192, width: 512, depth: 12, heads: 8, mlpRatio: 4 },
    },
    l0: [
      {
        lm: "lm-s",
        batch: 64,
        steps: 6000,
        optim: { ...L0_OPTIM, lr: 6e-4 },
        heldOutLines: 5000,
        seed: 21,
      },
      {
        lm: "lm-m",
        batch: 64,
        steps: 6000,
        optim: { ...L0_OPTIM, lr: 3e-4 },
        heldOutLines: 5000,
        seed: 22,
      },
    ],
    logEvery: 50,
    checkpointEvery: 500,
  },
};

/** A preset's protocol by name, with a clear error for an unknown one. */
export function pretrainProtocol(name: string): PretrainProtocol {
  return presetEntry<PretrainProtocol>(PROTOCOLS, name);
}
