/**
 * The patch-segmentation probe (the paper's ADE20K probe): the encoder is frozen, and a
 * 2-layer MLP (Linear → GELU → Linear, hidden width = the token width unless set) maps each
 * patch token to K class logits, trained with a multi-label BCE per patch — a patch is
 * positive for every class with at least `minPixels` pixels in it (`patchLabels`). AdamW,
 * lr 1e-3 cosine-decayed to 1e-4, a few epochs (default 5), several probe seeds (default
 * 6, as the paper; each seed draws the MLP init and the minibatch order).
 *
 * A patch is predicted positive for class c when its logit is > 0 (p > ½). Metrics over
 * all test patches, with classes in `ignoreClasses` left out (default: background, 0):
 *
 * - patch-level macro recall (the paper's): mean over classes with at least one positive
 *   test patch of TP_c / (TP_c + FN_c);
 * - mIoU: mean over classes whose union TP + FP + FN is non-empty of TP_c / (TP_c + FP_c +
 *   FN_c) (a class predicted but absent counts, with IoU 0).
 *
 * Per seed, then mean, sd and 95% t-interval across seeds (`summarize`).
 * @module
 */

import { noGrad, type Tensor, tensor } from "../../tensor/tensor.ts";
import { tidy } from "../../tensor/scope.ts";
import { backward } from "../../tensor/autograd.ts";
import { flush } from "../../gpu/batch.ts";
import { add, mul, sub } from "../../tensor/ops/binary.ts";
import { meanAll } from "../../tensor/ops/reduce.ts";
import { scale, softplus } from "../../tensor/ops/unary.ts";
import { MLP } from "../../nn/layers.ts";
import { AdamW, decayGroups } from "../../nn/adamw.ts";
import { cosineWarmup } from "../../nn/schedule.ts";
import { Rng } from "../../tensor/random.ts";
import { NUM_CLASSES } from "../../world/catalog.ts";
import { patchLabels } from "../../world/labels.ts";
import { splitClassMask } from "../../world/world.ts";
import type { SplitData } from "../../world/splits.ts";
import { type SeedSummary, summarize } from "../../stats/summary.ts";
import type { FeatureSet } from "./features.ts";

/** Patch tokens of n images: x [n, tokens, d] row-major. */
export interface PatchData {
  x: Float32Array;
  n: number;
  tokens: number;
  d: number;
}

/** Multi-hot patch labels [n, tokens, classes] (1 = the class is in the patch). */
export interface PatchLabels {
  labels: Uint8Array;
  n: number;
  tokens: number;
  classes: number;
}

/** One view of patch features: the ViT alone, or ViT + projector. */
export function patchData(set: FeatureSet, view: "vit" | "projector" = "vit"): PatchData {
  const x = view === "vit" ? set.vit : set.projector;
  if (!x) throw new Error("patchData: these features have no projector view");
  return { x, n: set.n, tokens: set.tokens, d: view === "vit" ? set.dVit : set.dProjector };
}

/**
 * Patch labels of split items (the first `n`, or `indices`) for patches of `patch` pixels:
 * `patchLabels` of each class mask, every class of the world (`NUM_CLASSES`).
 */
export function segmentationLabels(
  split: SplitData,
  patch: number,
  opts: { n?: number; indices?: ArrayLike<number>; minPixels?: number } = {},
): PatchLabels {
  const items = opts.indices
    ? Array.from(opts.indices)
    : Array.from({ length: Math.min(opts.n ?? split.count, split.count) }, (_, i) => i);
  const size = split.imageSize;
  const tokens = (size / patch) ** 2;
  const labels = new Uint8Array(items.length * tokens * NUM_CLASSES);
  items.forEach((i, k) => {
    labels.set(
      patchLabels(splitClassMask(split, i), size, patch, opts.minPixels ?? 1),
      k * tokens * NUM_CLASSES,
    );
  });
  return { labels, n: items.length, tokens, classes: NUM_CLASSES };
}

/** Macro recall and mIoU of predictions against labels (both [patches, classes] 0/1). */
export interface SegMetrics {
  macroRecall: number;
  mIoU: number;
  /** Classes averaged in the recall (≥ 1 positive patch) and in the IoU (non-empty union). */
  recallClasses: number;
  iouClasses: number;
  /** Per class (NaN where not counted). */
  recall: number[];
  iou: number[];
}

/**
 * Patch-level macro recall and mIoU (definitions in the module comment) of 0/1 predictions
 * against 0/1 labels, both row-major [patches, classes].
 */
