/** The retrieval scoring rules: ranks, ties, duplicate captions and their chance levels. */

import assert from "node:assert/strict";
import { scoreRetrieval } from "../../src/eval/retrieval.ts";

/** sim[i][j] from a function (row = image, column = text). */
function matrix(n: number, f: (i: number, j: number) => number): Float32Array {
  return Float32Array.from({ length: n * n }, (_, k) => f(Math.floor(k / n), k % n));
}

Deno.test("retrieval: perfect, reversed and tied scores; chance k/N with unique captions", () => {
  const n = 10;
  const texts = Array.from({ length: n }, (_, i) => `caption ${i}`);
  const perfect = scoreRetrieval(matrix(n, (i, j) => (i === j ? 1 : 0)), texts);
  assert.deepEqual(perfect.imageToText, { top1: 1, top5: 1 });
  assert.deepEqual(perfect.textToImage, { top1: 1, top5: 1 });
  assert.deepEqual(perfect.chance, { top1: 0.1, top5: 0.5 });
  assert.equal(perfect.sharedCaptions, 0);
  // The right item always scores lowest: never in the top 5 of 10.
  const worst = scoreRetrieval(matrix(n, (i, j) => (i === j ? -1 : 0)), texts);
  assert.deepEqual(worst.imageToText, { top1: 0, top5: 0 });
  // All equal: ties count against the query.
  const flat = scoreRetrieval(matrix(n, () => 0.5), texts);
  assert.deepEqual(flat.imageToText, { top1: 0, top5: 0 });
  // Image i prefers text (i + 1) mod n, then its own: right at rank 2 (top-5, not top-1).
  const shifted = scoreRetrieval(
    matrix(n, (i, j) => (j === (i + 1) % n ? 2 : i === j ? 1 : 0)),
    texts,
  );
  assert.deepEqual(shifted.imageToText, { top1: 0, top5: 1 });
  assert.deepEqual(shifted.textToImage, { top1: 0, top5: 1 });
});

Deno.test("retrieval: a caption shared by two scenes counts for either; chance follows", () => {
  const texts = ["a", "a", "b", "c"];
  // Image 0 prefers text 1 (the same caption as its own): right.
  const sim = matrix(4, (i, j) => (i === 0 && j === 1 ? 2 : i === j ? 1 : 0));
  const r = scoreRetrieval(sim, texts);
  assert.equal(r.imageToText.top1, 1);
  assert.equal(r.sharedCaptions, 2);
  // Two items with m = 2 of 4: P(top-1 right) = 1/2; two with m = 1: 1/4.
  assert.equal(r.chance.top1, (0.5 + 0.5 + 0.25 + 0.25) / 4);
  assert.equal(r.chance.top5, 1);
  assert.throws(() => scoreRetrieval(new Float32Array(3), texts), /scores/);
});
