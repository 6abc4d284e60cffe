import assert from "node:assert/strict";
import { MultiHeadAttention } from "../../src/nn/attention.ts";
import { TransformerBlock } from "../../src/nn/transformer.ts";
import { Dropout, mixSeed } from "../../src/nn/dropout.ts";
import { type Tensor, tensor } from "../../src/tensor/tensor.ts";
import { keep, tidy } from "../../src/tensor/scope.ts";
import { backward } from "../../src/tensor/autograd.ts";
import { meanAll } from "../../src/tensor/ops/reduce.ts";
import { square } from "../../src/tensor/ops/unary.ts";
import { AdamW, decayGroups } from "../../src/nn/adamw.ts";
import { memoryStats } from "../../src/gpu/pool.ts";
import { sync } from "../../src/gpu/batch.ts";
import { checkModule, randomizeParameters } from "./module_check.ts";
import { blockRef, mhaRef, type RefMask } from "./ref_layers.ts";
import { gpuReady, Rng } from "../helpers.ts";

await gpuReady();

const forwardTol = { atol: 1e-5, rtol: 1e-4 };
// Central differences through softmax and LayerNorm: a little looser than for Linear.
const gradTol = { atol: 2e-4, rtol: 2e-3 };
const dims = { b: 2, t: 4, d: 8, h: 2 };
// Batch 0 has 4 real tokens, batch 1 has 2 (keys 2, 3 are padding).
const padding = [1, 1, 1, 1, 1, 1, 0, 0];
const masks: [string, RefMask][] = [
  ["no mask", {}],
  ["causal", { causal: true }],
  ["key padding", { keyPadding: padding }],
  ["causal + key padding", { causal: true, keyPadding: padding }],
];

/** The mask on the GPU: key padding as an f32 0/1 mask [B, T], or as i32 lengths [B]. */
function gpuMask(m: RefMask, lengths = false): { causal?: boolean; keyPadding?: Tensor } {
  if (!m.keyPadding) return { causal: m.causal };
  const keyPadding = lengths
    ? tensor(Int32Array.of(4, 2), [dims.b], "i32")
    : tensor(m.keyPadding, [dims.b, dims.t]);
  return { causal: m.causal, keyPadding };
}

Deno.test("MultiHeadAttention: forward and gradients, with causal and key-padding masks", async () => {
  const rng = new Rng(1);
  const mha = new MultiHeadAttention(dims.d, dims.h, rng);
  randomizeParameters(mha, rng);
  for (const [label, mask] of masks) {
    await checkModule({
      name: `MHA ${label}`,
      module: mha,
      forward: (x) => mha.forward(x, gpuMask(mask)),
      ref: (x, p) => mhaRef(x, p, "", dims, mask),
      input: { shape: [dims.b, dims.t, dims.d], values: rng.normals(dims.b * dims.t * dims.d) },
      forwardTol,
      gradTol,
    });
  }
  await checkModule({
    name: "MHA key padding as lengths",
    module: mha,
    forward: (x) => mha.forward(x, gpuMask(masks[3][1], true)),
    ref: (x, p) => mhaRef(x, p, "", dims, masks[3][1]),
    input: { shape: [dims.b, dims.t, dims.d], values: rng.normals(dims.b * dims.t * dims.d) },
    forwardTol,
    gradTol,
  });
  assert.throws(() => new MultiHeadAttention(12, 2, rng), /divisible by 4/);
  mha.dispose();
});

Deno.test("TransformerBlock: pre-LN forward and gradients of every parameter and the input", async () => {
  const rng = new Rng(2);
  const block = new TransformerBlock(dims.d, dims.h, rng, { mlpRatio: 2, dropout: 0.1 });
  randomizeParameters(block, rng, 0.3);
  block.eval(); // dropout off: the reference has none
  for (const [label, mask] of [masks[0], masks[3]]) {
    await checkModule({
      name: `block ${label}`,
      module: block,
      forward: (x) => block.forward(x, gpuMask(mask)),
      ref: (x, p) => blockRef(x, p, { ...dims, hidden: 16 }, mask),
      input: { shape: [dims.b, dims.t, dims.d], values: rng.normals(dims.b * dims.t * dims.d) },
      forwardTol,
      gradTol,
    });
  }
  block.dispose();
});

Deno.test("TransformerBlock: scaled residual init; dropout is seeded, identity in eval", async () => {
  const rng = new Rng(3);
  const block = new TransformerBlock(16, 4, rng, { layers: 8, dropout: 0.5 });
  const std = async (t: Tensor) => {
    const v = await t.data();
    return Math.sqrt(v.reduce((a, x) => a + x * x, 0) / v.length);
  };
  const fc2 = await std(block.mlp.fc2.weight);
  const fc1 = await std(block.mlp.fc1.weight);
  assert.ok(Math.abs(fc1 - 0.02) < 0.002, `fc1 std ${fc1}`);
  assert.ok(Math.abs(fc2 - 0.02 / 4) < 0.0005, `fc2 std ${fc2}`);
  assert.deepEqual(await block.ln1.weight.data(), new Float32Array(16).fill(1));
  const x = rng.normals(2 * 3 * 16);
  const run = (seed?: number) => tidy(() => block.forward(tensor(x, [2, 3, 16]), { seed }).data());
  assert.throws(() => tidy(() => block.forward(tensor(x, [2, 3, 16]))), /step seed/);
  const [a, b, c] = [await run(1), await run(1), await run(2)];
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  block.eval();
  const [e1, e2] = [await run(), await run(5)];
  assert.deepEqual(e1, e2);
  assert.notDeepEqual(a, e1);
  assert.notEqual(mixSeed(1, 0), mixSeed(1, 1));
  assert.throws(() => new Dropout(1, 0));
  block.dispose();
});

Deno.test("TransformerBlock: training steps in a tidy leak no GPU memory", async () => {
  const rng = new Rng(4);
  const block = new TransformerBlock(8, 2, rng, { dropout: 0.1 });
  const opt = new AdamW(decayGroups(block.parameters(), { lr: 1e-3, weightDecay: 0.1 }), {
    maxGradNorm: 1,
  });
  const x = keep(tensor(rng.normals(2 * 4 * 8), [2, 4, 8]));
  const step = (s: number) =>
    tidy(() => {
      const pad = tensor(padding, [2, 4]);
      backward(meanAll(square(block.forward(x, { causal: true, keyPadding: pad, seed: s }))));
      opt.step();
      opt.zeroGrad();
    });
  step(0); // the first step allocates m and v
  await sync();
  const live = memoryStats().liveBuffers;
  for (let s = 1; s < 4; s++) step(s);
  await sync();
  assert.equal(memoryStats().liveBuffers, live);
  block.dispose();
  opt.dispose();
  x.dispose();
});
