/**
 * The MLLM stages' data, in the chat format (src/mllm/chat.ts), as pure functions of
 * (seed, step) through `BatchOrder`:
 *
 * - `ChatData`: one response per image — captions (Stage 1a), the instruction mix's chosen
 *   responses (Stage 1b), the preference set's chosen responses (the SFT arm);
 * - `PreferenceData`: the preference set with chosen and rejected responses, in the full or
 *   the clear-answer form, and the rejected tokens inside the diff spans (unlikelihood).
 *
 * Examples whose prompt + response exceed the LM's text positions are dropped and counted.
 * Batches are right-padded to a multiple of 8 tokens (few distinct shapes, so pooled buffers
 * and pipelines are reused).
 * @module
 */

import { type Tensor, tensor } from "../../tensor/tensor.ts";
import { BatchOrder } from "../../data/order.ts";
import { imageTensor } from "../../data/images.ts";
import { batchEncoded, encodePrompt, encodeResponse, IGNORE } from "../../mllm/chat.ts";
import { CAPTION_PROMPT } from "../../mllm/chat.ts";
import { worldTokenizer } from "../../world/tokenizer.ts";
import type { CaptionRecord, QuestionRecord, SplitData } from "../../world/splits.ts";
import type { QuestionItem } from "../../world/items.ts";
import type { DataCondition } from "../../protocol/posttrain.ts";

const PAD_MULTIPLE = 8;

/** One encoded chat example and the split image it shows. */
export interface EncodedChat {
  image: number;
  prompt: number[];
  response: number[];
}

/** A batch of one response per image, on the GPU. */
export interface ChatTensors {
  images: Tensor;
  ids: Tensor;
  labels: Tensor;
  /** Split items in the batch. */
  indices: Int32Array;
}

function padTo(n: number): number {
  return Math.ceil(n / PAD_MULTIPLE) * PAD_MULTIPLE;
}

/** Chat examples of a split: captions, or a question split's chosen responses. */
export function chatExamples(
  split: SplitData,
  opts: { count?: number; condition?: DataCondition } = {},
): EncodedChat[] {
  const tok = worldTokenizer();
  const n = Math.min(opts.count ?? split.count, split.count);
  const out: EncodedChat[] = [];
  for (let i = 0; i < n; i++) {
    const r = split.records[i];
    if (split.kind === "captions") {
      out.push({
        image: i,
        prompt: encodePrompt(tok, CAPTION_PROMPT),
        response: encodeResponse(tok, (r as CaptionRecord).caption.text),
      });
    } else if (split.kind === "questions") {
      const item = (r as QuestionRecord).item;
      const response = opts.condition === "clear" ? item.chosenClear : item.chosen;
      out.push({
        image: i,
        prompt: encodePrompt(tok, item.question),
        response: encodeResponse(tok, response),
      });
    } else {
      throw new Error(`split ${split.name} (${split.kind}) has no chat examples`);
    }
  }
  return out;
}

/** One-response-per-image batches (Stages 1a, 1b and the SFT arm). */
export class ChatData {
  readonly examples: EncodedChat[];
  readonly dropped: number;
  readonly order: BatchOrder;

  constructor(
    readonly split: SplitData,
    examples: EncodedChat[],
    opts: { batch: number; seed: number; maxText: number },
  ) {
    this.examples = examples.filter((e) => e.prompt.length + e.response.length <= opts.maxText);
    this.dropped = examples.length - this.examples.length;
    if (this.examples.length < opts.batch) {
      throw new Error(
        `${split.name}: ${this.examples.length} usable examples, fewer than the batch ` +
          `${opts.batch} (${this.dropped} longer than ${opts.maxText} text tokens)`,
      );
    }
    this.order = new BatchOrder(this.examples.length, opts.batch, opts.seed);
  }

  /** The batch of optimizer step `step`. */
  batch(step: number): ChatTensors {
    const indices = this.order.indices(step);
    const rows = [...indices].map((k) => this.examples[k]);
    const longest = Math.max(...rows.map((r) => r.prompt.length + r.response.length));
    const b = batchEncoded(rows, worldTokenizer().special.pad, { padTo: padTo(longest) });
    const images = Int32Array.from(rows, (r) => r.image);
    return {
      images: imageTensor(this.split, images),
      ids: tensor(b.ids, [b.batch, b.tokens], "i32"),
      labels: tensor(b.labels, [b.batch, b.tokens], "i32"),
      indices: images,
    };
  }
}

