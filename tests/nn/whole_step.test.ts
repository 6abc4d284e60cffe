/**
 * The whole-step test (llm.c style): one forward + backward of a whole model on the GPU,
 * every parameter's gradient compared with central differences of a float64 reference of
 * the same model, computed from the GPU model's own parameter values (read back by name);
 * then a short AdamW run on a fixed batch whose loss must fall.
 *
 * Reference gradient: (L(θ + ε·e_j) − L(θ − ε·e_j)) / 2ε of the float64 loss for every
 * parameter element j, ε = 1e-5 (float64 truncation + rounding error ~1e-9, far below the
 * tolerance). Tolerance per element: |gpu − ref| ≤ 2e-6 + 1e-3·|ref|. Measured: the float32
 * GPU gradients land within ~2e-7 of the reference, with gradients up to ~1e-1 in size (the
 * parameters are randomised to a trained-looking scale so no gradient is vacuously small).
 */

import assert from "node:assert/strict";
import type { Module } from "../../src/nn/module.ts";
import { ViTClassifier } from "../../src/nn/vit.ts";
import { CausalLM } from "../../src/nn/causal_lm.ts";
import { tensor } from "../../src/tensor/tensor.ts";
import { tidy } from "../../src/tensor/scope.ts";
import { backward } from "../../src/tensor/autograd.ts";
import { sync } from "../../src/gpu/batch.ts";
import { assertClose, gpuReady, Rng, type Tol } from "../helpers.ts";
import {
  causalLMLossRef,
  centralDifferences,
  type RefParams,
  vitClassifierLossRef,
} from "../ref/transformer.ts";
import {
  countingBatch,
  lmTrainer,
  randomizeForCheck,
  readLosses,
  tintBatch,
  TINY_LM,
  TINY_VIT,
  vitTrainer,
} from "./tiny_models.ts";

await gpuReady();

const EPS = 1e-5;
const LOSS_TOL: Tol = { atol: 1e-5, rtol: 1e-5 };
const GRAD_TOL: Tol = { atol: 2e-6, rtol: 1e-3 };

async function readParams(m: Module): Promise<RefParams> {
  const out: RefParams = new Map();
  for (const [n, p] of m.namedParameters()) out.set(n, Float64Array.from(await p.data()));
  return out;
}

/** Compares every gradient; returns the worst absolute error for the log line. */
function checkAllGradients(
  label: string,
  params: RefParams,
  grads: Map<string, Float32Array>,
  lossRef: () => number,
): { worst: number; largest: number } {
  let worst = 0;
  let largest = 0;
  for (const [name, values] of params) {
    const g = grads.get(name);
    if (!g) throw new Error(`${label}: parameter ${name} got no gradient`);
    const numeric = centralDifferences(values, lossRef, EPS);
    assertClose(g, numeric, GRAD_TOL, `${label} gradient of ${name}`);
    for (let i = 0; i < g.length; i++) {
      worst = Math.max(worst, Math.abs(g[i] - numeric[i]));
      largest = Math.max(largest, Math.abs(numeric[i]));
    }
  }
  return { worst, largest };
}

Deno.test("whole step, ViT classifier: loss and every parameter gradient vs float64", async () => {
  const model = new ViTClassifier(TINY_VIT, new Rng(1));
  randomizeForCheck(model, new Rng(2));
  const batch = 3;
  const { images, labels } = tintBatch(batch, TINY_VIT.imageSize, 3);
  const params = await readParams(model);
  const { loss, grads } = await tidy(async () => {
    const l = model.loss(tensor(images, [batch, 16, 16, 3]), tensor(labels, [batch], "i32"));
    backward(l);
    await sync();
    const grads = new Map<string, Float32Array>();
    for (const [n, p] of model.namedParameters()) grads.set(n, await p.grad!.data());
    return { loss: await l.item(), grads };
  });
  const cfg = { ...TINY_VIT, batch, hidden: TINY_VIT.width * TINY_VIT.mlpRatio! };
  const img64 = Float64Array.from(images);
  const lossRef = () => vitClassifierLossRef(params, img64, labels, cfg);
  assertClose([loss], [lossRef()], LOSS_TOL, "ViT loss");
  const n = [...params.values()].reduce((s, v) => s + v.length, 0);
  const { worst, largest } = checkAllGradients("ViT", params, grads, lossRef);
  console.log(
    `ViT: ${params.size} tensors, ${n} elements, worst |Δgrad| ${worst.toExponential(2)}, ` +
      `largest |grad| ${largest.toExponential(2)}`,
  );
  model.dispose();
});

