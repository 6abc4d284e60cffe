/**
 * Texts as model input: token ids of the world's tokenizer, right-padded with `<pad>` into
 * a fixed [N, T] table (one shape for every batch), plus each text's length. Texts longer
 * than T are cut at T and counted, so a caller can see whether T was too short.
 * @module
 */

import { type Tensor, tensor } from "../tensor/tensor.ts";
import { type Tokenizer, worldTokenizer } from "../world/tokenizer.ts";
import { fullCaption } from "../world/captions.ts";
import { Rng, subSeed } from "../world/rng.ts";
import type { CaptionRecord, SceneRecord, SplitData } from "../world/splits.ts";

/** Tokenised texts: ids [count, maxTokens] (row-major), lengths [count]. */
export interface TokenTable {
  ids: Int32Array;
  lengths: Int32Array;
  count: number;
  maxTokens: number;
  /** How many texts were longer than maxTokens and cut. */
  truncated: number;
}

/** Tokenises and pads `texts` to `maxTokens` (default: the longest text). */
export function tokenizeTexts(
  texts: readonly string[],
  maxTokens?: number,
  tokenizer: Tokenizer = worldTokenizer(),
): TokenTable {
  const encoded = texts.map((t) => tokenizer.encode(t));
  const t = maxTokens ?? Math.max(1, ...encoded.map((e) => e.length));
  const pad = tokenizer.special.pad;
  const ids = new Int32Array(texts.length * t).fill(pad);
  const lengths = new Int32Array(texts.length);
  let truncated = 0;
  encoded.forEach((e, i) => {
    if (e.length > t) truncated++;
    const n = Math.min(e.length, t);
    ids.set(e.slice(0, n), i * t);
    lengths[i] = n;
  });
  return { ids, lengths, count: texts.length, maxTokens: t, truncated };
}

/** The caption corpus's stored captions (full, partial or noisy, as sampled). */
export function captionTexts(split: SplitData): string[] {
  if (split.kind !== "captions") {
    throw new Error(`split ${split.name} is a ${split.kind} split, not a caption split`);
  }
  return split.records.map((r) => (r as CaptionRecord).caption.text);
}

/**
 * A full, correct caption of every scene of an image split (phrasing drawn from
 * (seed, split name, index)): the held-out captions of the retrieval check.
 */
export function fullCaptions(split: SplitData, seed: number): string[] {
  if (!split.images) throw new Error(`split ${split.name} has no scenes`);
  return split.records.map((r, i) =>
    fullCaption((r as SceneRecord).scene, new Rng(subSeed(seed, "full-caption", split.name, i)))
  );
}

/** ids i32 [n, T] and lengths i32 [n] of the rows `indices` of a table. */
export function textTensors(
  table: TokenTable,
  indices: ArrayLike<number>,
): { ids: Tensor; lengths: Tensor } {
  const t = table.maxTokens;
  const ids = new Int32Array(indices.length * t);
  const lengths = new Int32Array(indices.length);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    if (!(Number.isInteger(i) && i >= 0 && i < table.count)) {
      throw new Error(`text ${i} is outside the table (${table.count} texts)`);
    }
    ids.set(table.ids.subarray(i * t, (i + 1) * t), k * t);
    lengths[k] = table.lengths[i];
  }
  return {
    ids: tensor(ids, [indices.length, t], "i32"),
    lengths: tensor(lengths, [indices.length], "i32"),
  };
}
