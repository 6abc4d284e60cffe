/**
 * Batching of world splits: the order is a pure function of (seed, step) with each epoch a
 * permutation; a batch's images decode back to the world's exact pixels, its ids back to
 * the exact caption text, its labels are the records' labels.
 */

import assert from "node:assert/strict";
import { BatchOrder, epochPermutation } from "../../src/data/order.ts";
import { denormalizeImages, normalizedImages } from "../../src/data/images.ts";
import { fullCaptions, tokenizeTexts } from "../../src/data/text.ts";
import { CaptionBatches, LabelBatches } from "../../src/data/batches.ts";
import { splitImage, worldTokenizer } from "../../src/world/mod.ts";
import type { CaptionRecord, ClassificationRecord } from "../../src/world/splits.ts";
import { tidy } from "../../src/tensor/scope.ts";
import { gpuReady } from "../helpers.ts";
import { tinyDataWorld } from "./fixture.ts";

await gpuReady();

Deno.test("BatchOrder: each epoch a permutation, pure in (seed, step), seeds and epochs differ", () => {
  const order = new BatchOrder(103, 10, 5);
  assert.equal(order.stepsPerEpoch, 10);
  for (const epoch of [0, 1, 7]) {
    const seen = new Set<number>();
    for (let s = 0; s < 10; s++) {
      for (const i of order.indices(epoch * 10 + s)) seen.add(i);
    }
    assert.equal(seen.size, 100, `epoch ${epoch}: 100 distinct items`);
  }
  // Random access in any order gives the same batches as a fresh order.
  const again = new BatchOrder(103, 10, 5);
  for (const s of [73, 3, 0, 55, 3, 99]) assert.deepEqual(again.indices(s), order.indices(s));
  assert.notDeepEqual(epochPermutation(103, 5, 0), epochPermutation(103, 5, 1));
  assert.notDeepEqual(epochPermutation(103, 5, 0), epochPermutation(103, 6, 0));
  assert.deepEqual([...epochPermutation(103, 5, 2)].sort((a, b) => a - b), [...Array(103).keys()]);
  assert.throws(() => new BatchOrder(5, 6, 1), /batch size/);
});

Deno.test("caption batches: pixels and captions decode back to the world's", async () => {
  const world = await tinyDataWorld();
  const split = await world.split("captions");
  const tok = worldTokenizer();
  const batches = new CaptionBatches(split, { batchSize: 16, seed: 3 });
  assert.equal(batches.tokens.truncated, 0);
  await tidy(async () => {
    for (const step of [0, 17, 18]) {
      const b = batches.batch(step);
      const s = split.imageSize;
      assert.deepEqual(b.images.shape, [16, s, s, 3]);
      assert.equal(b.images.dtype, "f32");
      const pixels = denormalizeImages(await b.images.data());
      const ids = await b.ids.read();
      const lengths = await b.lengths.read();
      const t = batches.tokens.maxTokens;
      assert.deepEqual(b.ids.shape, [16, t]);
      b.indices.forEach((item, k) => {
        const stride = s * s * 3;
        assert.deepEqual(pixels.subarray(k * stride, (k + 1) * stride), splitImage(split, item));
        const row = [...ids.subarray(k * t, (k + 1) * t)];
        const text = (split.records[item] as CaptionRecord).caption.text;
        assert.equal(tok.decode(row.slice(0, lengths[k])), text);
        assert.ok(row.slice(lengths[k]).every((id) => id === tok.special.pad), "padding");
      });
    }
    // A fresh set of batches (a resumed run) sees the same batch at the same step.
    const resumed = new CaptionBatches(split, { batchSize: 16, seed: 3 });
    assert.deepEqual(resumed.batch(17).indices, batches.batch(17).indices);
    assert.deepEqual(await resumed.batch(17).images.data(), await batches.batch(17).images.data());
  });
  // The normalisation is the stated one.
  const v = normalizedImages(split, [0]);
  assert.ok(Math.abs(v[0] - (split.images![0] / 255 - 0.8) / 0.2) < 1e-6);
});

Deno.test("label batches: the records' fine labels; texts cut at maxTokens are counted", async () => {
  const world = await tinyDataWorld();
  const split = await world.split("classification_train");
  const batches = new LabelBatches(split, { batchSize: 8, seed: 1 });
  await tidy(async () => {
    const b = batches.batch(5);
    const labels = await b.labels.read();
    b.indices.forEach((item, k) => {
      assert.equal(labels[k], (split.records[item] as ClassificationRecord).labels.fine);
    });
  });
  const cut = tokenizeTexts(["a red circle and a blue square.", "a red circle."], 4);
  assert.equal(cut.truncated, 1);
  assert.deepEqual([...cut.lengths], [4, 4]);
  // Held-out full captions are deterministic and name every object of the scene.
  const seg = await world.split("segmentation_test");
  const caps = fullCaptions(seg, 7);
  assert.deepEqual(caps, fullCaptions(seg, 7));
  assert.equal(caps.length, seg.count);
});
