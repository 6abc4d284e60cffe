/**
 * Training batches of world splits: image–caption pairs (contrastive pretraining) and
 * image–label pairs (supervised pretraining, probes). `batch(step)` is a pure function of
 * (seed, step) through `BatchOrder`; it uploads one batch into fresh GPU buffers (no flush
 * needed) and does the CPU work (pixel normalisation, id gathering) on one batch only.
 * @module
 */

import type { Tensor } from "../tensor/tensor.ts";
import type { SplitData } from "../world/splits.ts";
import { BatchOrder } from "./order.ts";
import { classificationLabels, imageTensor, type LabelKind, labelTensor } from "./images.ts";
import { captionTexts, textTensors, tokenizeTexts, type TokenTable } from "./text.ts";

/** One image–caption batch on the GPU. */
export interface CaptionBatch {
  /** f32 [B, H, W, 3], normalised. */
  images: Tensor;
  /** i32 [B, T], right-padded with `<pad>`. */
  ids: Tensor;
  /** i32 [B]. */
  lengths: Tensor;
  /** The split items in this batch. */
  indices: Int32Array;
}

/** Image–caption batches of a caption split. */
export class CaptionBatches {
  readonly order: BatchOrder;
  readonly tokens: TokenTable;

  constructor(
    readonly split: SplitData,
    opts: { batchSize: number; seed: number; maxTokens?: number },
  ) {
    this.tokens = tokenizeTexts(captionTexts(split), opts.maxTokens);
    this.order = new BatchOrder(split.count, opts.batchSize, opts.seed);
  }

  /** The batch of optimizer step `step`. */
  batch(step: number): CaptionBatch {
    const indices = this.order.indices(step);
    return {
      images: imageTensor(this.split, indices),
      ...textTensors(this.tokens, indices),
      indices,
    };
  }
}

/** One image–label batch on the GPU. */
export interface LabelBatch {
  /** f32 [B, H, W, 3], normalised. */
  images: Tensor;
  /** i32 [B]. */
  labels: Tensor;
  indices: Int32Array;
}

/** Image–label batches of a classification split. */
export class LabelBatches {
  readonly order: BatchOrder;
  readonly labels: Int32Array;

  constructor(
    readonly split: SplitData,
    opts: { batchSize: number; seed: number; label?: LabelKind },
  ) {
    this.labels = classificationLabels(split, opts.label ?? "fine");
    this.order = new BatchOrder(split.count, opts.batchSize, opts.seed);
  }

  /** The batch of optimizer step `step`. */
  batch(step: number): LabelBatch {
    const indices = this.order.indices(step);
    return {
      images: imageTensor(this.split, indices),
      labels: labelTensor(this.labels, indices),
      indices,
    };
  }
}
