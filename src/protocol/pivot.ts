/**
 * The committed PIVOT protocol (the paper's F6, its Table 2): per preset, which encoders are
 * evolved with which Stage-2 arm, Stage 3 (the evaluation of a detached, frozen encoder in a
 * fresh MLLM: 3a projector only on captions, 3b projector + LM on the instruction mix), its
 * seeds, the ablations and the evaluation. Fixed before any PIVOT outcome existed; the
 * Stage-2 learning rate of the evolve runs is the SFT-vs-DPO experiment's selected lr when
 * the caller hands it over, else `fallbackLr` below (chosen by a rule, without outcomes).
 * docs/PROTOCOL.md ("PIVOT") gives the derivation of every number and the `small` budget.
 * @module
 */

import type { OptimSpec } from "./presets.ts";
import type { Stage1Spec } from "./posttrain.ts";
import { presetEntry } from "./lookup.ts";

/** An encoder family of the table (an E0 stage `e0-<encoder>`). */
export type EncoderId = "vit-s" | "vit-l" | "vit-sup";
/** A row's encoder: as pretrained (E0), or evolved by 1a → 1b → Stage 2 (SFT or DPO). */
export type Variant = "original" | "sft" | "pivot";

/** One encoder family and the variants of it the table shows. */
export interface EncoderRows {
  encoder: EncoderId;
  variants: Variant[];
}

/** Stage 3b: projector + LM; in the unfrozen ablation the ViT trains at lr · this ratio. */
export interface Stage3bSpec extends Stage1Spec {
  unfrozenVitLrRatio: number;
}

/** Everything PIVOT needs for one preset. */
export interface PivotProtocol {
  preset: "tiny" | "small" | "paper";
  /** Table rows: the families and variants (frozen encoder, fresh projector, fresh L0). */
  rows: EncoderRows[];
  /** The small encoder (the paper's SigLIP2-So) and the larger, longer-pretrained one. */
  small: EncoderId;
  larger: EncoderId | null;
  /** Seed of the evolve runs (1a, 1b, Stage 2): one evolved encoder per family and arm. */
  evolveSeed: number;
  /** Stage-2 lr of the evolve runs when no selected lr is handed over, and why. */
  fallbackLr: { sft: number; dpo: number; rule: string };
  /** Stage 3 (every row, every seed): 3a projector only, 3b projector + LM. */
  stage3a: Stage1Spec;
  stage3b: Stage3bSpec;
  /** Stage-3 seeds (projector init and data order); every row runs every seed (≥ 3). */
  seeds: number[];
  /** Ablations on `small`'s encoder: the ViT also trains in 3b; 3a reuses PIVOT's fc1. */
  ablations: { unfrozen: Variant[]; reusedProjector: boolean };
  /** Test questions per group (the first N of each `test_<group>`; null: all) and decoding. */
  vqa: { perGroup: number | null; batch: number; maxNew: number };
}

const BETAS: [number, number] = [0.9, 0.95];
/** The Stage-1 optimizer of the post-training protocol (LLaVA: no decay, clip 1, cosine). */
const S1: Omit<OptimSpec, "lr" | "warmupFraction"> = {
  weightDecay: 0,
  betas: BETAS,
  maxGradNorm: 1,
  minLrRatio: 0.1,
};

/**
 * The fallback Stage-2 lrs: the post-training grid's values nearest to the paper's ratios to
 * its 1b lr (SFT 5e-6 = 1b/2 → grid 1b/3; DPO 1e-6 = 1b/10 → grid 1b/10). Grid values, so
 * the evolve runs of the SFT-vs-DPO experiment's encoder are that sweep's own (cached) runs.
 */
function paperRatioLr(lr1b: number) {
  return {
    sft: lr1b / 3,
    dpo: lr1b / 10,
    rule: "post-training grid values nearest the paper's SFT = 1b lr / 2, DPO = 1b lr / 10",
  };
}

export const PIVOT_PROTOCOLS: Readonly<Record<PivotProtocol["preset"], PivotProtocol>> = {
  // Tests: every code path (the larger encoder's original row too); tiny PIVOT in ~1.5 minutes.
  tiny: {
    preset: "tiny",
    rows: [
      { encoder: "vit-s", variants: ["original", "sft", "pivot"] },
      { encoder: "vit-l", variants: ["original"] },
    ],
    small: "vit-s",
    larger: "vit-l",
    evolveSeed: 1,
    fallbackLr: paperRatioLr(3e-3),
    stage3a: { batch: 16, steps: 6, optim: { ...S1, lr: 1e-2, warmupFraction: 0.1 } },
    stage3b: {
      batch: 16,
      steps: 16,
      unfrozenVitLrRatio: 0.2,
      optim: { ...S1, lr: 3e-3, warmupFraction: 0.1 },
    },
    seeds: [1, 2, 3],
    ablations: { unfrozen: ["original", "pivot"], reusedProjector: true },
    vqa: { perGroup: 40, batch: 128, maxNew: 24 },
  },
  // This machine: ≤ 60 minutes at ≥ 20 GFLOP per wall second (docs/PROTOCOL.md, "PIVOT").
  // Since calibration 6 the SFT-vs-DPO MLLM runs `vit-l`, so vit-l's +PIVOT evolve run is that
  // experiment's own (cached) and vit-l gets its +PIVOT row; vit-s and vit-sup evolve here.
  small: {
    preset: "small",
    rows: [
      { encoder: "vit-s", variants: ["original", "sft", "pivot"] },
      { encoder: "vit-l", variants: ["original", "pivot"] },
      { encoder: "vit-sup", variants: ["original", "pivot"] },
    ],
    small: "vit-s",
    larger: "vit-l",
    evolveSeed: 1,
    fallbackLr: paperRatioLr(1e-3),
    stage3a: { batch: 16, steps: 20, optim: { ...S1, lr: 1e-3, warmupFraction: 0.1 } },
    stage3b: {
      batch: 16,
      steps: 60,
      unfrozenVitLrRatio: 0.2,
      optim: { ...S1, lr: 1e-3, warmupFraction: 0.05 },
    },
    seeds: [1, 2, 3],
    ablations: { unfrozen: ["original", "pivot"], reusedProjector: true },
    vqa: { perGroup: 200, batch: 128, maxNew: 32 },
  },
  // A real GPU: Stage 3 as long as Stage 1 (the paper's evaluation recipe is its Stage 1),
  // every family evolved, 5 seeds, the whole test splits.
  paper: {
    preset: "paper",
    rows: [
      { encoder: "vit-s", variants: ["original", "sft", "pivot"] },
      { encoder: "vit-l", variants: ["original", "pivot"] },
      { encoder: "vit-sup", variants: ["original", "pivot"] },
    ],
    small: "vit-s",
    larger: "vit-l",
    evolveSeed: 1,
    fallbackLr: paperRatioLr(2e-4),
    stage3a: { batch: 64, steps: 1500, optim: { ...S1, lr: 1e-3, warmupFraction: 0.03 } },
    stage3b: {
      batch: 64,
      steps: 3000,
      unfrozenVitLrRatio: 0.2,
      optim: { ...S1, lr: 2e-4, warmupFraction: 0.03 },
    },
    seeds: [1, 2, 3, 4, 5],
    ablations: { unfrozen: ["original", "pivot"], reusedProjector: true },
    vqa: { perGroup: null, batch: 128, maxNew: 48 },
  },
};

/** A preset's PIVOT protocol by name, with a clear error for an unknown one. */
export function pivotProtocol(name: string): PivotProtocol {
  return presetEntry<PivotProtocol>(PIVOT_PROTOCOLS, name);
}
