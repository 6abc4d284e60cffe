/**
 * Encoder analyses on detached, frozen encoders (issue 6): features, the linear probe, the
 * patch-segmentation probe and gradient maps, plus the entry points the sweeps call with
 * stage outputs:
 *
 * - `loadProbeSource(stage)`: the frozen encoder of an E0 stage (ViT alone) or of an MLLM
 *   stage (ViT + projector), with its dispose;
 * - `probeEncoder(source, world, opts)`: the linear probe per label kind (fine, count,
 *   position) and view (ViT, ViT + projector), C chosen on a seeded validation part of
 *   `classification_train`, top-1 on `classification_test`; and the segmentation probe per
 *   view on `segmentation_train` → `segmentation_test`, over the probe seeds.
 * @module
 */

import { join } from "node:path";
import type { StageOutput } from "../../train/stage.ts";
import { loadEncoder } from "../../train/e0/stages.ts";
import { loadMLLM } from "../../train/mllm/stages.ts";
import type { World } from "../../world/world.ts";
import { CLASSIFICATION_CLASSES } from "../../world/labels.ts";
import { classificationLabels, type LabelKind } from "../../data/images.ts";
import {
  encoderSource,
  type FeatureSet,
  type FeatureSource,
  mllmSource,
  pooledFeatures,
} from "./features.ts";
import { patchFeatures } from "./features.ts";
import {
  holdOut,
  linearProbe,
  type LinearProbeOptions,
  type LinearProbeResult,
  subset,
} from "./linear.ts";
import {
  patchData,
  segmentationLabels,
  segmentationProbe,
  type SegProbeOptions,
  type SegProbeResult,
} from "./segmentation.ts";

export * from "./features.ts";
export * from "./linear.ts";
export * from "./segmentation.ts";
export * from "./gradmaps.ts";

/** A frozen encoder loaded from a stage, and how to release it. */
export interface LoadedSource {
  source: FeatureSource;
  dispose(): void;
}

/**
 * The encoder of a finished stage: an E0 stage (`e0-*`: its `encoder/` ViT, read at the
 * penultimate layer) or an MLLM stage (`mllm-*`: its ViT at the vision layer and its
 * projector). Parameters are frozen.
 */
export async function loadProbeSource(stage: StageOutput): Promise<LoadedSource> {
  if (stage.name.startsWith("e0-")) {
    const { vit } = await loadEncoder(stage);
    vit.freeze().eval();
    return { source: encoderSource(vit, stage.name), dispose: () => vit.dispose() };
  }
  if (stage.name.startsWith("mllm-")) {
    const model = await loadMLLM(stage);
    model.freeze().eval();
    return { source: mllmSource(model, stage.name), dispose: () => model.dispose() };
  }
  throw new Error(`loadProbeSource: ${stage.name} (${join(stage.dir)}) is not an E0 or MLLM stage`);
}

/** What `probeEncoder` runs. */
export interface EncoderProbeOptions {
  /** Label kinds of the linear probe (default all three). */
  labels?: readonly LabelKind[];
  /** Validation share of `classification_train` (default 0.2) and its seed (default 0). */
  valFraction?: number;
  valSeed?: number;
  /** Caps on the items used (default: whole splits). */
  n?: {
    classificationTrain?: number;
    classificationTest?: number;
    segTrain?: number;
    segTest?: number;
  };
  linear?: LinearProbeOptions;
  /** Segmentation probe options, or false to skip it. */
  seg?: SegProbeOptions | false;
  /** Views the linear probe runs on (default every view of the source). */
  linearViews?: readonly ("vit" | "projector")[];
  /** Views the segmentation probe runs on (default every view of the source). */
  segViews?: readonly ("vit" | "projector")[];
  /** Referent pixels for a patch label (default 1). */
  minPixels?: number;
  /** Images per forward when extracting features (default 64). */
  chunk?: number;
}

/** One view's probe results. */
export interface ViewProbes {
  linear: Partial<Record<LabelKind, LinearProbeResult>>;
  seg: SegProbeResult | null;
}

/** Probe results of one encoder: per view ("vit", and "projector" for an MLLM). */
export interface EncoderProbeReport {
  source: string;
  views: Partial<Record<"vit" | "projector", ViewProbes>>;
  seconds: number;
}

function view(set: FeatureSet, which: "vit" | "projector") {
  const x = which === "vit" ? set.vit : set.projector!;
  return { x, d: which === "vit" ? set.dVit : set.dProjector };
}

/** The linear and segmentation probes of one frozen encoder on `world`'s probe splits. */
export async function probeEncoder(
  source: FeatureSource,
  world: World,
  opts: EncoderProbeOptions = {},
): Promise<EncoderProbeReport> {
  const started = performance.now();
  const kinds = opts.labels ?? (["fine", "count", "position"] as const);
  const views: ("vit" | "projector")[] = source.projector ? ["vit", "projector"] : ["vit"];
  const report: EncoderProbeReport = { source: source.name ?? "", views: {}, seconds: 0 };
  for (const v of views) report.views[v] = { linear: {}, seg: null };

  const trainSplit = await world.split("classification_train");
  const testSplit = await world.split("classification_test");
  const chunk = opts.chunk ?? 64;
  const trainSet = await pooledFeatures(source, trainSplit, {
    n: opts.n?.classificationTrain,
    chunk,
  });
  const testSet = await pooledFeatures(source, testSplit, { n: opts.n?.classificationTest, chunk });
  const parts = holdOut(trainSet.n, opts.valFraction ?? 0.2, opts.valSeed ?? 0);
  for (const kind of kinds) {
    const yTrain = classificationLabels(trainSplit, kind).subarray(0, trainSet.n);
    const yTest = classificationLabels(testSplit, kind).subarray(0, testSet.n);
    for (const v of views.filter((x) => !opts.linearViews || opts.linearViews.includes(x))) {
      const tr = view(trainSet, v);
      const te = view(testSet, v);
      const all = { x: tr.x, y: yTrain, n: trainSet.n, d: tr.d };
      report.views[v]!.linear[kind] = await linearProbe(
        subset(all, parts.train),
        subset(all, parts.val),
        { x: te.x, y: yTest, n: testSet.n, d: te.d },
        CLASSIFICATION_CLASSES[kind],
        opts.linear,
      );
    }
  }

  if (opts.seg !== false) {
    const segTrain = await world.split("segmentation_train");
    const segTest = await world.split("segmentation_test");
    const patch = source.vit.config.patch;
    const ftr = await patchFeatures(source, segTrain, { n: opts.n?.segTrain, chunk });
    const fte = await patchFeatures(source, segTest, { n: opts.n?.segTest, chunk });
    const ltr = segmentationLabels(segTrain, patch, { n: ftr.n, minPixels: opts.minPixels });
    const lte = segmentationLabels(segTest, patch, { n: fte.n, minPixels: opts.minPixels });
    for (const v of views.filter((x) => !opts.segViews || opts.segViews.includes(x))) {
      report.views[v]!.seg = await segmentationProbe(
        patchData(ftr, v),
        ltr,
        patchData(fte, v),
        lte,
        opts.seg ?? {},
      );
    }
  }
  report.seconds = (performance.now() - started) / 1000;
  return report;
}
