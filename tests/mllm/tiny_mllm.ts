/**
 * The tiny MLLM and fixed chat batch shared by the MLLM tests: small enough for central
 * differences of every parameter in float64, and a task a few AdamW steps can learn
 * (each image's tint decides the response).
 */

import { MLLM, type MLLMConfig } from "../../src/mllm/model.ts";
import { batchEncoded, type ChatBatch } from "../../src/mllm/chat.ts";
import { Rng } from "../../src/tensor/random.ts";
import type { MLLMRefConfig } from "../ref/mllm.ts";

/** 16×16 images, patch 4 (16 visual tokens), ViT width 16 depth 2; LM width 16 depth 2, V = 40. */
export const TINY_MLLM: MLLMConfig = {
  vit: { imageSize: 16, patch: 4, channels: 3, width: 16, depth: 2, heads: 2, mlpRatio: 2 },
  lm: { vocab: 40, maxLen: 24, width: 16, depth: 2, heads: 2, mlpRatio: 2 },
};

/** Special ids of the tiny vocabulary (as the world tokenizer's first ids). */
export const TINY_IDS = { pad: 0, bos: 1, eos: 2, user: 5, assistant: 6 };

/** The reference config of a tiny MLLM at batch `b` and T tokens. */
export function refConfig(c: MLLMConfig, batch: number, tokens: number): MLLMRefConfig {
  const depth = c.vit.depth;
  const layer = c.visionLayer ?? -2;
  return {
    batch,
    imageSize: c.vit.imageSize,
    patch: c.vit.patch,
    channels: c.vit.channels,
    vitWidth: c.vit.width,
    vitHeads: c.vit.heads,
    vitHidden: c.vit.width * (c.vit.mlpRatio ?? 4),
    vitBlocks: layer < 0 ? depth + 1 + layer : layer,
    lm: {
      tokens,
      vocab: c.lm.vocab,
      maxLen: c.lm.maxLen,
      width: c.lm.width,
      depth: c.lm.depth,
      heads: c.lm.heads,
      hidden: c.lm.width * (c.lm.mlpRatio ?? 4),
    },
  };
}

/**
 * `n` examples: image i is noise plus a tint of channel i % 3; the prompt is
 * `<bos> <user> q… <assistant>` and the response two tokens naming the channel, then
 * `<eos>`. Rows have different prompt lengths, so the batch is padded.
 */
export function tintChat(n: number, size: number, seed: number, padTo?: number): {
  images: Float32Array;
  batch: ChatBatch;
} {
  const rng = new Rng(seed);
  const images = new Float32Array(n * size * size * 3);
  const rows = [];
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    for (let px = 0; px < size * size; px++) {
      for (let ch = 0; ch < 3; ch++) {
        images[(i * size * size + px) * 3 + ch] = rng.uniform() * 0.5 + (ch === c ? 0.5 : 0);
      }
    }
    const question = Array.from({ length: 1 + (i % 2) }, () => 10 + rng.int(10));
    rows.push({
      prompt: [TINY_IDS.bos, TINY_IDS.user, ...question, TINY_IDS.assistant],
      response: [20 + c, 30 + c, TINY_IDS.eos],
    });
  }
  return { images, batch: batchEncoded(rows, TINY_IDS.pad, { padTo }) };
}

/** A tiny MLLM with a seeded init. */
export function tinyMLLM(seed: number, config: MLLMConfig = TINY_MLLM): MLLM {
  return new MLLM(config, new Rng(seed));
}
