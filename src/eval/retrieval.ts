/**
 * Zero-shot checks of the E0 encoders.
 *
 * Image–text retrieval: N held-out images and their N full captions are embedded (GPU, in
 * chunks, no gradients), the N×N cosine similarities are one GPU matmul, and each image
 * ranks the N captions (image→text) and each caption the N images (text→image). Two scenes
 * can have the same full caption (e.g. one red circle at different places); a caption whose
 * text equals the right one counts as right, and chance is computed with the same rule:
 * for an item whose text is shared by m of the N, P(top-k hits) = 1 − C(N−m, k)/C(N, k),
 * averaged over items (= k/N when every caption is unique).
 *
 * Classification: top-1 of a classifier on a labelled split vs the majority-class rate
 * (always answering the training set's most frequent class).
 * @module
 */

import { noGrad, type Tensor } from "../tensor/tensor.ts";
import { flush } from "../gpu/batch.ts";
import { tidy } from "../tensor/scope.ts";
import { concat } from "../tensor/ops/shape_ops.ts";
import { matmul } from "../tensor/ops/matmul.ts";
import { l2Normalize } from "../train/losses/siglip.ts";
import type { SplitData } from "../world/splits.ts";
import { imageTensor } from "../data/images.ts";
import { textTensors, type TokenTable } from "../data/text.ts";

/** Top-1 and top-5 accuracy (fractions in [0, 1]). */
export interface TopK {
  top1: number;
  top5: number;
}

/** The result of a retrieval check. */
export interface RetrievalResult {
  /** Images (= captions) ranked against each other. */
  n: number;
  imageToText: TopK;
  textToImage: TopK;
  /** Expected accuracy of a random ranking under the same duplicate rule. */
  chance: TopK;
  /** Captions whose text also belongs to another of the N scenes. */
  sharedCaptions: number;
}

/** What retrieval needs from a contrastive model. */
export interface ContrastiveEncoder {
  embedImages(images: Tensor): Tensor;
  embedTexts(ids: Tensor, lengths: Tensor): Tensor;
}

/**
 * Runs `rows` on chunks of `chunk` items and concatenates the outputs. Each chunk runs in
 * its own scope and is submitted before the next, so only its output outlives it: memory
 * stays at one chunk's activations (all chunks in one scope reached ~14 GB for vit-l).
 */
function chunked(n: number, chunk: number, rows: (idx: Int32Array) => Tensor): Tensor {
  const parts: Tensor[] = [];
  for (let start = 0; start < n; start += chunk) {
    const idx = Int32Array.from({ length: Math.min(chunk, n - start) }, (_, k) => start + k);
    parts.push(tidy(() => rows(idx)));
    flush();
  }
  return parts.length === 1 ? parts[0] : concat(parts, 0);
}

/** L2-normalised embeddings [N, D] of N items, in chunks. */
function embedAll(n: number, chunk: number, embed: (idx: Int32Array) => Tensor): Tensor {
  return chunked(n, chunk, (idx) => l2Normalize(embed(idx)));
}

/** P(at least one of m right items in the top k of a random order of n). */
function chanceTopK(n: number, m: number, k: number): number {
  if (k >= n || m + k > n) return 1;
  if (m === 1) return k / n; // exact, and the common case
  // 1 − C(n−m, k) / C(n, k) = 1 − Π_{i<k} (n−m−i) / (n−i)
  let miss = 1;
  for (let i = 0; i < k; i++) miss *= (n - m - i) / (n - i);
  return 1 - miss;
}

/** Accuracy of rankings by similarity rows: row i is right at rank < k when its best
 * item of the same group (equal text) beats all but < k others. */
function rankAccuracy(sim: Float32Array, n: number, group: Int32Array, transpose: boolean): TopK {
  let top1 = 0;
  let top5 = 0;
  const at = (i: number, j: number) => transpose ? sim[j * n + i] : sim[i * n + j];
  for (let i = 0; i < n; i++) {
    let bestRight = -Infinity;
    for (let j = 0; j < n; j++) {
      if (group[j] === group[i]) bestRight = Math.max(bestRight, at(i, j));
    }
    // Ties count against the query: a wrong item scoring equal to the right one ranks above it.
    let above = 0;
    for (let j = 0; j < n; j++) if (group[j] !== group[i] && at(i, j) >= bestRight) above++;
    if (above < 1) top1++;
    if (above < 5) top5++;
  }
  return { top1: top1 / n, top5: top5 / n };
}

