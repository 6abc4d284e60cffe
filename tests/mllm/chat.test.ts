import assert from "node:assert/strict";
import { worldTokenizer } from "../../src/world/tokenizer.ts";
import {
  CAPTION_PROMPT,
  captionExample,
  chatBatch,
  encodePrompt,
  IGNORE,
  preferenceBatch,
  promptBatch,
  responseText,
} from "../../src/mllm/chat.ts";

const tok = worldTokenizer();
const S = tok.special;
const row = (
  a: ArrayLike<number>,
  r: number,
  t: number,
) => [...Array.from(a).slice(r * t, r * t + t)];

Deno.test("chat format: <bos> <user> question <assistant> response <eos>", () => {
  const b = chatBatch(tok, [{ question: "What colour is the circle?", response: "It is red." }]);
  const ids = row(b.ids, 0, b.tokens);
  assert.equal(
    tok.decode(ids),
    "<bos> <user> What colour is the circle? <assistant> It is red. <eos>",
  );
  assert.equal(b.promptLengths[0], encodePrompt(tok, "What colour is the circle?").length);
  assert.equal(b.lengths[0], ids.length);
  assert.ok(!ids.includes(S.unk));
});

Deno.test("chat batch: right padding, labels shifted onto the response (with <eos>) only", () => {
  const examples = [
    { question: "How many shapes are there?", response: "There are three shapes. Answer: 3." },
    { question: "What colour is the square?", response: "Blue." },
    { question: CAPTION_PROMPT, response: "A red circle." },
  ];
  const b = chatBatch(tok, examples);
  assert.equal(b.tokens, Math.max(...b.lengths));
  for (let r = 0; r < b.batch; r++) {
    const ids = row(b.ids, r, b.tokens);
    const labels = row(b.labels, r, b.tokens);
    const mask = row(b.responseMask, r, b.tokens);
    const [p, n] = [b.promptLengths[r], b.lengths[r]];
    const response = tok.encode(examples[r].response).concat(S.eos);
    assert.equal(n - p, response.length);
    for (let t = 0; t < b.tokens; t++) {
      const isTarget = t >= p - 1 && t < n - 1;
      assert.equal(labels[t], isTarget ? ids[t + 1] : IGNORE, `row ${r} position ${t}`);
      assert.equal(mask[t], isTarget ? 1 : 0);
      if (t >= n) assert.equal(ids[t], S.pad);
    }
    assert.deepEqual(labels.filter((l) => l !== IGNORE), response);
  }
});

Deno.test("preference batch: chosen rows then rejected rows, sharing each prompt", () => {
  const items = [
    { question: "What colour is the circle?", chosen: "It is red.", rejected: "It is green." },
    { question: "How many shapes are there?", chosen: "Answer: 2.", rejected: "Answer: 3." },
  ];
  const b = preferenceBatch(tok, items);
  assert.equal(b.batch, 4);
  for (let i = 0; i < 2; i++) {
    const p = b.promptLengths[i];
    assert.equal(b.promptLengths[2 + i], p);
    assert.deepEqual(row(b.ids, i, b.tokens).slice(0, p), row(b.ids, 2 + i, b.tokens).slice(0, p));
  }
  const chosen = chatBatch(
    tok,
    items.map((it) => ({ question: it.question, response: it.chosen })),
    {
      padTo: b.tokens,
    },
  );
  assert.deepEqual([...b.ids.slice(0, 2 * b.tokens)], [...chosen.ids]);
  assert.deepEqual([...b.labels.slice(0, 2 * b.tokens)], [...chosen.labels]);
  assert.equal(
    tok.decode(row(b.ids, 2, b.tokens).slice(0, b.lengths[2])).endsWith("It is green. <eos>"),
    true,
  );
});

Deno.test("caption examples use the fixed prompt, which the world tokenizer knows", () => {
  const e = captionExample("A small blue square.");
  assert.equal(e.question, CAPTION_PROMPT);
  assert.ok(!tok.encode(CAPTION_PROMPT).includes(S.unk));
});

Deno.test("prompt batch and padTo; response text stops at <eos>", () => {
  const p = promptBatch(tok, ["What colour is the circle?", "How many shapes are there?"], {
    padTo: 12,
  });
  assert.equal(p.tokens, 12);
  assert.deepEqual([...p.lengths], [9, 9]);
  assert.equal(
    tok.decode([...p.ids.slice(0, 9)]),
    "<bos> <user> What colour is the circle? <assistant>",
  );
  assert.equal(p.ids[9], S.pad);
  assert.throws(() => promptBatch(tok, ["What colour is the circle?"], { padTo: 4 }), /padTo/);
  const ids = [...tok.encode("It is red."), S.eos, ...tok.encode("It is blue.")];
  assert.equal(responseText(tok, ids), "It is red.");
});
