/**
 * Greedy generation for a batch of (image, prompt) rows with a key/value cache.
 *
 * Layout: prompts are right-padded (chat.ts `PromptBatch`) and every row keeps its own
 * positions. The sequence of row b is [P visual tokens][its prompt of n_b tokens][new
 * tokens], so its k-th new token sits at position P + n_b + k whatever the other rows'
 * lengths; no left padding, so the learned absolute positions match training.
 *
 * Cache: per LM layer one K and one V tensor [B, H, C, Dh] on the GPU, C = P + T_prompt +
 * maxNew − 1. Prefill runs the visual prefix and the padded prompts through the LM once
 * (S = P + T_prompt query rows), writing every position's K/V; the pads' entries are
 * overwritten by row b's new tokens from position P + n_b on and are never attended, since
 * row b's valid length is P + n_b + k at step k. Prefill attends causally with the training
 * kernel (`attentionPacked`, as MultiHeadAttention does) and copies K/V from the packed
 * projection output into the cache. Each decode step embeds one token per row
 * at its own position, appends its K/V at that position (`cacheWrite`) and attends over the
 * valid cache (`attentionDecode`, query length 1 ≠ key length).
 *
 * No readback per step: each step's argmax (i32 [B], on the GPU) is the next step's input.
 * The tokens are read every `checkEvery` steps (one readback for all of them) to see
 * whether every row has emitted `<eos>`; rows that finished earlier keep being computed
 * (the batch has one shape) and their extra tokens are dropped. Runs in evaluation mode
 * (no dropout) without gradients; the model's train/eval flags are restored afterwards.
 * @module
 */

import { noGrad, type Tensor, tensor } from "../tensor/tensor.ts";
import { keep, tidy } from "../tensor/scope.ts";
import { add } from "../tensor/ops/binary.ts";
import { concat, copyRegion, reshape, slice } from "../tensor/ops/shape_ops.ts";
import { attentionPacked } from "../tensor/ops/attention.ts";
import { gather } from "../tensor/ops/gather.ts";
import { zeros } from "../tensor/ops/create.ts";
import { argmax } from "../tensor/ops/argmax.ts";
import { attentionDecode, cacheWrite } from "../tensor/ops/attention_decode.ts";
import { ShapeError } from "../tensor/errors.ts";
import { flush } from "../gpu/batch.ts";
import type { Module } from "../nn/module.ts";
import type { CausalLM } from "../nn/causal_lm.ts";
import type { MLLM } from "./model.ts";
import type { PromptBatch } from "./chat.ts";

/** Options of `generate`. */
export interface GenerateOptions {
  /** The stop token (the tokenizer's `<eos>`). */
  eos: number;
  /** Most new tokens per row, `<eos>` included (default 32). */
  maxNew?: number;
  /** Decode steps between readbacks that check for `<eos>` (default 8). */
  checkEvery?: number;
}

/** What `generate` returns. */
export interface Generation {
  /** New tokens per row, up to and without the first `<eos>`. */
  tokens: number[][];
  /** Whether each row emitted `<eos>` (else it stopped at maxNew). */
  finished: boolean[];
  /** Tokens computed per row (≥ the longest answer; a multiple of checkEvery or maxNew). */
  steps: number;
  /** GPU → CPU readbacks made. */
  readbacks: number;
}

/** Per-layer K and V caches [B, H, C, Dh]. */
interface KVCache {
  k: Tensor[];
  v: Tensor[];
}

/** Runs `fn` with every module of `m` in evaluation mode, then restores each flag. */
async function inEvalMode<T>(m: Module, fn: () => Promise<T>): Promise<T> {
  const saved: [Module, boolean][] = [];
  const walk = (x: Module) => {
    saved.push([x, x.training]);
    for (const [, c] of x.namedChildren()) walk(c);
  };
  walk(m);
  m.eval();
  try {
    return await fn();
  } finally {
    for (const [x, on] of saved) x.training = on;
  }
}

/**
 * The LM's blocks over x [B, S, D] (embeddings with positions); returns the final hidden
 * states [B, S, D] after the LM's LayerNorm. Mirrors TransformerBlock / MultiHeadAttention
 * without dropout.
 * - Prefill (`step` null): the rows sit at cache positions 0 … S − 1 of every entry. Each
 *   layer attends exactly as MultiHeadAttention does (`attentionPacked`, causal, on the
 *   fused projection's [B, S, 3D] output) and copies its K and V straight from that packed
 *   output into cache rows 0 … S − 1 (one strided copy each, no permute).
 * - Decode (`step` given, S = 1): the rows sit at cache positions start[b]; their K/V are
 *   written there and the query attends over the first lengths[b] = start[b] + 1 cache rows.
 */
