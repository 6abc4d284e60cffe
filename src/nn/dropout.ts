/**
 * The Dropout layer. The dropout op's mask is a hash of (seed, element), so each call
 * site needs its own seed per step: the caller passes one seed per training step and each
 * layer mixes in its own site number. Resuming at step k with the same step seed redraws
 * the same masks, with no generator state to checkpoint.
 * @module
 */

import type { Tensor } from "../tensor/tensor.ts";
import { dropout } from "../tensor/ops/dropout.ts";
import { Module } from "./module.ts";

/** Mixes a step seed and a site number into one 32-bit seed (splitmix32 finaliser). */
export function mixSeed(seed: number, site: number): number {
  let z = (Math.imul(seed >>> 0, 0x9e3779b9) + Math.imul(site + 1, 0x85ebca6b)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
  return (z ^ (z >>> 15)) >>> 0;
}

/** Zeroes elements with probability `p` in training mode; the identity in eval mode. */
export class Dropout extends Module {
  /**
   * @param p drop probability in [0, 1)
   * @param site a number unique to this layer within its model (decorrelates the masks)
   */
  /** Drops with probability `p`; `site` tells this layer's masks from others'. */
  constructor(readonly p: number, readonly site: number) {
    super();
    if (!(p >= 0 && p < 1)) throw new Error(`Dropout: p = ${p} is not in [0, 1)`);
  }

  /** Applies dropout with this step's `seed` (required when active). */
  forward(x: Tensor, seed?: number): Tensor {
    if (!this.training || this.p === 0) return x;
    if (seed === undefined) {
      throw new Error("Dropout: training mode with p > 0 needs a step seed (forward(x, seed))");
    }
    return dropout(x, this.p, mixSeed(seed, this.site));
  }
}
