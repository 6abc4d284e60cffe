/**
 * The chat format and its batching (pure CPU code).
 *
 * One example is the token sequence
 *
 *     <bos> <user> {question} <assistant> {response} <eos>
 *
 * and the image enters as the MLLM's prefix (its projected patch tokens come before
 * `<bos>`); the `<image>` token is not used. The prompt is `<bos> <user> {question}
 * <assistant>`; the response is `{response} <eos>`. Caption examples (Stage 1a) use the
 * same format with the fixed question `CAPTION_PROMPT`.
 *
 * Batches are right-padded with `<pad>` to a common length T (the causal mask already
 * hides right padding from every real token, so no key-padding mask is needed). Labels are
 * aligned with the logits: `labels[b, t]` is the target of `logits[b, t]`, i.e. `ids[b, t+1]`
 * when that token belongs to the response (its `<eos>` included), and −100 everywhere else
 * (prompt, padding, last position). `responseMask` is 1 exactly where a label is set, for
 * summed response log-probs (`sequenceLogProbs(logits, labels, responseMask)`).
 * @module
 */

/** Marks a position without a target (as `crossEntropy`'s default `ignoreIndex`). */
export const IGNORE = -100;

/** The question of caption examples (one of the world's caption question phrasings). */
export const CAPTION_PROMPT = "Describe the picture briefly.";

/** What the chat format needs of a tokenizer (the world's `Tokenizer` fits). */
export interface ChatTokenizer {
  encode(text: string): number[];
  decode(ids: readonly number[]): string;
  readonly special: { pad: number; bos: number; eos: number; user: number; assistant: number };
}

/** A question and a response (the response is the training target). */
export interface ChatExample {
  question: string;
  response: string;
}

/** A preference item: one question, a chosen and a rejected response. */
export interface PreferenceExample {
  question: string;
  chosen: string;
  rejected: string;
}

/** A padded batch of chat sequences, row-major [batch, tokens]. */
export interface ChatBatch {
  batch: number;
  /** Padded length T. */
  tokens: number;
  /** i32 [B, T]: the sequences, right-padded with `<pad>`. */
  ids: Int32Array;
  /** i32 [B, T]: the target of each position (see the module comment), −100 where none. */
  labels: Int32Array;
  /** f32 [B, T]: 1 where `labels` is a response token, else 0. */
  responseMask: Float32Array;
  /** Real tokens per row (prompt + response). */
  lengths: Int32Array;
  /** Prompt tokens per row (the response starts at this index). */
  promptLengths: Int32Array;
}

/** A padded batch of prompts for generation. */
export interface PromptBatch {
  batch: number;
  tokens: number;
  /** i32 [B, T]: prompts right-padded with `<pad>`. */
  ids: Int32Array;
  /** Prompt tokens per row. */
  lengths: Int32Array;
}

/** `<bos> <user> {question} <assistant>`. */
export function encodePrompt(tok: ChatTokenizer, question: string): number[] {
  const s = tok.special;
  return [s.bos, s.user, ...tok.encode(question), s.assistant];
}

/** `{response} <eos>`. */
export function encodeResponse(tok: ChatTokenizer, response: string): number[] {
  return [...tok.encode(response), tok.special.eos];
}

/** A caption as a chat example: the fixed caption prompt, the caption as the response. */
export function captionExample(caption: string): ChatExample {
  return { question: CAPTION_PROMPT, response: caption };
}

function padLength(op: string, longest: number, padTo?: number): number {
  if (padTo === undefined) return longest;
  if (padTo < longest) {
    throw new Error(`${op}: a sequence of ${longest} tokens does not fit padTo = ${padTo}`);
  }
  return padTo;
}

/** Batches already-encoded (prompt, response) pairs; see `chatBatch`. */
export function batchEncoded(
  rows: { prompt: readonly number[]; response: readonly number[] }[],
  pad: number,
  opts: { padTo?: number } = {},
): ChatBatch {
  const b = rows.length;
  const longest = Math.max(0, ...rows.map((r) => r.prompt.length + r.response.length));
  const t = padLength("chatBatch", longest, opts.padTo);
  const ids = new Int32Array(b * t).fill(pad);
  const labels = new Int32Array(b * t).fill(IGNORE);
  const responseMask = new Float32Array(b * t);
  const lengths = new Int32Array(b);
  const promptLengths = new Int32Array(b);
  rows.forEach(({ prompt, response }, r) => {
    if (prompt.length === 0) {
      throw new Error("chatBatch: an empty prompt has no position to predict from");
    }
    const seq = [...prompt, ...response];
    ids.set(seq, r * t);
    lengths[r] = seq.length;
    promptLengths[r] = prompt.length;
    // Position t − 1 predicts token t: response token k sits at prompt.length + k.
    for (let k = 0; k < response.length; k++) {
      const at = r * t + prompt.length + k - 1;
      labels[at] = response[k];
      responseMask[at] = 1;
    }
  });
  return { batch: b, tokens: t, ids, labels, responseMask, lengths, promptLengths };
}

/** Encodes and batches chat examples (right-padded; `padTo` fixes T). */
export function chatBatch(
  tok: ChatTokenizer,
  examples: readonly ChatExample[],
  opts: { padTo?: number } = {},
): ChatBatch {
  const rows = examples.map((e) => ({
    prompt: encodePrompt(tok, e.question),
    response: encodeResponse(tok, e.response),
  }));
  return batchEncoded(rows, tok.special.pad, opts);
}

/**
 * A batch of 2·N rows for preference losses: rows 0 … N−1 hold the chosen responses, rows
 * N … 2N−1 the rejected ones, each after the same prompt as its partner (row i and row
 * N + i share image and prompt). One common T, so one forward scores both.
 */
export function preferenceBatch(
  tok: ChatTokenizer,
  items: readonly PreferenceExample[],
  opts: { padTo?: number } = {},
): ChatBatch {
  const prompts = items.map((it) => encodePrompt(tok, it.question));
  const rows = [
    ...items.map((it, i) => ({ prompt: prompts[i], response: encodeResponse(tok, it.chosen) })),
    ...items.map((it, i) => ({ prompt: prompts[i], response: encodeResponse(tok, it.rejected) })),
  ];
  return batchEncoded(rows, tok.special.pad, opts);
}

/** Encodes and right-pads prompts for generation (`padTo` fixes T). */
export function promptBatch(
  tok: ChatTokenizer,
  questions: readonly string[],
  opts: { padTo?: number } = {},
): PromptBatch {
  return padPrompts(questions.map((q) => encodePrompt(tok, q)), tok.special.pad, opts);
}

/** Right-pads already-encoded prompts. */
export function padPrompts(
  prompts: readonly (readonly number[])[],
  pad: number,
  opts: { padTo?: number } = {},
): PromptBatch {
  const b = prompts.length;
  const t = padLength("promptBatch", Math.max(1, ...prompts.map((p) => p.length)), opts.padTo);
  const ids = new Int32Array(b * t).fill(pad);
  const lengths = new Int32Array(b);
  prompts.forEach((p, r) => {
    if (p.length === 0) throw new Error("promptBatch: empty prompt");
    ids.set(p, r * t);
    lengths[r] = p.length;
  });
  return { batch: b, tokens: t, ids, lengths };
}

/** The response text of generated ids: everything before the first `<eos>`, decoded. */
export function responseText(tok: ChatTokenizer, ids: readonly number[]): string {
  const end = ids.indexOf(tok.special.eos);
  return tok.decode(end < 0 ? ids : ids.slice(0, end));
}
