/**
 * A deterministic word-level tokenizer. Words, numbers and single punctuation marks are
 * tokens; `<name>` special tokens are recognised in text. The vocabulary is built from the
 * world's templates and value tables, sorted, after the special tokens, so ids never depend on
 * sampled data.
 *
 * Canonical spacing (what decode writes): tokens are separated by one space, except that no
 * space precedes . , ? ! : ; ) and none follows (. Every text the world generates is in this
 * form, so encode → decode is the identity on it.
 */
import {
  COLOUR_NAMES,
  NUMBER_WORDS,
  SHAPES,
  SIGN_GLYPHS,
  SIZE_NAMES,
  TEXTURES,
} from "./catalog.ts";
import { knowledgeSentences, SIGN_MEANINGS } from "./knowledge_table.ts";
import {
  CAPTION_TEMPLATES,
  QUESTION_TEMPLATES,
  RESPONSE_TEMPLATES,
  SLOT_WORDS,
} from "./templates.ts";

/** Special tokens, in id order (ids 0, 1, 2, ...). */
export const SPECIAL_TOKENS = [
  "<pad>",
  "<bos>",
  "<eos>",
  "<unk>",
  "<image>",
  "<user>",
  "<assistant>",
  "<sep>",
] as const;

const TOKEN_PATTERN = /<[a-z]+>|[A-Za-z]+|[0-9]+|[^\sA-Za-z0-9]/g;
const NO_SPACE_BEFORE = new Set([".", ",", "?", "!", ":", ";", ")"]);
const NO_SPACE_AFTER = new Set(["("]);

/** A token with its character range in the source text. */
export interface TokenSpan {
  token: string;
  start: number;
  end: number;
}

/** Splits text into tokens with their character offsets. */
export function splitTokens(text: string): TokenSpan[] {
  const out: TokenSpan[] = [];
  for (const m of text.matchAll(TOKEN_PATTERN)) {
    out.push({ token: m[0], start: m.index, end: m.index + m[0].length });
  }
  return out;
}

function collectStrings(value: unknown, out: string[]): void {
  if (typeof value === "string") out.push(value.replace(/\{\w+\}/g, " "));
  else if (Array.isArray(value)) value.forEach((v) => collectStrings(v, out));
  else if (value && typeof value === "object") {
    Object.values(value).forEach((v) => collectStrings(v, out));
  }
}

/** Every string the world's language is made of (templates with slots removed, value tables). */
export function worldVocabularySources(): string[] {
  const out: string[] = [];
  collectStrings([QUESTION_TEMPLATES, RESPONSE_TEMPLATES, CAPTION_TEMPLATES], out);
  out.push(...SLOT_WORDS, ...COLOUR_NAMES, ...SIZE_NAMES, ...TEXTURES, ...NUMBER_WORDS);
  for (const s of SHAPES) out.push(s.name, s.plural);
  out.push(...SIGN_GLYPHS, ...Object.values(SIGN_MEANINGS), ...knowledgeSentences());
  for (let n = 0; n <= 20; n++) out.push(String(n));
  return out;
}

/** The word-level tokenizer of the world. */
export class Tokenizer {
  /** Token strings by id. */
  readonly vocab: readonly string[];
  readonly #ids: Map<string, number>;

  /** Builds a tokenizer over the given words (specials first, then the words sorted). */
  constructor(words: Iterable<string>) {
    const specials = new Set<string>(SPECIAL_TOKENS);
    const sorted = [...new Set(words)].filter((w) => !specials.has(w)).sort();
    this.vocab = [...SPECIAL_TOKENS, ...sorted];
    this.#ids = new Map(this.vocab.map((t, i) => [t, i]));
  }

  /** Number of tokens, specials included. */
  get vocabSize(): number {
    return this.vocab.length;
  }

  /** Id of a token (throws if it is not in the vocabulary). */
  id(token: string): number {
    const id = this.#ids.get(token);
    if (id === undefined) throw new Error(`token not in vocabulary: ${JSON.stringify(token)}`);
    return id;
  }

  /** Whether a token is in the vocabulary. */
  has(token: string): boolean {
    return this.#ids.has(token);
  }

  /** Token ids of a text; unknown words map to `<unk>`. */
  encode(text: string): number[] {
    const unk = this.#ids.get("<unk>")!;
    return splitTokens(text).map((t) => this.#ids.get(t.token) ?? unk);
  }

  /** Text of token ids, with canonical spacing. */
  decode(ids: readonly number[]): string {
    let out = "";
    let previous = "";
    for (const id of ids) {
      const token = this.vocab[id];
      if (token === undefined) throw new Error(`token id out of range: ${id}`);
      const space = out.length > 0 && !NO_SPACE_BEFORE.has(token) && !NO_SPACE_AFTER.has(previous);
      out += (space ? " " : "") + token;
      previous = token;
    }
    return out;
  }

  /** Ids of the special tokens by name (pad, bos, eos, unk, image, user, assistant, sep). */
  get special(): Record<
    "pad" | "bos" | "eos" | "unk" | "image" | "user" | "assistant" | "sep",
    number
  > {
    const get = (t: string) => this.id(t);
    return {
      pad: get("<pad>"),
      bos: get("<bos>"),
      eos: get("<eos>"),
      unk: get("<unk>"),
      image: get("<image>"),
      user: get("<user>"),
      assistant: get("<assistant>"),
      sep: get("<sep>"),
    };
  }
}

let cached: Tokenizer | null = null;

/** The world's tokenizer (built once from {@link worldVocabularySources}). */
export function worldTokenizer(): Tokenizer {
  if (!cached) {
    const words = worldVocabularySources().flatMap((s) => splitTokens(s).map((t) => t.token));
    cached = new Tokenizer(words);
  }
  return cached;
}
