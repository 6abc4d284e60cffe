/**
 * The MLLM module: parameter names and prefixes, the vision layer actually read, loading
 * parts from checkpoints by prefix, freezing, bit-for-bit determinism, and a 100-step
 * training loop whose live GPU memory stays flat.
 */

import assert from "node:assert/strict";
import { loadPart, MLLM } from "../../src/mllm/model.ts";
import { Module } from "../../src/nn/module.ts";
import { ViT } from "../../src/nn/vit.ts";
import { CausalLM } from "../../src/nn/causal_lm.ts";
import { AdamW, decayGroups } from "../../src/nn/adamw.ts";
import { CheckpointError, saveCheckpoint } from "../../src/nn/checkpoint.ts";
import { type Tensor, tensor } from "../../src/tensor/tensor.ts";
import { keep, tidy } from "../../src/tensor/scope.ts";
import { backward } from "../../src/tensor/autograd.ts";
import { flush, sync } from "../../src/gpu/batch.ts";
import { memoryStats } from "../../src/gpu/pool.ts";
import { assertClose, gpuReady, Rng } from "../helpers.ts";
import { concat } from "../../src/tensor/ops/shape_ops.ts";
import { readLosses } from "../nn/tiny_models.ts";
import { sequenceLogProbs } from "../../src/tensor/ops/loss.ts";
import { lmLoss } from "../../src/nn/causal_lm.ts";
import { tintChat, TINY_MLLM, tinyMLLM } from "./tiny_mllm.ts";

await gpuReady();

const SIZE = TINY_MLLM.vit.imageSize;

/** A fixed batch on the GPU (kept; dispose with `free`). */
function fixedBatch(b: number, seed: number) {
  const { images, batch } = tintChat(b, SIZE, seed);
  return {
    img: keep(tensor(images, [b, SIZE, SIZE, 3])),
    ids: keep(tensor(batch.ids, [b, batch.tokens], "i32")),
    labels: keep(tensor(batch.labels, [b, batch.tokens], "i32")),
    free() {
      for (const x of [this.img, this.ids, this.labels]) x.dispose();
    },
  };
}

/** Trains `steps` AdamW steps; returns the losses (one readback) and the logits after. */
async function train(model: MLLM, data: ReturnType<typeof fixedBatch>, steps: number) {
  const opt = new AdamW(decayGroups(model.parameters(), { lr: 1e-2, weightDecay: 0.01 }), {
    maxGradNorm: 1,
  });
  const losses: Tensor[] = [];
  for (let k = 0; k < steps; k++) {
    losses.push(tidy(() => {
      const l = model.loss(data.img, data.ids, data.labels, { seed: k });
      backward(l);
      opt.step();
      l.node = null;
      l.requiresGrad = false;
      return keep(l);
    }));
    opt.zeroGrad();
    flush();
  }
  const values = await readLosses(losses);
  model.eval();
  const logits = await tidy(() => model.forward(data.img, data.ids).data());
  model.train();
  opt.dispose();
  return { values, logits };
}

Deno.test("MLLM: parameters under vit., projector., lm.; output shape; text capacity", () => {
  const m = tinyMLLM(1);
  const names = m.namedParameters().map(([n]) => n);
  assert.ok(names.every((n) => /^(vit|projector|lm)\./.test(n)));
  assert.deepEqual(names.filter((n) => n.startsWith("projector.")), [
    "projector.fc1.weight",
    "projector.fc1.bias",
    "projector.fc2.weight",
    "projector.fc2.bias",
  ]);
  assert.deepEqual(m.projector.fc1.weight.shape, [TINY_MLLM.vit.width, TINY_MLLM.lm.width]);
  assert.equal(m.visualCount, 16);
  assert.equal(m.maxTextLength, TINY_MLLM.lm.maxLen - 16);
  const data = fixedBatch(2, 3);
  const logits = tidy(() => m.forward(data.img, data.ids));
  assert.deepEqual(logits.shape, [2, data.ids.shape[1], TINY_MLLM.lm.vocab]);
  logits.dispose();
  assert.throws(
    () => new MLLM({ ...TINY_MLLM, lm: { ...TINY_MLLM.lm, maxLen: 16 } }, new Rng(1)),
    /no room for text/,
  );
  data.free();
  m.dispose();
});

