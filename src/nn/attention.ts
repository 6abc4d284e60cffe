/**
 * Multi-head self-attention with a fused q/k/v projection: one Linear [D, 3D] (one
 * matmul) whose output the fused attention op (`attentionPacked`, optional causal and
 * key-padding masks) reads as [B, T, 3, H, Dh] and answers heads merged [B, T, D], then an
 * output projection [D, D] (a residual projection: its init std is set by the block).
 * @module
 */

import type { Tensor } from "../tensor/tensor.ts";
import type { Rng } from "../tensor/random.ts";
import { attentionPacked, type MaskOptions } from "../tensor/ops/attention.ts";
import { ShapeError } from "../tensor/errors.ts";
import { INIT_STD, Linear } from "./layers.ts";
import { Module } from "./module.ts";

/**
 * Masking options of an attention call: `causal`, and `keyPadding` as i32 lengths [B] or an
 * f32 0/1 mask [B, T] (1 = real token). A query with no valid key gets a zero output.
 */
export type AttentionMask = MaskOptions;

/** Options of `MultiHeadAttention`. */
export interface MHAOptions {
  /** Biases on the projections (default true). */
  bias?: boolean;
  /** Init std of the q/k/v projection (default 0.02). */
  std?: number;
  /** Init std of the output projection (default `std`). */
  outStd?: number;
}

/** Multi-head self-attention over [B, T, D]. */
export class MultiHeadAttention extends Module {
  /** The fused q/k/v projection, [dim, 3·dim]. */
  readonly qkv: Linear;
  /** The output projection. */
  readonly proj: Linear;
  /** Size of one head (dim / heads). */
  readonly headDim: number;

  /** Self-attention over `dim` features in `heads` heads. */
  constructor(readonly dim: number, readonly heads: number, rng: Rng, opts: MHAOptions = {}) {
    super();
    this.headDim = dim / heads;
    if (!Number.isInteger(this.headDim) || this.headDim % 4 !== 0) {
      // The fused attention kernel reads heads as vec4.
      throw new Error(
        `MultiHeadAttention: width ${dim} / ${heads} heads must give a head size divisible by 4`,
      );
    }
    const std = opts.std ?? INIT_STD;
    this.qkv = this.child("qkv", new Linear(dim, 3 * dim, rng, { std, bias: opts.bias }));
    this.proj = this.child(
      "proj",
      new Linear(dim, dim, rng, { std: opts.outStd ?? std, bias: opts.bias }),
    );
  }

  /** [B, T, D] → [B, T, D]. */
  forward(x: Tensor, mask: AttentionMask = {}): Tensor {
    if (x.rank !== 3 || x.shape[2] !== this.dim) {
      throw new ShapeError("MultiHeadAttention", `expects [B, T, ${this.dim}]`, [...x.shape]);
    }
    // The fused projection's [B, T, 3D] output is [B, T, 3, H, Dh]: the attention op reads
    // q, k, v from it in place and writes heads merged, [B, T, D] (no permutes or slices).
    const o = attentionPacked(this.qkv.forward(x), this.heads, {
      causal: mask.causal,
      keyPadding: mask.keyPadding,
    });
    return this.proj.forward(o);
  }
}
