/**
 * Features of a detached, frozen encoder for the probes.
 *
 * The features are the ViT's patch tokens at the layer the MLLM reads (the penultimate by
 * default, as LLaVA and the paper: the last block never runs in an MLLM and gets no
 * gradient in the MLLM stages, so it is not what post-training shaped). Two views:
 *
 * - `vit`: the patch tokens themselves, D_vit wide;
 * - `projector`: the same tokens through the MLLM's projector, D_lm wide (only when the
 *   source is an MLLM).
 *
 * `pooledFeatures` mean-pools each image's tokens and L2-normalises the result (the linear
 * probe's input); `patchFeatures` keeps every token (the segmentation probe's input). Both
 * run under `noGrad`, chunk by chunk, each chunk in its own scope and submitted before the
 * next, so GPU memory stays at one chunk's activations; the results are read to the CPU.
 * The encoder is put in eval mode for the call and restored after.
 * @module
 */

import { noGrad, type Tensor } from "../../tensor/tensor.ts";
import { tidy } from "../../tensor/scope.ts";
import { flush } from "../../gpu/batch.ts";
import { meanPool } from "../../tensor/ops/vision.ts";
import { l2Normalize } from "../../train/losses/siglip.ts";
import type { ViT } from "../../nn/vit.ts";
import type { MLP } from "../../nn/layers.ts";
import type { MLLM } from "../../mllm/model.ts";
import type { SplitData } from "../../world/splits.ts";
import { imageTensor } from "../../data/images.ts";

/** A frozen encoder to probe: a ViT, the layer read, and optionally a projector. */
export interface FeatureSource {
  vit: ViT;
  /** ViT layer (as `ViT.features`; default −2, the penultimate). */
  layer?: number;
  /** The MLLM's projector (ViT + projector features); absent for a bare encoder. */
  projector?: MLP | null;
  /** A label for reports (e.g. the stage name). */
  name?: string;
}

/** The source of a bare encoder (E0's `loadEncoder(...).vit`), read at the penultimate layer. */
export function encoderSource(vit: ViT, name = "", layer = -2): FeatureSource {
  return { vit, layer, projector: null, name };
}

/** The source of an MLLM's encoder: its ViT at its vision layer, and its projector. */
export function mllmSource(model: MLLM, name = ""): FeatureSource {
  return { vit: model.vit, layer: model.visionLayer, projector: model.projector, name };
}

/** Features of N items, row-major on the CPU. */
export interface FeatureSet {
  /** Items (rows). */
  n: number;
  /** ViT-alone features: [n, dVit] (pooled) or [n, tokens, dVit] (patch). */
  vit: Float32Array;
  dVit: number;
  /** ViT + projector features, or null for a bare encoder. */
  projector: Float32Array | null;
  dProjector: number;
  /** Tokens per item (1 for pooled features). */
  tokens: number;
}

/** Which items of a split: the first `n`, or explicit indices. */
export interface FeatureOptions {
  n?: number;
  indices?: ArrayLike<number>;
  /** Images per forward (default 64). */
  chunk?: number;
}

function itemsOf(split: SplitData, opts: FeatureOptions): Int32Array {
  if (opts.indices) return Int32Array.from(opts.indices);
  const n = Math.min(opts.n ?? split.count, split.count);
  return Int32Array.from({ length: n }, (_, i) => i);
}

async function collect(
  src: FeatureSource,
  split: SplitData,
  opts: FeatureOptions,
  pooled: boolean,
): Promise<FeatureSet> {
  const items = itemsOf(split, opts);
  const chunk = opts.chunk ?? 64;
  const layer = src.layer ?? -2;
  const tokens = pooled ? 1 : src.vit.tokens;
  const dVit = src.vit.config.width;
  const dProj = src.projector ? src.projector.fc2.outFeatures : 0;
  const vit = new Float32Array(items.length * tokens * dVit);
  const proj = src.projector ? new Float32Array(items.length * tokens * dProj) : null;
  const wasVit = src.vit.training;
  const wasProj = src.projector?.training ?? false;
  src.vit.eval();
  src.projector?.eval();
  try {
    for (let start = 0; start < items.length; start += chunk) {
      const idx = items.subarray(start, Math.min(items.length, start + chunk));
      const [a, b] = tidy(() =>
        noGrad(() => {
          const f = src.vit.features(imageTensor(split, idx), layer); // [B, N, Dv]
          const p = src.projector ? src.projector.forward(f) : null; // [B, N, Dl]
          const view = (x: Tensor) => pooled ? l2Normalize(meanPool(x)) : x;
          return [view(f), p ? view(p) : null] as const;
        })
      );
      flush();
      try {
        vit.set(await a.data(), start * tokens * dVit);
        if (b && proj) proj.set(await b.data(), start * tokens * dProj);
      } finally {
        a.dispose();
        b?.dispose();
      }
    }
  } finally {
    src.vit.train(wasVit);
    src.projector?.train(wasProj);
  }
  return { n: items.length, vit, dVit, projector: proj, dProjector: dProj, tokens };
}

/**
 * Mean-pooled, L2-normalised features [n, D] of split items: from the ViT alone and, for
 * an MLLM source, from ViT + projector (pooled after the projector).
 */
export function pooledFeatures(
  src: FeatureSource,
  split: SplitData,
  opts: FeatureOptions = {},
): Promise<FeatureSet> {
  return collect(src, split, opts, true);
}

/** Every patch token [n, tokens, D] of split items (not normalised): the seg probe's input. */
export function patchFeatures(
  src: FeatureSource,
  split: SplitData,
  opts: FeatureOptions = {},
): Promise<FeatureSet> {
  return collect(src, split, opts, false);
}