Deno.test("chat labels and response mask: summed response log-probs = −count · mean loss per row", async () => {
  const m = tinyMLLM(7);
  m.eval();
  const { images, batch } = tintChat(3, SIZE, 8);
  const [b, t] = [batch.batch, batch.tokens];
  const { seq, rows } = await tidy(async () => {
    const img = tensor(images, [b, SIZE, SIZE, 3]);
    const ids = tensor(batch.ids, [b, t], "i32");
    const logits = m.forward(img, ids);
    const seq = await sequenceLogProbs(
      logits,
      tensor(batch.labels, [b, t], "i32"),
      tensor(batch.responseMask, [b, t]),
    ).data();
    const rows = [];
    for (let r = 0; r < b; r++) {
      const one = new Int32Array(b * t).fill(-100);
      one.set(batch.labels.subarray(r * t, r * t + t), r * t);
      rows.push(await lmLoss(logits, tensor(one, [b, t], "i32")).item());
    }
    return { seq, rows };
  });
  for (let r = 0; r < b; r++) {
    const count = batch.responseMask.subarray(r * t, r * t + t).reduce((x, y) => x + y, 0);
    assert.equal(count, 3); // two answer tokens and <eos>
    assert.ok(
      Math.abs(seq[r] + count * rows[r]) < 1e-4,
      `row ${r}: ${seq[r]} vs ${-count * rows[r]}`,
    );
  }
  m.dispose();
});

Deno.test("preference rows (k·B ids for B images) reuse each image's visual tokens", async () => {
  const m = tinyMLLM(9);
  const data = fixedBatch(2, 10);
  const ids2 = await tidy(() => concat([data.ids, data.ids], 0).read());
  const [shared, repeated] = await tidy(async () => {
    const ids = tensor(ids2 as Int32Array, [4, data.ids.shape[1]], "i32");
    return [
      await m.forward(data.img, ids).data(),
      await m.forward(concat([data.img, data.img], 0), ids).data(),
    ];
  });
  assertClose(shared, repeated, { atol: 1e-6, rtol: 1e-5 }, "shared vs repeated images");
  assert.throws(
    () => tidy(() => m.forward(data.img, tensor(new Int32Array(3 * 4), [3, 4], "i32"))),
    /k·2/,
  );
  data.free();
  m.dispose();
});

Deno.test("MLLM reads the penultimate ViT layer: the last block and final norm do not matter", async () => {
  const m = tinyMLLM(2);
  const data = fixedBatch(2, 4);
  const before = await tidy(() => m.forward(data.img, data.ids).data());
  const last = m.vit.blocks.items[TINY_MLLM.vit.depth - 1];
  for (const p of [...last.parameters(), ...m.vit.norm.parameters()]) {
    p.write(new Rng(5).normals(p.size));
  }
  const after = await tidy(() => m.forward(data.img, data.ids).data());
  assert.deepEqual(after, before);
  const first = m.vit.blocks.items[0].mlp.fc1.bias!;
  first.write(new Rng(6).normals(first.size));
  assert.notDeepEqual(await tidy(() => m.forward(data.img, data.ids).data()), before);
  data.free();
  m.dispose();
});

