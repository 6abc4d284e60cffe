/**
 * The pre-LN transformer block: x + drop(attn(ln1(x))), then x + drop(mlp(ln2(x))).
 * Residual output projections (attn.proj, mlp.fc2) start at std 0.02/√(2·layers) (GPT-2),
 * so the residual stream's variance does not grow with depth.
 * @module
 */

import type { Tensor } from "../tensor/tensor.ts";
import type { Rng } from "../tensor/random.ts";
import { add } from "../tensor/ops/binary.ts";
import { type AttentionMask, MultiHeadAttention } from "./attention.ts";
import { Dropout } from "./dropout.ts";
import { INIT_STD, LayerNorm, MLP } from "./layers.ts";
import { Module, ModuleList } from "./module.ts";

/** Options of `TransformerBlock`. */
export interface BlockOptions {
  /** MLP hidden size as a multiple of the width (default 4). */
  mlpRatio?: number;
  /** Residual dropout probability (default 0). */
  dropout?: number;
  /** Depth of the whole stack, for the scaled residual init (default 1). */
  layers?: number;
  /** Index of this block in the stack (makes the dropout sites distinct). */
  index?: number;
  /** Biases on the linear layers (default true). */
  bias?: boolean;
}

/** What a block's forward accepts besides x. */
export interface BlockCall extends AttentionMask {
  /** The training step's dropout seed (needed when dropout is active). */
  seed?: number;
}

/** A pre-LN transformer block over [B, T, D]. */
export class TransformerBlock extends Module {
  /** Norm before attention. */
  readonly ln1: LayerNorm;
  /** Multi-head self-attention. */
  readonly attn: MultiHeadAttention;
  /** Norm before the MLP. */
  readonly ln2: LayerNorm;
  /** The feed-forward MLP. */
  readonly mlp: MLP;
  /** Dropout on the attention branch. */
  readonly drop1: Dropout;
  /** Dropout on the MLP branch. */
  readonly drop2: Dropout;

  /** A pre-LN block of width `dim`. */
  constructor(readonly dim: number, heads: number, rng: Rng, opts: BlockOptions = {}) {
    super();
    const outStd = INIT_STD / Math.sqrt(2 * (opts.layers ?? 1));
    const hidden = Math.round(dim * (opts.mlpRatio ?? 4));
    const site = 2 * (opts.index ?? 0);
    this.ln1 = this.child("ln1", new LayerNorm(dim, rng));
    this.attn = this.child(
      "attn",
      new MultiHeadAttention(dim, heads, rng, { outStd, bias: opts.bias }),
    );
    this.ln2 = this.child("ln2", new LayerNorm(dim, rng));
    this.mlp = this.child("mlp", new MLP(dim, hidden, dim, rng, { outStd, bias: opts.bias }));
    this.drop1 = this.child("drop1", new Dropout(opts.dropout ?? 0, site));
    this.drop2 = this.child("drop2", new Dropout(opts.dropout ?? 0, site + 1));
  }

  /** [B, T, D] → [B, T, D]. */
  forward(x: Tensor, call: BlockCall = {}): Tensor {
    const h = add(x, this.drop1.forward(this.attn.forward(this.ln1.forward(x), call), call.seed));
    return add(h, this.drop2.forward(this.mlp.forward(this.ln2.forward(h)), call.seed));
  }
}

/**
 * `depth` pre-LN blocks of width `width`, created in order from `rng` (so a model's
 * initialisation depends only on its config and seed), with GPT-2's depth-scaled residual init.
 */
export function blockStack(
  width: number,
  heads: number,
  depth: number,
  rng: Rng,
  opts: { mlpRatio?: number; dropout?: number } = {},
): ModuleList<TransformerBlock> {
  const blocks = Array.from(
    { length: depth },
    (_, i) =>
      new TransformerBlock(width, heads, rng, {
        mlpRatio: opts.mlpRatio ?? 4,
        dropout: opts.dropout ?? 0,
        layers: depth,
        index: i,
      }),
  );
  return new ModuleList(blocks);
}
