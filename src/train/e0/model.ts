/**
 * The E0 contrastive model: a ViT image tower (child `vit`, reusable on its own) whose
 * final-LN patch tokens are mean-pooled and projected by `image_head`, a text tower
 * (`text`), and SigLIP's learnable temperature and bias (`siglip`). Later stages detach the
 * ViT and drop the rest.
 * @module
 */

import type { Tensor } from "../../tensor/tensor.ts";
import type { Rng } from "../../tensor/random.ts";
import { meanPool } from "../../tensor/ops/vision.ts";
import { Linear } from "../../nn/layers.ts";
import { Module } from "../../nn/module.ts";
import { mixSeed } from "../../nn/dropout.ts";
import { ViT, type ViTConfig } from "../../nn/vit.ts";
import { TextTower, type TextTowerConfig } from "../../nn/text_tower.ts";
import { SigLIPScale } from "../losses/siglip.ts";

/** Mixed into the step seed for the text tower's dropout. */
const TEXT_SEED_SITE = 0x7e47;

/** The shape of a SigLIP model, as plain data. */
export interface SigLIPModelConfig {
  vit: ViTConfig;
  /** The text tower; its `embedDim` is the shared embedding width. */
  text: TextTowerConfig;
}

/** Image tower + text tower + the loss's temperature and bias. */
export class SigLIPModel extends Module {
  readonly vit: ViT;
  readonly imageHead: Linear;
  readonly text: TextTower;
  readonly scale: SigLIPScale;

  constructor(readonly config: SigLIPModelConfig, rng: Rng) {
    super();
    this.vit = this.child("vit", new ViT(config.vit, rng));
    this.imageHead = this.child(
      "image_head",
      new Linear(config.vit.width, config.text.embedDim, rng),
    );
    this.text = this.child("text", new TextTower(config.text, rng));
    this.scale = this.child("siglip", new SigLIPScale(rng));
  }

  /** images [B, H, W, 3] → unnormalised embeddings [B, embedDim]. */
  embedImages(images: Tensor, seed?: number): Tensor {
    return this.imageHead.forward(meanPool(this.vit.forward(images, { seed })));
  }

  /**
   * ids [B, T], lengths [B] → unnormalised embeddings [B, embedDim]. The step seed is
   * re-mixed so the text tower's dropout sites do not repeat the ViT's masks.
   */
  embedTexts(ids: Tensor, lengths: Tensor, seed?: number): Tensor {
    return this.text.forward(ids, lengths, {
      seed: seed === undefined ? undefined : mixSeed(seed, TEXT_SEED_SITE),
    });
  }

  /** The SigLIP loss of a batch of matching pairs. */
  loss(images: Tensor, ids: Tensor, lengths: Tensor, seed?: number): Tensor {
    return this.scale.loss(this.embedImages(images, seed), this.embedTexts(ids, lengths, seed));
  }
}