export function segmentationMetrics(
  pred: ArrayLike<number>,
  truth: ArrayLike<number>,
  classes: number,
  ignoreClasses: readonly number[] = [0],
): SegMetrics {
  if (pred.length !== truth.length || truth.length % classes !== 0) {
    throw new Error(`segmentationMetrics: ${pred.length} predictions, ${truth.length} labels`);
  }
  const tp = new Float64Array(classes);
  const fp = new Float64Array(classes);
  const fn = new Float64Array(classes);
  for (let i = 0; i < truth.length; i++) {
    const c = i % classes;
    const [p, t] = [pred[i] ? 1 : 0, truth[i] ? 1 : 0];
    if (p && t) tp[c]++;
    else if (p) fp[c]++;
    else if (t) fn[c]++;
  }
  const recall: number[] = [];
  const iou: number[] = [];
  for (let c = 0; c < classes; c++) {
    const ignored = ignoreClasses.includes(c);
    const pos = tp[c] + fn[c];
    const union = tp[c] + fp[c] + fn[c];
    recall.push(!ignored && pos > 0 ? tp[c] / pos : NaN);
    iou.push(!ignored && union > 0 ? tp[c] / union : NaN);
  }
  const avg = (xs: number[]) => {
    const v = xs.filter((x) => !Number.isNaN(x));
    return { mean: v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN, count: v.length };
  };
  const r = avg(recall);
  const u = avg(iou);
  return {
    macroRecall: r.mean,
    mIoU: u.mean,
    recallClasses: r.count,
    iouClasses: u.count,
    recall,
    iou,
  };
}

/** Options of the segmentation probe. */
export interface SegProbeOptions {
  /** Hidden width of the MLP (default: the token width). */
  hidden?: number;
  /** Epochs over the training images (default 5). */
  epochs?: number;
  /** Images per step (default 32; all their patches form the batch). */
  batch?: number;
  /** Peak lr (default 1e-3), cosine-decayed to `lr · minLrRatio` (default 0.1 → 1e-4). */
  lr?: number;
  minLrRatio?: number;
  /** AdamW decoupled weight decay on the MLP matrices (default 0.01). */
  weightDecay?: number;
  /** Probe seeds (default 0 … 5: six, as the paper). */
  seeds?: readonly number[];
  /** Classes left out of the metrics (default [0], the background). */
  ignoreClasses?: readonly number[];
}

/** The probe's result: per-seed metrics and their summaries. */
export interface SegProbeResult {
  seeds: number[];
  perSeed: SegMetrics[];
  macroRecall: SeedSummary;
  mIoU: SeedSummary;
  /** Final training loss per seed (mean BCE of the last epoch). */
  finalLoss: number[];
  epochs: number;
  steps: number;
  seconds: number;
}

function checkPair(x: PatchData, y: PatchLabels, name: string): void {
  if (x.n !== y.n || x.tokens !== y.tokens || x.x.length !== x.n * x.tokens * x.d) {
    throw new Error(
      `segmentation probe: ${name} features [${x.n}, ${x.tokens}, ${x.d}] do not match ` +
        `labels [${y.n}, ${y.tokens}, ${y.classes}]`,
    );
  }
}

/** Features and f32 labels of some images as [rows, d] and [rows, classes] tensors. */
function rowsOf(x: PatchData, y: PatchLabels | null, images: ArrayLike<number>) {
  const per = x.tokens * x.d;
  const xs = new Float32Array(images.length * per);
  for (let k = 0; k < images.length; k++) {
    xs.set(x.x.subarray(images[k] * per, (images[k] + 1) * per), k * per);
  }
  const rows = images.length * x.tokens;
  let ys: Tensor | null = null;
  if (y) {
    const pc = y.tokens * y.classes;
    const yv = new Float32Array(images.length * pc);
    for (let k = 0; k < images.length; k++) {
      const src = y.labels.subarray(images[k] * pc, (images[k] + 1) * pc);
      for (let j = 0; j < pc; j++) yv[k * pc + j] = src[j];
    }
    ys = tensor(yv, [rows, y.classes]);
  }
  return { x: tensor(xs, [rows, x.d]), y: ys };
}

/** Mean BCE with logits over every (patch, class): softplus(z) − y·z. */
function bce(z: Tensor, y: Tensor): Tensor {
  return meanAll(sub(softplus(z), mul(y, z)));
}