Deno.test("loadPart: ViT from a two-tower checkpoint (prefix vit.), LM from a bare LM checkpoint", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pivotlab-mllm-" });
  try {
    // An E0-like model: a ViT under `vit.` and a text tower beside it.
    class TwoTower extends Module {
      vit = this.child("vit", new ViT(TINY_MLLM.vit, new Rng(11)));
      text = this.child("text", new CausalLM({ ...TINY_MLLM.lm, maxLen: 8 }, new Rng(12)));
    }
    const e0 = new TwoTower();
    const l0 = new CausalLM(TINY_MLLM.lm, new Rng(13));
    await saveCheckpoint(`${dir}/e0`, { model: e0, meta: { stage: "E0" } });
    await saveCheckpoint(`${dir}/l0`, { model: l0 });
    const m = tinyMLLM(14);
    const projector = await m.projector.fc1.weight.data();
    const meta = await loadPart(m.vit, `${dir}/e0`, { prefix: "vit." });
    assert.deepEqual(meta.meta, { stage: "E0" });
    await loadPart(m.lm, `${dir}/l0`);
    for (const [n, p] of e0.vit.namedParameters()) {
      const loaded = m.namedParameters().find(([k]) => k === `vit.${n}`)![1];
      assert.deepEqual(await loaded.data(), await p.data(), n);
    }
    for (const [n, p] of l0.namedParameters()) {
      const loaded = m.namedParameters().find(([k]) => k === `lm.${n}`)![1];
      assert.deepEqual(await loaded.data(), await p.data(), n);
    }
    assert.deepEqual(await m.projector.fc1.weight.data(), projector, "projector untouched");
    // A mismatch names the tensors: the text tower is no ViT; an LM of other maxLen.
    await assert.rejects(() => loadPart(m.vit, `${dir}/e0`, { prefix: "text." }), CheckpointError);
    const short = new CausalLM({ ...TINY_MLLM.lm, maxLen: 20 }, new Rng(15));
    await saveCheckpoint(`${dir}/short`, { model: short });
    await assert.rejects(
      () => loadPart(m.lm, `${dir}/short`),
      /lm\.pos|tensor pos has shape \[20, 16\]/,
    );
    await assert.rejects(() => loadPart(m.lm, `${dir}/missing`), CheckpointError);
    for (const x of [e0, l0, short, m]) x.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("freezing the ViT: only projector and LM get gradients and move", async () => {
  const m = tinyMLLM(21);
  m.vit.freeze();
  const data = fixedBatch(3, 22);
  const vitBefore = await m.vit.patchEmbed.weight.data();
  const projBefore = await m.projector.fc2.weight.data();
  tidy(() => backward(m.loss(data.img, data.ids, data.labels)));
  assert.ok(m.vit.parameters().every((p) => p.grad === null));
  assert.ok(m.projector.parameters().every((p) => p.grad !== null));
  assert.ok(m.lm.parameters().every((p) => p.grad !== null));
  for (const p of m.parameters()) {
    p.grad?.dispose();
    p.grad = null;
  }
  await train(m, data, 2);
  assert.deepEqual(await m.vit.patchEmbed.weight.data(), vitBefore);
  assert.notDeepEqual(await m.projector.fc2.weight.data(), projBefore);
  data.free();
  m.dispose();
});

Deno.test("determinism: the same seed gives bit-identical logits and training runs", async () => {
  const data = fixedBatch(4, 31);
  const runs = [];
  for (let k = 0; k < 2; k++) {
    const m = tinyMLLM(32, { ...TINY_MLLM, vit: { ...TINY_MLLM.vit, dropout: 0.1 } });
    runs.push(await train(m, data, 5));
    m.dispose();
  }
  assert.deepEqual(runs[0].values, runs[1].values);
  assert.deepEqual(runs[0].logits, runs[1].logits);
  const other = tinyMLLM(33);
  assert.notDeepEqual((await train(other, data, 5)).values, runs[0].values);
  other.dispose();
  data.free();
});

Deno.test("100 training steps leave live GPU memory flat", async () => {
  const m = tinyMLLM(41);
  const data = fixedBatch(4, 42);
  const opt = new AdamW(decayGroups(m.parameters(), { lr: 1e-3, weightDecay: 0.01 }), {
    maxGradNorm: 1,
  });
  const step = (k: number) => {
    tidy(() => {
      backward(m.loss(data.img, data.ids, data.labels, { seed: k }));
      opt.step();
    });
    opt.zeroGrad();
    flush();
  };
  step(0); // allocates the AdamW state
  await sync();
  const live = memoryStats();
  for (let k = 1; k < 100; k++) step(k);
  await sync();
  const after = memoryStats();
  assert.equal(after.liveBuffers, live.liveBuffers);
  assert.equal(after.liveBytes, live.liveBytes);
  opt.dispose();
  data.free();
  m.dispose();
});
