/**
 * Greedy generation with the KV cache: token for token equal to re-running the full
 * forward each step (no cache) on a tiny random model with prompts of different lengths,
 * for several readback schedules and with <eos> stops; and a tiny model trained for a
 * few dozen steps generates its fixed, image-dependent responses.
 */

import assert from "node:assert/strict";
import { generate } from "../../src/mllm/generate.ts";
import { padPrompts, type PromptBatch } from "../../src/mllm/chat.ts";
import type { MLLM } from "../../src/mllm/model.ts";
import { AdamW, decayGroups } from "../../src/nn/adamw.ts";
import { noGrad, type Tensor, tensor } from "../../src/tensor/tensor.ts";
import { keep, tidy } from "../../src/tensor/scope.ts";
import { backward } from "../../src/tensor/autograd.ts";
import { flush } from "../../src/gpu/batch.ts";
import { memoryStats } from "../../src/gpu/pool.ts";
import { gpuReady, Rng } from "../helpers.ts";
import { randomizeForCheck } from "../nn/tiny_models.ts";
import { tintChat, TINY_IDS, TINY_MLLM, tinyMLLM } from "./tiny_mllm.ts";

await gpuReady();

const CONFIG = { ...TINY_MLLM, lm: { ...TINY_MLLM.lm, maxLen: 40 } };
const SIZE = CONFIG.vit.imageSize;

/** Greedy tokens by re-running the whole forward on prompt + tokens so far (no cache). */
async function generateNoCache(
  model: MLLM,
  images: Tensor,
  prompts: PromptBatch,
  steps: number,
): Promise<number[][]> {
  const { batch: b, tokens: tp } = prompts;
  const rows = Array.from(
    { length: b },
    (_, r) => Array.from(prompts.ids.slice(r * tp, r * tp + prompts.lengths[r])),
  );
  const out: number[][] = rows.map(() => []);
  model.eval();
  for (let k = 0; k < steps; k++) {
    const padded = padPrompts(rows.map((r, i) => [...r, ...out[i]]), TINY_IDS.pad);
    const logits = await noGrad(() =>
      tidy(() => model.forward(images, tensor(padded.ids, [b, padded.tokens], "i32")).data())
    );
    const v = CONFIG.lm.vocab;
    for (let r = 0; r < b; r++) {
      const at = (r * padded.tokens + padded.lengths[r] - 1) * v;
      let best = 0;
      for (let j = 1; j < v; j++) if (logits[at + j] > logits[at + best]) best = j;
      out[r].push(best);
    }
  }
  model.train();
  return out;
}

function images(n: number, seed: number): Float32Array {
  return new Rng(seed).normals(n * SIZE * SIZE * 3, 0.5);
}

Deno.test("generation with the KV cache equals re-running the full forward, token for token", async () => {
  const model = tinyMLLM(31, CONFIG);
  randomizeForCheck(model, new Rng(32)); // large logits: no near-ties for argmax
  const b = 3;
  const img = keep(tensor(images(b, 33), [b, SIZE, SIZE, 3]));
  const prompts = padPrompts([[1, 5, 12, 6], [1, 5, 13, 14, 15, 16, 6], [1, 5, 17, 6, 9]], 0);
  const maxNew = CONFIG.lm.maxLen - model.visualCount - prompts.tokens + 1;
  const expected = await generateNoCache(model, img, prompts, maxNew);
  console.log(`no-cache tokens: ${JSON.stringify(expected)}`);
  for (const checkEvery of [1, 3, 8, 100]) {
    const g = await generate(model, img, prompts, { eos: -1, maxNew, checkEvery });
    assert.deepEqual(g.tokens, expected, `checkEvery ${checkEvery}`);
    assert.deepEqual(g.finished, [false, false, false]);
    assert.equal(g.steps, maxNew);
    assert.equal(
      g.readbacks,
      Math.ceil(maxNew / checkEvery),
      `readbacks at checkEvery ${checkEvery}`,
    );
  }
  // Stops: with <eos> = a token some row makes, each row ends before its first one, and
  // generation ends early once every row has stopped.
  const eos = expected[1][2];
  const g = await generate(model, img, prompts, { eos, maxNew, checkEvery: 2 });
  expected.forEach((row, r) => {
    const end = row.indexOf(eos);
    assert.deepEqual(g.tokens[r], end < 0 ? row : row.slice(0, end), `row ${r}`);
    assert.equal(g.finished[r], end >= 0);
  });
  const all = Math.max(...expected.map((row) => row.indexOf(eos)));
  if (expected.every((row) => row.includes(eos))) assert.ok(g.steps <= all + 3);
  assert.throws(
    () => generate(model, img, prompts, { eos, maxNew: maxNew + 1 }),
    /exceed the LM's maxLen/,
  );
  img.dispose();
  model.dispose();
});

Deno.test("a tiny MLLM trained on fixed image-dependent responses generates them", async () => {
  const model = tinyMLLM(41, CONFIG);
  const opt = new AdamW(decayGroups(model.parameters(), { lr: 1e-2, weightDecay: 0.01 }), {
    maxGradNorm: 1,
  });
  const b = 6;
  const { images: pixels, batch } = tintChat(b, SIZE, 42);
  const img = keep(tensor(pixels, [b, SIZE, SIZE, 3]));
  const ids = keep(tensor(batch.ids, [b, batch.tokens], "i32"));
  const labels = keep(tensor(batch.labels, [b, batch.tokens], "i32"));
  for (let k = 0; k < 40; k++) {
    tidy(() => {
      backward(model.loss(img, ids, labels, { seed: k }));
      opt.step();
    });
    opt.zeroGrad();
    flush();
  }
  const prompts = padPrompts(
    Array.from(
      { length: b },
      (_, r) =>
        Array.from(batch.ids.slice(r * batch.tokens, r * batch.tokens + batch.promptLengths[r])),
    ),
    TINY_IDS.pad,
  );
  const before = memoryStats().liveBytes;
  const g = await generate(model, img, prompts, { eos: TINY_IDS.eos, maxNew: 8 });
  assert.equal(memoryStats().liveBytes, before, "generation leaves no live GPU memory");
  console.log(`generated: ${JSON.stringify(g.tokens)}, steps ${g.steps}, readbacks ${g.readbacks}`);
  assert.deepEqual(g.tokens, Array.from({ length: b }, (_, r) => [20 + (r % 3), 30 + (r % 3)]));
  assert.deepEqual(g.finished, new Array(b).fill(true));
  assert.equal(g.readbacks, 1, "all rows stop within the first 8 steps: one readback");
  for (const x of [img, ids, labels]) x.dispose();
  opt.dispose();
  model.dispose();
});
