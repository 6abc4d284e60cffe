import assert from "node:assert/strict";
import {
  type QuestionRecord,
  Rng,
  SPECIAL_TOKENS,
  subSeed,
  Tokenizer,
  worldTokenizer,
} from "../../src/world/mod.ts";
import { tinyWorld } from "./fixture.ts";

Deno.test("rng: same seed, same stream; sub-seeds differ by key", () => {
  const a = new Rng(42);
  const b = new Rng(42);
  const xs = Array.from({ length: 100 }, () => a.nextUint32());
  assert.deepEqual(xs, Array.from({ length: 100 }, () => b.nextUint32()));
  assert.notEqual(subSeed(1, "test", 0), subSeed(1, "val", 0));
  assert.notEqual(subSeed(1, "test", 0), subSeed(1, "test", 1));
  assert.notEqual(subSeed(1, "test", 0), subSeed(2, "test", 0));
  const rng = new Rng(3);
  const counts = new Array(6).fill(0);
  for (let i = 0; i < 60000; i++) counts[rng.int(1, 6) - 1]++;
  for (const c of counts) {
    assert.ok(Math.abs(c - 10000) < 500, `int(1, 6) is not uniform: ${counts}`);
  }
});

Deno.test("tokenizer: specials first, vocabulary from templates only, deterministic", () => {
  const tok = worldTokenizer();
  assert.deepEqual(tok.vocab.slice(0, SPECIAL_TOKENS.length), [...SPECIAL_TOKENS]);
  assert.deepEqual(tok.special, {
    pad: 0,
    bos: 1,
    eos: 2,
    unk: 3,
    image: 4,
    user: 5,
    assistant: 6,
    sep: 7,
  });
  const rest = tok.vocab.slice(SPECIAL_TOKENS.length);
  assert.deepEqual(rest, [...rest].sort());
  assert.equal(new Set(tok.vocab).size, tok.vocabSize);
  assert.ok(tok.has("Answer") && tok.has(":") && tok.has("7") && tok.has("hexagon"));
  assert.deepEqual(tok.encode("<image> <user> zebra"), [4, 5, 3]);
  const small = new Tokenizer(["b", "a", "."]);
  assert.deepEqual(small.vocab.slice(SPECIAL_TOKENS.length), [".", "a", "b"]);
});

Deno.test("tokenizer: every text the world generates round-trips with no unknown token", async () => {
  const { splits } = await tinyWorld();
  const tok = worldTokenizer();
  const texts: string[] = [];
  for (const split of splits.values()) {
    for (const record of split.records) {
      if (typeof record === "string") texts.push(record);
      else if ("item" in record) {
        const { item } = record as QuestionRecord;
        texts.push(item.question, item.chosen, item.rejected, item.chosenClear, item.rejectedClear);
      } else if ("caption" in record) texts.push(record.caption.text);
    }
  }
  assert.ok(texts.length > 5000);
  for (const text of texts) {
    const ids = tok.encode(text);
    assert.ok(!ids.includes(tok.special.unk), `unknown token in: ${text}`);
    assert.equal(tok.decode(ids), text);
  }
  const framed = `<bos> <image> <user> What colour is the star? <assistant> Answer: red. <eos>`;
  assert.equal(tok.decode(tok.encode(framed)), framed);
});
