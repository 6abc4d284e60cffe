/**
 * The whole-model test: one training step of the tiny MLLM (ViT + projector + LM, response-
 * only loss) on the GPU, and every parameter's gradient compared with central differences
 * of the float64 reference (tests/ref/mllm.ts), computed from the GPU model's own parameter
 * values; then 20 AdamW steps on a fixed batch whose loss must fall.
 *
 * Reference gradient: (L(θ + ε·e_j) − L(θ − ε·e_j)) / 2ε of the float64 loss for every
 * parameter element j, ε = 1e-5, from a staged float64 twin that re-runs only the stages
 * from the perturbed parameter's onward (first checked against the reference built from
 * the shared layer references, to 1e-12, also under perturbation of every tensor). Tolerance per element: |gpu − ref| ≤ 2e-6 + 1e-3·|ref| (as tests/nn/whole_step).
 * The ViT block above the penultimate layer and the ViT's final LayerNorm are never run:
 * their gradients must be absent. The gradient of the visual tokens (what gradient maps
 * read) is checked the same way.
 */

import assert from "node:assert/strict";
import type { MLLM } from "../../src/mllm/model.ts";
import { AdamW, decayGroups } from "../../src/nn/adamw.ts";
import { lmLoss } from "../../src/nn/causal_lm.ts";
import { noGrad, type Tensor, tensor } from "../../src/tensor/tensor.ts";
import { keep, tidy } from "../../src/tensor/scope.ts";
import { backward, zeroGrad } from "../../src/tensor/autograd.ts";
import { flush, sync } from "../../src/gpu/batch.ts";
import { assertClose, gpuReady, Rng, type Tol } from "../helpers.ts";
import { centralDifferences, type RefParams } from "../ref/transformer.ts";
import { mllmLossRef, StagedMLLMRef } from "../ref/mllm.ts";
import { randomizeForCheck, readLosses } from "../nn/tiny_models.ts";
import { refConfig, tintChat, TINY_MLLM, tinyMLLM } from "./tiny_mllm.ts";

await gpuReady();

const EPS = 1e-5;
const LOSS_TOL: Tol = { atol: 1e-5, rtol: 1e-5 };
const GRAD_TOL: Tol = { atol: 2e-6, rtol: 1e-3 };

async function readParams(m: MLLM): Promise<RefParams> {
  const out: RefParams = new Map();
  for (const [n, p] of m.namedParameters()) out.set(n, Float64Array.from(await p.data()));
  return out;
}

Deno.test("whole MLLM step: loss, every parameter gradient and the visual-token gradient vs float64", async () => {
  const model = tinyMLLM(1);
  randomizeForCheck(model, new Rng(2));
  const [b, size] = [2, TINY_MLLM.vit.imageSize];
  const { images, batch } = tintChat(b, size, 3, 8);
  const t = batch.tokens;
  const params = await readParams(model);
  const { loss, grads, visualGrad } = await tidy(async () => {
    const img = tensor(images, [b, size, size, 3]);
    const ids = tensor(batch.ids, [b, t], "i32");
    const labels = tensor(batch.labels, [b, t], "i32");
    const l = model.loss(img, ids, labels);
    backward(l);
    await sync();
    const grads = new Map<string, Float32Array | null>();
    for (const [n, p] of model.namedParameters()) grads.set(n, p.grad ? await p.grad.data() : null);
    const loss = await l.item();
    zeroGrad(model.parameters());
    // d loss / d visual tokens: the projector output as a leaf.
    const visual = noGrad(() => model.visualTokens(img));
    visual.requiresGrad = true;
    backward(lmLoss(model.logitsFrom(visual, ids), labels));
    const visualGrad = await visual.grad!.data();
    visual.grad!.dispose();
    zeroGrad(model.parameters());
    return { loss, grads, visualGrad };
  });

  const c = refConfig(TINY_MLLM, b, t);
  const img64 = Float64Array.from(images);
  const slow = () => mllmLossRef(params, img64, batch.ids, batch.labels, c);
  const staged = new StagedMLLMRef(params, c, img64, batch.ids, batch.labels);
  assertClose([loss], [slow()], LOSS_TOL, "MLLM loss");
  // The staged twin must equal the shared-layer reference, also after perturbing any
  // parameter (so no stage caches a parameter value).
  assertClose([staged.loss()], [slow()], { atol: 1e-12, rtol: 1e-12 }, "staged reference");
  const unused = (name: string) =>
    name.startsWith(`vit.blocks.${c.vitBlocks}.`) || name.startsWith("vit.norm.");
  for (const [name, values] of params) {
    if (unused(name)) continue;
    const saved = values[0];
    values[0] = saved + 1e-2;
    const [a, e] = [staged.lossFor(name)(), slow()];
    values[0] = saved;
    assertClose([a], [e], { atol: 1e-12, rtol: 1e-12 }, `staged reference, ${name}`);
  }

  const started = performance.now();
  let [worst, largest, checked] = [0, 0, 0];
  for (const [name, values] of params) {
    const g = grads.get(name)!;
    if (unused(name)) {
      assert.equal(g, null, `${name} is never run and must get no gradient`);
      continue;
    }
    if (!g) throw new Error(`parameter ${name} got no gradient`);
    const numeric = centralDifferences(values, staged.lossFor(name), EPS);
    assertClose(g, numeric, GRAD_TOL, `gradient of ${name}`);
    for (let i = 0; i < g.length; i++) {
      worst = Math.max(worst, Math.abs(g[i] - numeric[i]));
      largest = Math.max(largest, Math.abs(numeric[i]));
    }
    checked += g.length;
  }
  const visual = staged.visual();
  const numericVisual = centralDifferences(visual, () => staged.lossFromVisual(visual), EPS);
  assertClose(visualGrad, numericVisual, GRAD_TOL, "gradient of the visual tokens");
  console.log(
    `MLLM: ${checked} parameter elements checked, worst |Δgrad| ${worst.toExponential(2)}, ` +
      `largest |grad| ${largest.toExponential(2)}, central differences ${
        ((performance.now() - started) / 1000).toFixed(1)
      } s`,
  );
  model.dispose();
});

Deno.test("20 AdamW steps on a fixed chat batch: the MLLM's response loss falls below half", async () => {
  const model = tinyMLLM(5);
  const opt = new AdamW(decayGroups(model.parameters(), { lr: 1e-2, weightDecay: 0.01 }), {
    maxGradNorm: 1,
  });
  const [b, size] = [6, TINY_MLLM.vit.imageSize];
  const { images, batch } = tintChat(b, size, 6);
  const img = keep(tensor(images, [b, size, size, 3]));
  const ids = keep(tensor(batch.ids, [b, batch.tokens], "i32"));
  const labels = keep(tensor(batch.labels, [b, batch.tokens], "i32"));
  const losses: Tensor[] = [];
  for (let k = 0; k < 20; k++) {
    losses.push(tidy(() => {
      const l = model.loss(img, ids, labels, { seed: k });
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
  console.log(`MLLM losses: ${values[0].toFixed(4)} → ${values[19].toFixed(4)}`);
  assert.ok(values.every(Number.isFinite), "finite losses");
  assert.ok(values[19] < 0.5 * values[0], `loss ${values[0]} → ${values[19]} did not halve`);
  for (const x of [img, ids, labels]) x.dispose();
  opt.dispose();
  model.dispose();
});