/** Trains one probe (one seed) and returns its 0/1 test predictions and final loss. */
async function fitOne(
  train: PatchData,
  trainY: PatchLabels,
  test: PatchData,
  seed: number,
  opts: SegProbeOptions,
): Promise<{ pred: Uint8Array; finalLoss: number; steps: number }> {
  const k = trainY.classes;
  const rng = new Rng(seed);
  const mlp = new MLP(train.d, opts.hidden ?? train.d, k, rng).nameParameters();
  const lr = opts.lr ?? 1e-3;
  const opt = new AdamW(
    decayGroups(mlp.parameters(), { lr, weightDecay: opts.weightDecay ?? 0.01 }),
  );
  const epochs = opts.epochs ?? 5;
  const batch = Math.min(opts.batch ?? 32, train.n);
  const perEpoch = Math.ceil(train.n / batch);
  const total = epochs * perEpoch;
  const order = new Rng(seed ^ 0x0dd5eed);
  let epochLoss: Tensor | null = null;
  try {
    let step = 0;
    for (let e = 0; e < epochs; e++) {
      const perm = Int32Array.from({ length: train.n }, (_, i) => i);
      for (let i = train.n - 1; i > 0; i--) {
        const j = order.int(i + 1);
        [perm[i], perm[j]] = [perm[j], perm[i]];
      }
      epochLoss?.dispose();
      epochLoss = null;
      for (let q = 0; q < perEpoch; q++, step++) {
        const images = perm.subarray(q * batch, Math.min(train.n, (q + 1) * batch));
        const next: Tensor = tidy(() => {
          const { x, y } = rowsOf(train, trainY, images);
          const loss = bce(mlp.forward(x), y!);
          backward(loss);
          return noGrad(() => {
            opt.step(cosineWarmup(step, { totalSteps: total, minLrRatio: opts.minLrRatio ?? 0.1 }));
            const part = scale(loss, 1 / perEpoch);
            return epochLoss ? add(epochLoss, part) : part;
          });
        });
        epochLoss?.dispose();
        epochLoss = next;
        opt.zeroGrad();
      }
      flush();
    }
    const finalLoss = await epochLoss!.item();
    // Test predictions, chunk by chunk.
    const pred = new Uint8Array(test.n * test.tokens * k);
    const chunk = 64;
    for (let s = 0; s < test.n; s += chunk) {
      const images = Int32Array.from({ length: Math.min(chunk, test.n - s) }, (_, i) => s + i);
      const z = tidy(() => noGrad(() => mlp.forward(rowsOf(test, null, images).x)));
      const v = await z.data();
      z.dispose();
      for (let j = 0; j < v.length; j++) pred[s * test.tokens * k + j] = v[j] > 0 ? 1 : 0;
    }
    return { pred, finalLoss, steps: step };
  } finally {
    epochLoss?.dispose();
    opt.dispose();
    mlp.dispose();
  }
}

/**
 * The patch-segmentation probe on frozen patch features: one MLP per seed trained on
 * (`train`, `trainLabels`), scored on (`test`, `testLabels`).
 */
export async function segmentationProbe(
  train: PatchData,
  trainLabels: PatchLabels,
  test: PatchData,
  testLabels: PatchLabels,
  opts: SegProbeOptions = {},
): Promise<SegProbeResult> {
  checkPair(train, trainLabels, "train");
  checkPair(test, testLabels, "test");
  if (train.d !== test.d || trainLabels.classes !== testLabels.classes) {
    throw new Error("segmentation probe: train and test differ in width or classes");
  }
  const started = performance.now();
  const seeds = [...(opts.seeds ?? [0, 1, 2, 3, 4, 5])];
  const perSeed: SegMetrics[] = [];
  const finalLoss: number[] = [];
  let steps = 0;
  for (const seed of seeds) {
    const r = await fitOne(train, trainLabels, test, seed, opts);
    perSeed.push(
      segmentationMetrics(r.pred, testLabels.labels, testLabels.classes, opts.ignoreClasses ?? [0]),
    );
    finalLoss.push(r.finalLoss);
    steps = r.steps;
  }
  return {
    seeds,
    perSeed,
    macroRecall: summarize(perSeed.map((m) => m.macroRecall)),
    mIoU: summarize(perSeed.map((m) => m.mIoU)),
    finalLoss,
    epochs: opts.epochs ?? 5,
    steps,
    seconds: (performance.now() - started) / 1000,
  };
}