function cachedBlocks(
  lm: CausalLM,
  x: Tensor,
  cache: KVCache,
  step: { start: Tensor; lengths: Tensor } | null,
): Tensor {
  const [b, s, d] = x.shape;
  lm.blocks.items.forEach((block, i) => {
    const { heads: h, headDim: dh } = block.attn;
    const fused = block.attn.qkv.forward(block.ln1.forward(x)); // [B, S, 3, H, Dh]
    let merged: Tensor;
    if (!step) {
      const capacity = cache.k[i].shape[2];
      [cache.k[i], cache.v[i]].forEach((c, j) =>
        copyRegion("cache_prefill", fused, c, {
          dims: [b, h, s, dh],
          srcStrides: [s * 3 * d, dh, 3 * d, 1],
          dstStrides: [h * capacity * dh, capacity * dh, dh, 1],
          srcOffset: (j + 1) * d,
        })
      );
      merged = attentionPacked(fused, h, { causal: true });
    } else {
      // S = 1: [B, 1, H, Dh] and [B, H, 1, Dh] are the same memory, so slices of [B, 3, D]
      // are q, k, v and the output needs no permute.
      const qkv = reshape(fused, [b, 3, d]);
      const [q, k, v] = [0, 1, 2].map((j) => reshape(slice(qkv, 1, j, j + 1), [b, h, 1, dh]));
      cacheWrite(cache.k[i], k, step.start);
      cacheWrite(cache.v[i], v, step.start);
      merged = reshape(attentionDecode(q, cache.k[i], cache.v[i], step.lengths), [b, s, d]);
    }
    x = add(x, block.attn.proj.forward(merged));
    x = add(x, block.mlp.forward(block.ln2.forward(x)));
  });
  return lm.norm.forward(x);
}

/**
 * Greedy generation: images f32 [B, H, W, C] and right-padded prompts (`PromptBatch`, one
 * per image) → the new tokens of each row until `<eos>` or `maxNew`. See the module
 * comment for the cache layout and the readback schedule.
 */
export function generate(
  model: MLLM,
  images: Tensor,
  prompts: PromptBatch,
  opts: GenerateOptions,
): Promise<Generation> {
  const { batch: b, tokens: tp } = prompts;
  const maxNew = opts.maxNew ?? 32;
  const checkEvery = Math.max(1, opts.checkEvery ?? 8);
  const lm = model.lm;
  const p = model.visualCount;
  const capacity = p + tp + maxNew - 1;
  if (images.rank !== 4 || images.shape[0] !== b) {
    throw new ShapeError("generate", `needs ${b} images [B, H, W, C]`, [...images.shape]);
  }
  if (!(maxNew >= 1)) throw new Error(`generate: maxNew ${maxNew} must be ≥ 1`);
  if (capacity > lm.config.maxLen) {
    throw new Error(
      `generate: ${p} visual + ${tp} prompt + ${maxNew} new tokens exceed the LM's maxLen ` +
        `${lm.config.maxLen} (lower maxNew to ≤ ${lm.config.maxLen - p - tp + 1})`,
    );
  }
  return inEvalMode(model, () =>
    noGrad(async () => {
      const cache: KVCache = { k: [], v: [] };
      for (const block of lm.blocks.items) {
        const shape = [b, block.attn.heads, capacity, block.attn.headDim];
        cache.k.push(keep(zeros(shape)));
        cache.v.push(keep(zeros(shape)));
      }
      const out: number[][] = Array.from({ length: b }, () => []);
      const finished = new Array<boolean>(b).fill(false);
      let unread: Tensor[] = []; // each step's tokens [B], until read back
      let tok: Tensor | null = null; // the latest tokens: the next step's input
      let readbacks = 0;
      let steps = 0;
      const read = async () => {
        const all = tidy(() => concat(unread.map((t) => reshape(t, [b, 1])), 1));
        const values = await all.read();
        all.dispose();
        readbacks += 1;
        const n = unread.length;
        for (let r = 0; r < b; r++) {
          for (let j = 0; j < n && !finished[r]; j++) {
            const id = values[r * n + j];
            if (id === opts.eos) finished[r] = true;
            else out[r].push(id);
          }
        }
        for (const t of unread) if (t !== tok) t.dispose();
        unread = [];
      };
      try {
        // Prefill: prefix + padded prompts; row b's first new token comes from position
        // P + n_b − 1.
        tok = tidy(() => {
          const s = p + tp;
          const ids = tensor(prompts.ids, [b, tp], "i32");
          const x = add(
            concat([model.visualTokens(images), lm.tokEmbed.forward(ids)], 1),
            slice(lm.pos, 0, 0, s),
          );
          const hidden = cachedBlocks(lm, x, cache, null);
          const last = Int32Array.from(prompts.lengths, (n, r) => r * s + p + n - 1);
          const rows = gather(reshape(hidden, [b * s, -1]), 0, tensor(last, [b], "i32"));
          return keep(argmax(lm.head.forward(rows)));
        });
        unread.push(tok);
        steps = 1;
        flush();
        while (steps < maxNew) {
          if (steps % checkEvery === 0) {
            await read();
            if (finished.every(Boolean)) break;
          }
          // Step k feeds the token made at step k − 1 at position P + n_b + k − 1.
          const start = Int32Array.from(prompts.lengths, (n) => p + n + steps - 1);
          const prev: Tensor = tok;
          tok = tidy(() => {
            const pos = tensor(start, [b], "i32");
            const x = add(lm.tokEmbed.forward(prev), gather(lm.pos, 0, pos));
            const lengths = tensor(start.map((v) => v + 1), [b], "i32");
            const hidden = cachedBlocks(lm, reshape(x, [b, 1, -1]), cache, {
              start: pos,
              lengths,
            });
            return keep(argmax(lm.head.forward(reshape(hidden, [b, -1]))));
          });
          if (!unread.includes(prev)) prev.dispose(); // read already, no longer an input
          unread.push(tok);
          steps += 1;
          flush();
        }
        if (unread.length > 0 && !finished.every(Boolean)) await read();
        return { tokens: out, finished, steps, readbacks };
      } finally {
        for (const t of [...unread, ...cache.k, ...cache.v]) t.dispose();
        tok?.dispose();
      }
    }));
}