/** One encoded preference item. */
export interface EncodedPreference {
  /** Index in the preference split (also its row in the reference cache). */
  item: number;
  prompt: number[];
  chosen: number[];
  rejected: number[];
  /** Token positions of `rejected` (its own indices) inside the diff spans. */
  rejectedDiff: number[];
}

/** The rows of a preference batch as CPU arrays (2N rows: chosen, then rejected). */
export interface PreferenceArrays {
  items: number;
  tokens: number;
  ids: Int32Array;
  labels: Int32Array;
  responseMask: Float32Array;
  /** Labels of the chosen rows only (−100 on rejected rows): the control's SFT part. */
  chosenLabels: Int32Array;
  /** Rejected rows' labels inside the diff spans, −100 elsewhere. */
  diffTargets: Int32Array;
  diffMask: Float32Array;
  diffCount: number;
}

/** Encodes the first `count` items of a preference split in one data condition. */
export function preferenceExamples(
  split: SplitData,
  condition: DataCondition,
  count: number,
): EncodedPreference[] {
  const tok = worldTokenizer();
  if (count > split.count) {
    throw new Error(`${split.name}: ${count} preference items asked, the split has ${split.count}`);
  }
  const out: EncodedPreference[] = [];
  for (let i = 0; i < count; i++) {
    const it: QuestionItem = (split.records[i] as QuestionRecord).item;
    const clear = condition === "clear";
    const spans = clear ? it.clearSpans : it.spans;
    const diff: number[] = [];
    for (const s of spans) {
      for (let k = s.rejectedTokens[0]; k < s.rejectedTokens[1]; k++) diff.push(k);
    }
    out.push({
      item: i,
      prompt: encodePrompt(tok, it.question),
      chosen: encodeResponse(tok, clear ? it.chosenClear : it.chosen),
      rejected: encodeResponse(tok, clear ? it.rejectedClear : it.rejected),
      rejectedDiff: diff,
    });
  }
  return out;
}

/** Builds the 2N-row arrays of a list of encoded items (padded to a multiple of 8). */
export function preferenceArrays(rows: readonly EncodedPreference[]): PreferenceArrays {
  const n = rows.length;
  const longest = Math.max(
    ...rows.map((r) => r.prompt.length + Math.max(r.chosen.length, r.rejected.length)),
  );
  const b = batchEncoded(
    [
      ...rows.map((r) => ({ prompt: r.prompt, response: r.chosen })),
      ...rows.map((r) => ({ prompt: r.prompt, response: r.rejected })),
    ],
    worldTokenizer().special.pad,
    { padTo: padTo(longest) },
  );
  const t = b.tokens;
  const chosenLabels = b.labels.slice();
  chosenLabels.fill(IGNORE, n * t);
  const diffTargets = new Int32Array(2 * n * t).fill(IGNORE);
  const diffMask = new Float32Array(2 * n * t);
  let diffCount = 0;
  rows.forEach((r, i) => {
    const row = n + i;
    for (const k of r.rejectedDiff) {
      // Response token k is predicted at position promptLength + k − 1 (chat.ts).
      const at = row * t + r.prompt.length + k - 1;
      diffTargets[at] = b.labels[at];
      diffMask[at] = 1;
      diffCount++;
    }
  });
  return {
    items: n,
    tokens: t,
    ids: b.ids,
    labels: b.labels,
    responseMask: b.responseMask,
    chosenLabels,
    diffTargets,
    diffMask,
    diffCount,
  };
}

/** Preference batches (DPO, unlikelihood, reference log-probs). */
export class PreferenceData {
  readonly examples: EncodedPreference[];
  readonly dropped: number;
  readonly order: BatchOrder;

  constructor(
    readonly split: SplitData,
    examples: EncodedPreference[],
    opts: { batch: number; seed: number; maxText: number },
  ) {
    this.examples = examples.filter((e) =>
      e.prompt.length + Math.max(e.chosen.length, e.rejected.length) <= opts.maxText
    );
    this.dropped = examples.length - this.examples.length;
    if (this.examples.length < opts.batch) {
      throw new Error(
        `${split.name}: ${this.examples.length} usable preference items, fewer than the ` +
          `batch ${opts.batch}`,
      );
    }
    this.order = new BatchOrder(this.examples.length, opts.batch, opts.seed);
  }

  /** The encoded items of optimizer step `step`. */
  rows(step: number): EncodedPreference[] {
    return [...this.order.indices(step)].map((k) => this.examples[k]);
  }

  /** Images [N, H, W, 3] of some items. */
  images(rows: readonly EncodedPreference[]): Tensor {
    return imageTensor(this.split, rows.map((r) => r.item));
  }
}