Deno.test("whole step, causal LM with a prefix: every parameter and the prefix gradient", async () => {
  const model = new CausalLM(TINY_LM, new Rng(4));
  randomizeForCheck(model, new Rng(5));
  const [b, t, p] = [2, 6, 3];
  const { ids, targets } = countingBatch(b, t, TINY_LM.vocab, 6);
  targets[2] = -100; // an ignored row in the middle as well as the last ones
  const prefix = new Rng(7).normals(b * p * TINY_LM.width, 0.5);
  const params = await readParams(model);
  const { loss, grads, prefixGrad } = await tidy(async () => {
    const pre = tensor(prefix, [b, p, TINY_LM.width]);
    pre.requiresGrad = true;
    const l = model.loss(tensor(ids, [b, t], "i32"), tensor(targets, [b, t], "i32"), {
      prefix: pre,
    });
    backward(l);
    await sync();
    const grads = new Map<string, Float32Array>();
    for (const [n, q] of model.namedParameters()) grads.set(n, await q.grad!.data());
    const prefixGrad = await pre.grad!.data();
    pre.grad!.dispose();
    return { loss: await l.item(), grads, prefixGrad };
  });
  const cfg = {
    ...TINY_LM,
    batch: b,
    tokens: t,
    prefix: p,
    hidden: TINY_LM.width * TINY_LM.mlpRatio!,
  };
  const pre64 = Float64Array.from(prefix);
  const lossRef = () => causalLMLossRef(params, ids, targets, cfg, pre64);
  assertClose([loss], [lossRef()], LOSS_TOL, "LM loss");
  const { worst, largest } = checkAllGradients("LM", params, grads, lossRef);
  assertClose(prefixGrad, centralDifferences(pre64, lossRef, EPS), GRAD_TOL, "LM prefix gradient");
  console.log(
    `LM: ${params.size} tensors, worst |Δgrad| ${worst.toExponential(2)}, ` +
      `largest |grad| ${largest.toExponential(2)}`,
  );
  model.dispose();
});

Deno.test("whole step, causal LM without a prefix (positions = the full table)", async () => {
  const model = new CausalLM({ ...TINY_LM, maxLen: 6 }, new Rng(8));
  randomizeForCheck(model, new Rng(9));
  const [b, t] = [2, 6];
  const { ids, targets } = countingBatch(b, t, TINY_LM.vocab, 10);
  const params = await readParams(model);
  const { loss, grads } = await tidy(async () => {
    const l = model.loss(tensor(ids, [b, t], "i32"), tensor(targets, [b, t], "i32"));
    backward(l);
    await sync();
    const grads = new Map<string, Float32Array>();
    for (const [n, q] of model.namedParameters()) grads.set(n, await q.grad!.data());
    return { loss: await l.item(), grads };
  });
  const cfg = {
    ...TINY_LM,
    maxLen: 6,
    batch: b,
    tokens: t,
    prefix: 0,
    hidden: TINY_LM.width * TINY_LM.mlpRatio!,
  };
  const lossRef = () => causalLMLossRef(params, ids, targets, cfg);
  assertClose([loss], [lossRef()], LOSS_TOL, "LM loss");
  checkAllGradients("LM (no prefix)", params, grads, lossRef);
  model.dispose();
});

Deno.test("30 AdamW steps on a fixed batch: the ViT classifier's loss falls below half", async () => {
  const run = vitTrainer({ seed: 11, batch: 12, lr: 3e-3 });
  const losses = await readLosses(Array.from({ length: 30 }, (_, k) => run.step(k)));
  run.dispose();
  console.log(`ViT losses: ${losses[0].toFixed(4)} → ${losses[29].toFixed(4)}`);
  assert.ok(losses.every(Number.isFinite), "finite losses");
  assert.ok(losses[29] < 0.5 * losses[0], `loss ${losses[0]} → ${losses[29]} did not halve`);
});

Deno.test("30 AdamW steps on a fixed batch: the causal LM's loss falls below half", async () => {
  const run = lmTrainer({ seed: 12, batch: 6, tokens: 8, lr: 1e-2 });
  const losses = await readLosses(Array.from({ length: 30 }, (_, k) => run.step(k)));
  run.dispose();
  console.log(`LM losses: ${losses[0].toFixed(4)} → ${losses[29].toFixed(4)}`);
  assert.ok(losses.every(Number.isFinite), "finite losses");
  assert.ok(losses[29] < 0.5 * losses[0], `loss ${losses[0]} → ${losses[29]} did not halve`);
});
