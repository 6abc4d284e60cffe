/**
 * The vision transformer: images [B, H, W, C] are cut into p×p patches (`patchify`), each
 * patch is embedded by one Linear, learned position embeddings are added, and N pre-LN
 * transformer blocks follow; a final LayerNorm closes the stack. `features(images, layer)`
 * returns the patch tokens after any block (the MLLM reads the penultimate one, as LLaVA
 * does) and runs only the blocks it needs. `ViTClassifier` (mean-pool + Linear head) is the
 * small supervised model the whole-step test and the training benchmark use.
 * @module
 */

import type { Tensor } from "../tensor/tensor.ts";
import type { Rng } from "../tensor/random.ts";
import { add } from "../tensor/ops/binary.ts";
import { meanPool, patchify } from "../tensor/ops/vision.ts";
import { crossEntropy } from "../tensor/ops/loss.ts";
import { ShapeError } from "../tensor/errors.ts";
import { INIT_STD, LayerNorm, Linear } from "./layers.ts";
import { Module, type ModuleList, normalInit } from "./module.ts";
import { blockStack, type TransformerBlock } from "./transformer.ts";

/** The shape of a ViT, as plain data. */
export interface ViTConfig {
  /** Side of the square input images in pixels. */
  imageSize: number;
  /** Side of a square patch in pixels (divides `imageSize`). */
  patch: number;
  /** Channels per pixel (3 for RGB). */
  channels: number;
  /** Token width D. */
  width: number;
  /** Number of transformer blocks. */
  depth: number;
  /** Attention heads (divides `width`). */
  heads: number;
  /** MLP hidden size as a multiple of the width (default 4). */
  mlpRatio?: number;
  /** Residual dropout probability (default 0). */
  dropout?: number;
}

/** What a forward call accepts besides the images. */
export interface ViTCall {
  /** The training step's dropout seed (needed when dropout is active in training mode). */
  seed?: number;
}

/** Number of patch tokens of a config. */
export function patchCount(c: ViTConfig): number {
  return (c.imageSize / c.patch) ** 2;
}

/** A ViT over images [B, H, W, C] → patch tokens [B, N, D]. */
export class ViT extends Module {
  readonly patchEmbed: Linear;
  /** Learned position embeddings [N, D] (no weight decay). */
  readonly pos: Tensor;
  readonly blocks: ModuleList<TransformerBlock>;
  readonly norm: LayerNorm;
  readonly tokens: number;

  constructor(readonly config: ViTConfig, rng: Rng) {
    super();
    const { imageSize, patch, channels, width, depth, heads } = config;
    if (!(imageSize > 0 && patch > 0 && imageSize % patch === 0)) {
      throw new Error(`ViT: patch ${patch} does not divide image size ${imageSize}`);
    }
    this.tokens = patchCount(config);
    this.patchEmbed = this.child("patch_embed", new Linear(patch * patch * channels, width, rng));
    this.pos = this.param("pos", [this.tokens, width], normalInit(INIT_STD), rng, {
      decay: false,
    });
    this.blocks = this.child(
      "blocks",
      blockStack(width, heads, depth, rng, { mlpRatio: config.mlpRatio, dropout: config.dropout }),
    );
    this.norm = this.child("norm", new LayerNorm(width, rng));
  }

  /** Patch embeddings plus positions: images [B, H, W, C] → [B, N, D] (layer 0). */
  embed(images: Tensor): Tensor {
    const { imageSize, channels, patch } = this.config;
    if (
      images.rank !== 4 || images.shape[1] !== imageSize || images.shape[2] !== imageSize ||
      images.shape[3] !== channels
    ) {
      throw new ShapeError("ViT", `expects images [B, ${imageSize}, ${imageSize}, ${channels}]`, [
        ...images.shape,
      ]);
    }
    return add(this.patchEmbed.forward(patchify(images, patch)), this.pos);
  }

  /**
   * The patch tokens [B, N, D] after `layer` blocks: 0 is the embedding, `depth` the last
   * block's output (before the final LayerNorm); negative values count from the end as in
   * Python's `hidden_states[layer]` (−1 = last block, −2 = penultimate). Blocks above
   * `layer` are not run.
   */
  features(images: Tensor, layer: number, call: ViTCall = {}): Tensor {
    const depth = this.blocks.length;
    const k = layer < 0 ? depth + 1 + layer : layer;
    if (!Number.isInteger(k) || k < 0 || k > depth) {
      throw new Error(`ViT.features: layer ${layer} is outside [${-depth - 1}, ${depth}]`);
    }
    let x = this.embed(images);
    for (let i = 0; i < k; i++) x = this.blocks.items[i].forward(x, { seed: call.seed });
    return x;
  }

  /** All blocks and the final LayerNorm: images → [B, N, D]. */
  forward(images: Tensor, call: ViTCall = {}): Tensor {
    return this.norm.forward(this.features(images, this.blocks.length, call));
  }
}

/** The shape of a ViT classifier: a ViT plus the number of classes. */
export interface ViTClassifierConfig extends ViTConfig {
  classes: number;
}

/** ViT → mean over patch tokens → Linear head: images → logits [B, classes]. */
export class ViTClassifier extends Module {
  readonly vit: ViT;
  readonly head: Linear;

  constructor(readonly config: ViTClassifierConfig, rng: Rng) {
    super();
    this.vit = this.child("vit", new ViT(config, rng));
    this.head = this.child("head", new Linear(config.width, config.classes, rng));
  }

  /** images [B, H, W, C] → logits [B, classes]. */
  forward(images: Tensor, call: ViTCall = {}): Tensor {
    return this.head.forward(meanPool(this.vit.forward(images, call)));
  }

  /** Mean cross-entropy of the logits against i32 labels [B]. */
  loss(images: Tensor, labels: Tensor, call: ViTCall = {}): Tensor {
    return crossEntropy(this.forward(images, call), labels);
  }
}
