/**
 * The causal language model: token embedding + learned positions → N causal pre-LN blocks →
 * LayerNorm → Linear head over the vocabulary (no bias). Optional prefix embeddings
 * [B, P, D] (the MLLM's projected image tokens) are placed before the tokens; positions
 * cover the whole sequence of P + T, and logits are produced only at the T token positions
 * (logits[:, t] predicts the token after ids[:, t]).
 * @module
 */

import type { Tensor } from "../tensor/tensor.ts";
import type { Rng } from "../tensor/random.ts";
import { add } from "../tensor/ops/binary.ts";
import { concat, reshape, slice } from "../tensor/ops/shape_ops.ts";
import { ones } from "../tensor/ops/create.ts";
import { crossEntropy } from "../tensor/ops/loss.ts";
import { ShapeError } from "../tensor/errors.ts";
import { Embedding, INIT_STD, LayerNorm, Linear } from "./layers.ts";
import { Module, type ModuleList, normalInit } from "./module.ts";
import { blockStack, type TransformerBlock } from "./transformer.ts";

/** The shape of a causal LM, as plain data. */
export interface CausalLMConfig {
  /** Vocabulary size V. */
  vocab: number;
  /** Longest sequence (prefix + tokens) the position table covers. */
  maxLen: number;
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

/** What a forward call accepts besides the ids. */
export interface LMCall {
  /** Embeddings [B, P, D] placed before the tokens (e.g. projected image tokens). */
  prefix?: Tensor;
  /**
   * f32 [B, T]: 1 for real tokens, 0 for padding keys. Only needed for left padding; with
   * right padding the causal mask already hides the pads from every real token.
   */
  keyPadding?: Tensor;
  /** The training step's dropout seed (needed when dropout is active in training mode). */
  seed?: number;
}

/** A decoder-only transformer LM over i32 ids [B, T]. */
export class CausalLM extends Module {
  readonly tokEmbed: Embedding;
  /** Learned position embeddings [maxLen, D] (no weight decay). */
  readonly pos: Tensor;
  readonly blocks: ModuleList<TransformerBlock>;
  readonly norm: LayerNorm;
  readonly head: Linear;

  constructor(readonly config: CausalLMConfig, rng: Rng) {
    super();
    const { vocab, maxLen, width, depth, heads } = config;
    this.tokEmbed = this.child("tok_embed", new Embedding(vocab, width, rng));
    this.pos = this.param("pos", [maxLen, width], normalInit(INIT_STD), rng, { decay: false });
    this.blocks = this.child(
      "blocks",
      blockStack(width, heads, depth, rng, { mlpRatio: config.mlpRatio, dropout: config.dropout }),
    );
    this.norm = this.child("norm", new LayerNorm(width, rng));
    this.head = this.child("head", new Linear(width, vocab, rng, { bias: false }));
  }

  /** The final hidden states [B, P + T, D] (after the last LayerNorm). */
  hidden(ids: Tensor, call: LMCall = {}): Tensor {
    const { width, maxLen } = this.config;
    if (ids.rank !== 2 || ids.dtype !== "i32") {
      throw new ShapeError("CausalLM", "expects i32 ids [B, T]", [...ids.shape]);
    }
    const [b, t] = ids.shape;
    const { prefix, keyPadding } = call;
    if (prefix && (prefix.rank !== 3 || prefix.shape[0] !== b || prefix.shape[2] !== width)) {
      throw new ShapeError("CausalLM", `prefix must be [${b}, P, ${width}]`, [...prefix.shape]);
    }
    const p = prefix ? prefix.shape[1] : 0;
    if (p + t > maxLen) {
      throw new ShapeError("CausalLM", `sequence of ${p} + ${t} exceeds maxLen ${maxLen}`, [
        ...ids.shape,
      ]);
    }
    let x = this.tokEmbed.forward(ids);
    if (prefix && p > 0) x = concat([prefix, x], 1);
    const pos = p + t === maxLen ? this.pos : slice(this.pos, 0, 0, p + t);
    x = add(x, pos);
    let mask = keyPadding;
    if (mask && p > 0) mask = concat([ones([b, p]), mask], 1);
    for (const block of this.blocks.items) {
      x = block.forward(x, { causal: true, keyPadding: mask, seed: call.seed });
    }
    return this.norm.forward(x);
  }

  /** Logits [B, T, V] at the token positions (prefix positions give none). */
  forward(ids: Tensor, call: LMCall = {}): Tensor {
    let h = this.hidden(ids, call);
    const p = call.prefix ? call.prefix.shape[1] : 0;
    if (p > 0) h = slice(h, 1, p, p + ids.shape[1]);
    return this.head.forward(h);
  }

  /**
   * Mean next-token cross-entropy: targets i32 [B, T] (usually ids shifted left), rows equal
   * to `ignoreIndex` (default −100) skipped.
   */
  loss(ids: Tensor, targets: Tensor, call: LMCall = {}, ignoreIndex = -100): Tensor {
    return lmLoss(this.forward(ids, call), targets, ignoreIndex);
  }
}

/** Mean cross-entropy of logits [B, T, V] against i32 targets [B, T], skipping `ignoreIndex`. */
export function lmLoss(logits: Tensor, targets: Tensor, ignoreIndex = -100): Tensor {
  const [b, t, v] = logits.shape;
  if (logits.rank !== 3 || targets.rank !== 2 || targets.shape[0] !== b || targets.shape[1] !== t) {
    throw new ShapeError("lmLoss", "needs logits [B, T, V] and targets [B, T]", [
      ...logits.shape,
    ], [...targets.shape]);
  }
  return crossEntropy(reshape(logits, [b * t, v]), reshape(targets, [b * t]), { ignoreIndex });
}
