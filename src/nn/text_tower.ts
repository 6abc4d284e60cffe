/**
 * The text tower of the contrastive (SigLIP-style) pretraining: token embedding + learned
 * positions → N pre-LN blocks over the whole caption (non-causal; padding keys masked by the
 * caption lengths) → final LayerNorm → mean over the real tokens → Linear projection into
 * the embedding space shared with the image tower. Mean pooling (rather than the last
 * token) keeps the pooled vector independent of where the padding starts.
 * @module
 */

import type { Tensor } from "../tensor/tensor.ts";
import type { Rng } from "../tensor/random.ts";
import { add } from "../tensor/ops/binary.ts";
import { slice } from "../tensor/ops/shape_ops.ts";
import { paddingMask } from "../tensor/ops/masks.ts";
import { meanPool } from "../tensor/ops/vision.ts";
import { ShapeError } from "../tensor/errors.ts";
import { Embedding, INIT_STD, LayerNorm, Linear } from "./layers.ts";
import { Module, type ModuleList, normalInit } from "./module.ts";
import { blockStack, type TransformerBlock } from "./transformer.ts";

/** The shape of a text tower, as plain data. */
export interface TextTowerConfig {
  /** Vocabulary size V. */
  vocab: number;
  /** Longest caption in tokens (the position table's length). */
  maxLen: number;
  /** Token width D. */
  width: number;
  /** Number of transformer blocks. */
  depth: number;
  /** Attention heads (D / heads must be a multiple of 4). */
  heads: number;
  /** Width of the shared image–text embedding. */
  embedDim: number;
  /** MLP hidden size as a multiple of the width (default 4). */
  mlpRatio?: number;
  /** Residual dropout probability (default 0). */
  dropout?: number;
}

/** What a forward call accepts besides the ids and lengths. */
export interface TextTowerCall {
  /** The training step's dropout seed (needed when dropout is active in training mode). */
  seed?: number;
}

/** Captions (i32 ids [B, T], right-padded; i32 lengths [B]) → embeddings [B, embedDim]. */
export class TextTower extends Module {
  readonly tokEmbed: Embedding;
  /** Learned position embeddings [maxLen, D] (no weight decay). */
  readonly pos: Tensor;
  readonly blocks: ModuleList<TransformerBlock>;
  readonly norm: LayerNorm;
  readonly proj: Linear;

  constructor(readonly config: TextTowerConfig, rng: Rng) {
    super();
    const { vocab, maxLen, width, depth, heads, embedDim } = config;
    this.tokEmbed = this.child("tok_embed", new Embedding(vocab, width, rng));
    this.pos = this.param("pos", [maxLen, width], normalInit(INIT_STD), rng, { decay: false });
    this.blocks = this.child(
      "blocks",
      blockStack(width, heads, depth, rng, { mlpRatio: config.mlpRatio, dropout: config.dropout }),
    );
    this.norm = this.child("norm", new LayerNorm(width, rng));
    this.proj = this.child("proj", new Linear(width, embedDim, rng));
  }

  /** Final-LN token states [B, T, D]; padding positions are computed but never attended to. */
  hidden(ids: Tensor, lengths: Tensor, call: TextTowerCall = {}): Tensor {
    const { maxLen } = this.config;
    if (ids.rank !== 2 || ids.dtype !== "i32") {
      throw new ShapeError("TextTower", "expects i32 ids [B, T]", [...ids.shape]);
    }
    const [b, t] = ids.shape;
    if (lengths.rank !== 1 || lengths.dtype !== "i32" || lengths.shape[0] !== b) {
      throw new ShapeError("TextTower", `expects i32 lengths [${b}]`, [...lengths.shape]);
    }
    if (t > maxLen) {
      throw new ShapeError("TextTower", `${t} tokens exceed maxLen ${maxLen}`, [...ids.shape]);
    }
    const pos = t === maxLen ? this.pos : slice(this.pos, 0, 0, t);
    let x = add(this.tokEmbed.forward(ids), pos);
    for (const block of this.blocks.items) {
      x = block.forward(x, { keyPadding: lengths, seed: call.seed });
    }
    return this.norm.forward(x);
  }

  /** ids [B, T], lengths [B] → [B, embedDim] (mean over the first `lengths[b]` tokens). */
  forward(ids: Tensor, lengths: Tensor, call: TextTowerCall = {}): Tensor {
    const h = this.hidden(ids, lengths, call);
    return this.proj.forward(meanPool(h, paddingMask(lengths, ids.shape[1])));
  }
}
