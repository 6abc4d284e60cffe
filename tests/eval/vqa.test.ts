/**
 * VQA scoring on a model whose outputs are known: an MLLM whose transformer blocks are
 * zeroed and whose embeddings and head form a bigram machine (`<assistant>` → W → `<eos>`)
 * answers every question with the word W, whatever the image. Its per-item correctness must
 * equal `scoreAnswer(family, W, item)` item by item, the family and group accuracies must be
 * those counts, and the blank-image baseline must give the same answers. Then the stage
 * wrapper: a second run of the same evaluation is loaded from disk without loading the model.
 */

import assert from "node:assert/strict";
import { MLLM } from "../../src/mllm/model.ts";
import { Rng } from "../../src/tensor/random.ts";
import { gpuReady } from "../helpers.ts";
import { tinyDataWorld } from "../data/fixture.ts";
import {
  correctness,
  evaluateVqa,
  groupSplits,
  vqaStage,
  worldBlindBaseline,
} from "../../src/eval/vqa.ts";
import { GROUPS, type QuestionRecord, scoreAnswer, worldTokenizer } from "../../src/world/mod.ts";
import { runStage, type StageOutput } from "../../src/train/stage.ts";

await gpuReady();

/** An MLLM that answers `word` then `<eos>` to every prompt. */
function bigramModel(word: string): MLLM {
  const tok = worldTokenizer();
  const width = 16;
  const m = new MLLM({
    vit: { imageSize: 32, patch: 8, channels: 3, width: 16, depth: 2, heads: 2, mlpRatio: 2 },
    lm: { vocab: tok.vocabSize, maxLen: 80, width, depth: 1, heads: 2, mlpRatio: 2 },
  }, new Rng(5));
  const zero = (t: { size: number; write(v: Float32Array): void }) =>
    t.write(new Float32Array(t.size));
  for (const [, p] of m.lm.blocks.namedParameters()) zero(p);
  zero(m.lm.pos);
  const emb = new Float32Array(tok.vocabSize * width);
  emb[tok.special.assistant * width + 0] = 1;
  emb[tok.id(word) * width + 1] = 1;
  m.lm.tokEmbed.weight.write(emb);
  const head = new Float32Array(width * tok.vocabSize);
  head[0 * tok.vocabSize + tok.id(word)] = 10;
  head[1 * tok.vocabSize + tok.special.eos] = 10;
  m.lm.head.weight.write(head);
  return m;
}

Deno.test({
  name: "vqa: per-item correctness and accuracies of a model with known answers",
  sanitizeResources: false,
  fn: async () => {
    const world = await tinyDataWorld();
    const splits = [];
    for (const name of groupSplits("test")) splits.push(await world.split(name));
    // The word: the most frequent one-token answer of the Vision-Centric test split.
    const counts = new Map<string, number>();
    for (const r of splits[1].records) {
      const a = (r as QuestionRecord).item.answer;
      if (!a.includes(" ")) counts.set(a, (counts.get(a) ?? 0) + 1);
    }
    const word = [...counts.entries()].sort((a, b) => b[1] - a[1])[0][0];
    const model = bigramModel(word);
    const r = await evaluateVqa(model, splits, { batch: 64 });
    const blank = await evaluateVqa(model, splits, { batch: 64, blank: true });
    assert.equal(r.finishedShare, 1);
    assert.ok(r.examples.every((e) => e.generated === word), JSON.stringify(r.examples));
    let right = 0;
    for (const split of splits) {
      const expected = split.records.map((rec) => {
        const it = (rec as QuestionRecord).item;
        return scoreAnswer(it.family, word, it) ? 1 : 0;
      });
      assert.deepEqual(correctness(r, split.name), expected, split.name);
      assert.deepEqual(correctness(blank, split.name), expected, `${split.name} (blank)`);
      right += expected.reduce<number>((a, b) => a + b, 0);
    }
    assert.ok(right > 0, `the word "${word}" answers some question`);
    for (const [i, g] of GROUPS.entries()) {
      const flags = correctness(r, splits[i].name);
      const acc = flags.reduce((a, b) => a + b, 0) / flags.length;
      assert.equal(r.byGroup[g]!.accuracy, acc, g);
      assert.equal(r.byGroup[g]!.items, splits[i].count);
    }
    const famItems = Object.values(r.byFamily).reduce((a, f) => a + f!.items, 0);
    assert.equal(famItems, splits.reduce((a, s) => a + s.count, 0));
    const vis = (r.byGroup.general!.accuracy + r.byGroup.ocr_chart!.accuracy +
      r.byGroup.vision!.accuracy) / 3;
    assert.equal(r.visionAverage, vis);
    assert.equal(r.knowledge, r.byGroup.knowledge!.accuracy);
    assert.equal(blank.blank, true);
    console.log(
      `answer "${word}": ${right} right of ${famItems}; ${r.seconds.toFixed(2)} s for ` +
        `${famItems} questions`,
    );

    const blind = await worldBlindBaseline(world, groupSplits("test"));
    for (const g of GROUPS) {
      const a = blind.byGroup[g]!;
      assert.ok(a.accuracy >= 0 && a.accuracy <= 1 && a.items === 150, JSON.stringify(a));
    }

    // As a stage: computed once, then loaded without loading the model.
    const out = await Deno.makeTempDir({ prefix: "pivotlab-vqa-test-" });
    try {
      const fakeModel: StageOutput = {
        name: "bigram",
        key: "0".repeat(64),
        dir: out,
        checkpointDir: out,
        config: { word },
        metrics: {},
        cached: true,
        seconds: 0,
      };
      let loads = 0;
      const load = () => {
        loads++;
        return Promise.resolve(bigramModel(word));
      };
      const def = () => vqaStage(fakeModel, load, world, { splits: groupSplits("test") });
      const first = await runStage(def(), { out, log: () => {} });
      const second = await runStage(def(), { out, log: () => {} });
      assert.equal(loads, 1);
      assert.equal(second.cached, true);
      assert.deepEqual(second.metrics.correct, r.correct);
      assert.deepEqual(first.metrics.byGroup, r.byGroup);
    } finally {
      await Deno.remove(out, { recursive: true });
    }
    model.dispose();
  },
});