/**
 * Image↔text retrieval of `model` on the first `n` images of `split` and their `texts`
 * (one per image, already tokenised into `tokens`).
 */
export async function retrievalAccuracy(
  model: ContrastiveEncoder,
  split: SplitData,
  texts: readonly string[],
  tokens: TokenTable,
  opts: { n?: number; chunk?: number } = {},
): Promise<RetrievalResult> {
  const n = Math.min(opts.n ?? split.count, split.count, tokens.count);
  if (n < 2) throw new Error(`retrieval needs at least 2 items (got ${n})`);
  const chunk = opts.chunk ?? 64;
  const sim = await tidy(async () => {
    const s = noGrad(() => {
      const img = embedAll(n, chunk, (idx) => model.embedImages(imageTensor(split, idx)));
      const txt = embedAll(n, chunk, (idx) => {
        const t = textTensors(tokens, idx);
        return model.embedTexts(t.ids, t.lengths);
      });
      return matmul(img, txt, { transB: true }); // [N images, N texts]
    });
    return await s.data();
  });
  return scoreRetrieval(sim, texts.slice(0, n));
}

/**
 * Scores an N×N similarity matrix (row = image, column = text; pair i is the match) under
 * the duplicate-caption rule of the module comment.
 */
export function scoreRetrieval(sim: Float32Array, texts: readonly string[]): RetrievalResult {
  const n = texts.length;
  if (sim.length !== n * n) throw new Error(`scoreRetrieval: ${sim.length} scores for ${n} texts`);
  const ids = new Map<string, number>();
  const group = Int32Array.from(texts, (t) => {
    if (!ids.has(t)) ids.set(t, ids.size);
    return ids.get(t)!;
  });
  const sizes = new Map<number, number>();
  for (const g of group) sizes.set(g, (sizes.get(g) ?? 0) + 1);
  // Items grouped by how many share their caption: Σ_m count_m · P(m), exact when all unique.
  const byShare = new Map<number, number>();
  for (const g of group) byShare.set(sizes.get(g)!, (byShare.get(sizes.get(g)!) ?? 0) + 1);
  let c1 = 0;
  let c5 = 0;
  for (const [m, count] of byShare) {
    c1 += count * chanceTopK(n, m, 1);
    c5 += count * chanceTopK(n, m, 5);
  }
  const shared = n - (byShare.get(1) ?? 0);
  return {
    n,
    imageToText: rankAccuracy(sim, n, group, false),
    textToImage: rankAccuracy(sim, n, group, true),
    chance: { top1: c1 / n, top5: c5 / n },
    sharedCaptions: shared,
  };
}

/** The result of a classification check. */
export interface ClassificationResult {
  n: number;
  top1: number;
  /** Accuracy of always answering the training set's most frequent class. */
  majority: number;
  /** 1 / number of classes. */
  uniform: number;
}

/**
 * Top-1 accuracy of `logitsOf` (images → logits [B, classes]) on the first `n` items of
 * `split` with `labels`; `trainLabels` defines the majority class.
 */
export async function classificationAccuracy(
  logitsOf: (images: Tensor) => Tensor,
  split: SplitData,
  labels: Int32Array,
  trainLabels: Int32Array,
  classes: number,
  opts: { n?: number; chunk?: number } = {},
): Promise<ClassificationResult> {
  const n = Math.min(opts.n ?? split.count, split.count);
  const chunk = opts.chunk ?? 64;
  const logits = await tidy(async () => {
    const l = noGrad(() => chunked(n, chunk, (idx) => logitsOf(imageTensor(split, idx))));
    return await l.data();
  });
  const counts = new Int32Array(classes);
  for (const y of trainLabels) counts[y]++;
  const majorityClass = counts.indexOf(Math.max(...counts));
  let right = 0;
  let majority = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) {
      if (logits[i * classes + c] > logits[i * classes + best]) best = c;
    }
    if (best === labels[i]) right++;
    if (labels[i] === majorityClass) majority++;
  }
  return { n, top1: right / n, majority: majority / n, uniform: 1 / classes };
}
