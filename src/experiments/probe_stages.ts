/**
 * The encoder analyses as cached stages (src/train/stage.ts), so a rerun is served from
 * disk: `probe-encoder` probes one frozen encoder (an E0 stage or an MLLM stage: its ViT,
 * and ViT + projector), keyed by that stage's key and the probe protocol; the metrics keep
 * every number the report and the comparisons read (per test item correctness of the linear
 * probe included) and drop the probe weights.
 * @module
 */

import type { Json, StageDef, StageOutput } from "../train/stage.ts";
import type { World } from "../world/world.ts";
import type { LabelKind } from "../data/images.ts";
import { loadProbeSource, probeEncoder } from "../eval/probes/mod.ts";
import type { LinearProbeResult, SegProbeResult } from "../eval/probes/mod.ts";
import type { SeedSummary } from "../stats/mod.ts";
import type { ProbesProtocol } from "../protocol/probes.ts";

/** The views of an encoder: the ViT alone, and ViT + projector (MLLM encoders only). */
export type View = "vit" | "projector";
/** Report order of the views. */
export const VIEWS: readonly View[] = ["vit", "projector"];

/** One linear probe, as stored. */
export interface LinearRecord {
  testTop1: number;
  nTest: number;
  majority: number;
  uniform: number;
  /** Chosen C, whether it is the grid's edge, its validation top-1. */
  c: number;
  chosenAtEdge: boolean;
  valTop1: number;
  nTrain: number;
  nVal: number;
  epochs: number;
  converged: boolean;
  /** Per test item, "1" right / "0" wrong. */
  testCorrect: string;
}

/** One segmentation probe over its probe seeds, as stored. */
export interface SegRecord {
  seeds: number[];
  macroRecall: SeedSummary;
  mIoU: SeedSummary;
  finalLoss: number[];
  epochs: number;
  steps: number;
}

/** The probes of one view. */
export interface ViewRecord {
  linear: Partial<Record<LabelKind, LinearRecord>>;
  seg: SegRecord | null;
}

/** What a `probe-encoder` stage reports. */
export interface EncoderProbeMetrics extends Record<string, unknown> {
  /** The probed stage (name and key prefix). */
  source: string;
  sourceKey: string;
  views: Partial<Record<View, ViewRecord>>;
  seconds: number;
}

function linearRecord(r: LinearProbeResult): LinearRecord {
  return {
    testTop1: r.testTop1,
    nTest: r.nTest,
    majority: r.majority,
    uniform: r.uniform,
    c: r.fit.c,
    chosenAtEdge: r.fit.chosenAtEdge,
    valTop1: r.fit.sweep[r.fit.chosen].valTop1,
    nTrain: r.fit.nTrain,
    nVal: r.fit.nVal,
    epochs: r.fit.epochs,
    converged: r.fit.converged,
    testCorrect: Array.from(r.testCorrect, (v) => (v ? "1" : "0")).join(""),
  };
}

function segRecord(r: SegProbeResult): SegRecord {
  return {
    seeds: r.seeds,
    macroRecall: r.macroRecall,
    mIoU: r.mIoU,
    finalLoss: r.finalLoss,
    epochs: r.epochs,
    steps: r.steps,
  };
}

/** Per test item correctness of a stored linear probe. */
export function correctOf(r: LinearRecord): Uint8Array {
  return Uint8Array.from(r.testCorrect, (c) => (c === "1" ? 1 : 0));
}

/** The world a probe stage reads (part of its key). */
export function worldTag(world: World): string {
  return `${world.preset.name}-seed${world.seed}`;
}

/**
 * `probe-encoder` of one finished E0 or MLLM stage: the linear probe per label set and view
 * (`linearViews`, default every view) and, when `seg`, the segmentation probe on the
 * protocol's views over the probe seeds.
 */
export function probeStage(
  model: StageOutput,
  world: World,
  p: ProbesProtocol,
  opts: { seg: boolean; linearViews?: View[] },
): StageDef<EncoderProbeMetrics> {
  const config = {
    world: worldTag(world),
    linear: p.linear,
    linearViews: opts.linearViews ?? null,
    seg: opts.seg ? p.seg : null,
    chunk: p.chunk,
  };
  return {
    name: "probe-encoder",
    config: config as unknown as Json,
    inputs: [model],
    run: async (ctx) => {
      const loaded = await loadProbeSource(model);
      try {
        const l = p.linear;
        const s = p.seg;
        const r = await probeEncoder(loaded.source, world, {
          labels: l.labels,
          valFraction: l.valFraction,
          valSeed: l.valSeed,
          n: {
            classificationTrain: l.trainItems,
            classificationTest: l.testItems,
            segTrain: s.trainItems,
            segTest: s.testItems,
          },
          linear: {
            cGrid: l.cGrid,
            maxSteps: l.maxSteps,
            checkEvery: l.checkEvery,
            batch: l.batch,
          },
          seg: opts.seg
            ? {
              hidden: s.hidden,
              epochs: s.epochs,
              batch: s.batch,
              lr: s.lr,
              minLrRatio: s.minLrRatio,
              weightDecay: s.weightDecay,
              seeds: s.seeds,
            }
            : false,
          segViews: s.views,
          linearViews: opts.linearViews,
          chunk: p.chunk,
        });
        const views: EncoderProbeMetrics["views"] = {};
        for (const [v, vr] of Object.entries(r.views)) {
          const linear: ViewRecord["linear"] = {};
          for (const [k, lr] of Object.entries(vr!.linear)) {
            linear[k as LabelKind] = linearRecord(lr!);
          }
          views[v as View] = { linear, seg: vr!.seg ? segRecord(vr!.seg) : null };
        }
        ctx.log(
          `probes ${model.name}: ` + Object.entries(views).filter(([, vr]) =>
            Object.keys(vr!.linear).length > 0 || vr!.seg
          ).map(([v, vr]) =>
            `${v} ` + Object.entries(vr!.linear).map(([k, x]) =>
              `${k} ${(100 * x!.testTop1).toFixed(1)}%`
            ).join(", ") +
            (vr!.seg ? `, seg recall ${(100 * vr!.seg.macroRecall.mean).toFixed(1)}%` : "")
          ).join("; ") + ` (${r.seconds.toFixed(1)} s)`,
        );
        return {
          source: model.name,
          sourceKey: model.key.slice(0, 16),
          views,
          seconds: r.seconds,
        };
      } finally {
        loaded.dispose();
      }
    },
  };
}
