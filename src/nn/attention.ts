/**
 * Multi-head self-attention with a fused q/k/v projection: one Linear [D, 3D] (one
 * matmul), split into heads [B, H, T, Dh], attention with optional causal and key-padding
 * masks, heads merged, and an output projection [D, D] (a residual projection: its init
 * std is set by the block).
 * @module
 */

import type { Tensor } from "../tensor/tensor.ts";
import type { Rng } from "../tensor/random.ts";
import { add } from "../tensor/ops/binary.ts";
import { matmul } from "../tensor/ops/matmul.ts";
import { softmax } from "../tensor/ops/norm.ts";
import { addScalar, scale } from "../tensor/ops/unary.ts";
import { permute, reshape, slice } from "../tensor/ops/shape_ops.ts";
import { tensor } from "../tensor/tensor.ts";
import { ShapeError } from "../tensor/errors.ts";
import { INIT_STD, Linear } from "./layers.ts";
import { Module } from "./module.ts";

/** Masking options of an attention call. */
export interface AttentionMask {
  /** Each query attends only to keys at or before its position. */
  causal?: boolean;
  /** f32 [B, T]: 1 for real tokens, 0 for padding keys (see `paddingMask`). */
  keyPadding?: Tensor;
}

/** Options of `MultiHeadAttention`. */
export interface MHAOptions {
  /** Biases on the projections (default true). */
  bias?: boolean;
  /** Init std of the q/k/v projection (default 0.02). */
  std?: number;
  /** Init std of the output projection (default `std`). */
  outStd?: number;
}

const MASKED = -1e9; // added to masked scores; finite so a fully masked row stays finite

/**
 * Scaled dot-product attention on [B, H, T, Dh], composed from matmul, softmax and masks.
 * Temporary: replaced by the fused `attention` op (src/tensor/ops/attention.ts) once it lands.
 */
export function composedAttention(q: Tensor, k: Tensor, v: Tensor, mask: AttentionMask): Tensor {
  const [b, , t, dh] = q.shape;
  let scores = scale(matmul(q, k, { transB: true }), 1 / Math.sqrt(dh));
  if (mask.causal) {
    const bias = new Float32Array(t * t);
    for (let i = 0; i < t; i++) for (let j = i + 1; j < t; j++) bias[i * t + j] = MASKED;
    scores = add(scores, tensor(bias, [1, 1, t, t]));
  }
  if (mask.keyPadding) {
    // (mask − 1)·1e9: 0 for real keys, −1e9 for padding.
    const bias = scale(addScalar(mask.keyPadding, -1), -MASKED);
    scores = add(scores, reshape(bias, [b, 1, 1, t]));
  }
  return matmul(softmax(scores), v);
}

/** Multi-head self-attention over [B, T, D]. */
export class MultiHeadAttention extends Module {
  readonly qkv: Linear;
  readonly proj: Linear;
  readonly headDim: number;

  constructor(readonly dim: number, readonly heads: number, rng: Rng, opts: MHAOptions = {}) {
    super();
    if (dim % heads !== 0) throw new Error(`MultiHeadAttention: ${dim} not divisible by ${heads}`);
    this.headDim = dim / heads;
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
    const [b, t] = x.shape;
    const { heads: h, headDim: dh } = this;
    if (mask.keyPadding && (mask.keyPadding.shape[0] !== b || mask.keyPadding.shape[1] !== t)) {
      throw new ShapeError("MultiHeadAttention", "keyPadding must be [B, T]", [...x.shape], [
        ...mask.keyPadding.shape,
      ]);
    }
    // [B, T, 3D] → [3, B, H, T, Dh]: one copy, then q, k, v are slices of the first axis.
    const qkv = permute(reshape(this.qkv.forward(x), [b, t, 3, h, dh]), [2, 0, 3, 1, 4]);
    const [q, k, v] = [0, 1, 2].map((i) => reshape(slice(qkv, 0, i, i + 1), [b, h, t, dh]));
    const o = composedAttention(q, k, v, mask);
    return this.proj.forward(reshape(permute(o, [0, 2, 1, 3]), [b, t, this.dim]));
  }
}
