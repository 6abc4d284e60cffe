/**
 * The visual path end to end: an MLLM trained from random weights on a task only the image
 * can answer ("What colour is the circle?" over single-colour images with pixel noise) must
 * answer unseen images right through greedy KV-cache generation, and must fail when each
 * image is swapped for another's. This guards against a base that learns answer formats but
 * never looks (the loss of a fixed batch can fall by memorising; held-out answers cannot).
 */

import assert from "node:assert/strict";
import { MLLM } from "../../src/mllm/model.ts";
import { chatBatch, promptBatch, responseText } from "../../src/mllm/chat.ts";
import { generate } from "../../src/mllm/generate.ts";
import { worldTokenizer } from "../../src/world/tokenizer.ts";
import { COLOURS } from "../../src/world/catalog.ts";
import { IMAGE_MEAN, IMAGE_STD } from "../../src/data/images.ts";
import { sftLoss } from "../../src/train/losses/sft.ts";
import { AdamW, decayGroups } from "../../src/nn/adamw.ts";
import { Rng } from "../../src/tensor/random.ts";
import { tensor } from "../../src/tensor/tensor.ts";
import { tidy } from "../../src/tensor/scope.ts";
import { backward, zeroGrad } from "../../src/tensor/autograd.ts";
import { sync } from "../../src/gpu/batch.ts";
import { gpuReady } from "../helpers.ts";

const SIZE = 16;
const QUESTION = "What colour is the circle?";
const tok = worldTokenizer();

/** Normalised images [B, S, S, 3] of the given colours, each pixel jittered by ±8 levels. */
function colourImages(colours: number[], rng: Rng) {
  const px = SIZE * SIZE;
  const out = new Float32Array(colours.length * px * 3);
  colours.forEach((c, b) => {
    for (let i = 0; i < px; i++) {
      for (let k = 0; k < 3; k++) {
        const v = (COLOURS[c].rgb[k] + (rng.uniform() - 0.5) * 16) / 255;
        out[(b * px + i) * 3 + k] = (v - IMAGE_MEAN[k]) / IMAGE_STD[k];
      }
    }
  });
  return tensor(out, [colours.length, SIZE, SIZE, 3]);
}

async function accuracy(model: MLLM, shown: number[], asked: number[], rng: Rng) {
  const images = colourImages(shown, rng);
  const prompts = promptBatch(tok, asked.map(() => QUESTION));
  const gen = await generate(model, images, prompts, { eos: tok.special.eos, maxNew: 6 });
  images.dispose();
  const texts = gen.tokens.map((t) => responseText(tok, t));
  return texts.filter((t, i) => t === `Answer: ${COLOURS[asked[i]].name}.`).length / asked.length;
}

Deno.test("an MLLM from random weights learns to answer from the image, and only from it", async () => {
  await gpuReady();
  const rng = new Rng(3);
  const model = new MLLM({
    vit: { imageSize: SIZE, patch: 4, channels: 3, width: 32, depth: 2, heads: 2, mlpRatio: 2 },
    lm: { vocab: tok.vocabSize, maxLen: 32, width: 32, depth: 2, heads: 2, mlpRatio: 2 },
  }, rng);
  const opt = new AdamW(decayGroups(model.parameters(), { lr: 3e-3, weightDecay: 0 }), {
    maxGradNorm: 1,
  });
  const n = COLOURS.length;
  for (let step = 0; step < 120; step++) {
    const colours = Array.from({ length: 16 }, () => rng.int(n));
    const b = chatBatch(
      tok,
      colours.map((c) => ({ question: QUESTION, response: `Answer: ${COLOURS[c].name}.` })),
    );
    tidy(() => {
      zeroGrad(model.parameters());
      const logits = model.forward(
        colourImages(colours, rng),
        tensor(b.ids, [b.batch, b.tokens], "i32"),
      );
      backward(sftLoss(logits, tensor(b.labels, [b.batch, b.tokens], "i32")));
      opt.step(1);
    });
  }
  await sync();
  const held = Array.from({ length: 3 * n }, (_, i) => i % n);
  const swapped = held.map((c) => (c + 1 + (c % 3)) % n); // every image another colour's
  const seen = await accuracy(model, held, held, rng);
  const blind = await accuracy(model, swapped, held, rng);
  assert.ok(seen >= 0.9, `held-out images answered right: ${seen} (want ≥ 0.9)`);
  assert.ok(blind <= 0.2, `answers with another colour's image: ${blind} (want ≤ 0.2)`);
  model.dispose();
});
