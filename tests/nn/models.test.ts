/**
 * Model plumbing around the whole-step test: ViT features of every layer (vs the float64
 * reference, and bit-identical to the full forward where they coincide), the causal LM's
 * output shapes with and without a prefix, and the shape errors.
 */

import assert from "node:assert/strict";
import { ViT } from "../../src/nn/vit.ts";
import { CausalLM } from "../../src/nn/causal_lm.ts";
import { tensor } from "../../src/tensor/tensor.ts";
import { tidy } from "../../src/tensor/scope.ts";
import { ShapeError } from "../../src/tensor/errors.ts";
import { assertClose, gpuReady, Rng } from "../helpers.ts";
import { type RefParams, vitFeaturesRef } from "../ref/transformer.ts";
import { randomizeForCheck, tintBatch, TINY_LM, TINY_VIT } from "./tiny_models.ts";

await gpuReady();

Deno.test("ViT.features: every layer matches float64; −1 and depth agree; forward = norm(−1)", async () => {
  const vit = new ViT(TINY_VIT, new Rng(1));
  randomizeForCheck(vit, new Rng(2));
  const params: RefParams = new Map();
  for (const [n, p] of vit.namedParameters()) params.set(n, Float64Array.from(await p.data()));
  const batch = 2;
  const { images } = tintBatch(batch, 16, 3);
  const cfg = { ...TINY_VIT, batch, hidden: TINY_VIT.width * TINY_VIT.mlpRatio! };
  await tidy(async () => {
    const x = tensor(images, [batch, 16, 16, 3]);
    for (let layer = 0; layer <= TINY_VIT.depth; layer++) {
      const f = vit.features(x, layer);
      assert.deepEqual(f.shape, [batch, 16, TINY_VIT.width]);
      const expected = vitFeaturesRef(params, Float64Array.from(images), cfg, layer, "");
      assertClose(await f.data(), expected, { atol: 1e-5, rtol: 1e-4 }, `features(${layer})`);
    }
    const last = await vit.features(x, -1).data();
    assert.deepEqual(last, await vit.features(x, TINY_VIT.depth).data());
    assert.deepEqual(await vit.features(x, -2).data(), await vit.features(x, 1).data());
    assert.deepEqual(
      await vit.forward(x).data(),
      await vit.norm.forward(vit.features(x, -1)).data(),
    );
    assert.throws(() => vit.features(x, 3), /outside/);
    assert.throws(() => vit.features(x, -4), /outside/);
    assert.throws(() => vit.forward(tensor(new Float32Array(16 * 16), [1, 16, 16, 1])), ShapeError);
  });
  vit.dispose();
});

Deno.test("CausalLM: logits at token positions only; prefix + tokens bounded by maxLen", () => {
  const lm = new CausalLM(TINY_LM, new Rng(3));
  tidy(() => {
    const ids = tensor(new Int32Array(2 * 5), [2, 5], "i32");
    assert.deepEqual(lm.forward(ids).shape, [2, 5, TINY_LM.vocab]);
    const prefix = tensor(new Float32Array(2 * 4 * TINY_LM.width), [2, 4, TINY_LM.width]);
    assert.deepEqual(lm.forward(ids, { prefix }).shape, [2, 5, TINY_LM.vocab]);
    assert.deepEqual(lm.hidden(ids, { prefix }).shape, [2, 9, TINY_LM.width]);
    const long = tensor(new Float32Array(2 * 6 * TINY_LM.width), [2, 6, TINY_LM.width]);
    assert.throws(() => lm.forward(ids, { prefix: long }), /exceeds maxLen/);
    assert.throws(() => lm.forward(tensor(new Float32Array(10), [2, 5])), ShapeError);
  });
  lm.dispose();
});
