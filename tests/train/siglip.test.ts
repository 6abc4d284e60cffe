/**
 * The SigLIP loss against its float64 reference (tests/ref/siglip.ts): forward and the
 * gradients of both embeddings, the log-temperature and the bias, by central differences.
 *
 * Tolerances: the forward is a few dozen f32 operations on O(1)–O(10) values → atol 1e-5,
 * rtol 1e-5. Gradients: central differences with eps 1e-4 in float64 (truncation error
 * ~1e-8 here) vs f32 analytic gradients of magnitude up to ~1 → atol 2e-5, rtol 1e-3.
 */

import assert from "node:assert/strict";
import { tensor } from "../../src/tensor/tensor.ts";
import { tidy } from "../../src/tensor/scope.ts";
import { backward } from "../../src/tensor/autograd.ts";
import { SIGLIP_INIT, siglipLoss, SigLIPScale } from "../../src/train/losses/siglip.ts";
import { assertClose, checkOp, gpuReady, Rng } from "../helpers.ts";
import { siglipLossRef } from "../ref/siglip.ts";

await gpuReady();

const FORWARD_TOL = { atol: 1e-5, rtol: 1e-5 };
const GRAD_TOL = { atol: 2e-5, rtol: 1e-3 };

for (
  const [b, d, logScale, bias] of [[5, 8, Math.log(3), -1.5], [7, 12, 0.4, 0.7], [1, 4, 1, -2]]
) {
  Deno.test(`siglip loss B=${b} D=${d}: forward and every gradient vs float64`, async () => {
    const rng = new Rng(b * 31 + d);
    // Correlated pairs, so the diagonal is not like the rest.
    const img = rng.normals(b * d);
    const txt = img.map((v) => 0.6 * v).map((v, i) => v + rng.normal() * (i % 3 === 0 ? 1 : 0.5));
    await checkOp({
      name: `siglip B=${b}`,
      op: ([x, y, t, c]) => siglipLoss(x, y, t, c),
      ref: ([x, y, t, c]) => Float64Array.of(siglipLossRef(x, y, t[0], c[0], b, d)),
      inputs: [
        { shape: [b, d], values: img },
        { shape: [b, d], values: txt },
        { shape: [1], values: [logScale] },
        { shape: [1], values: [bias] },
      ],
      forwardTol: FORWARD_TOL,
      gradTol: GRAD_TOL,
    });
  });
}

Deno.test("siglip loss at SigLIP's initialisation (t = 10, b = −10), with its module", async () => {
  const b = 16;
  const d = 32;
  const rng = new Rng(3);
  const img = rng.normals(b * d);
  const txt = rng.normals(b * d);
  const head = new SigLIPScale(rng);
  assert.deepEqual([...await head.logScale.data()], [Math.fround(SIGLIP_INIT.logScale)]);
  const { loss, gScale, gBias } = await tidy(async () => {
    const l = head.loss(tensor(img, [b, d]), tensor(txt, [b, d]));
    backward(l);
    return {
      loss: await l.item(),
      gScale: await head.logScale.grad!.item(),
      gBias: await head.bias.grad!.item(),
    };
  });
  const expected = siglipLossRef(
    Float64Array.from(img),
    Float64Array.from(txt),
    SIGLIP_INIT.logScale,
    SIGLIP_INIT.bias,
    b,
    d,
  );
  assertClose([loss], [expected], FORWARD_TOL, "loss at init");
  // Random pairs: cos ≈ 0, so the loss is ≈ −log σ(−10) per positive: ≈ 10 per image.
  assert.ok(loss > 9 && loss < 11, `loss at init ${loss}`);
  // Positives pull the bias up (dL/db < 0); the temperature gets a finite gradient.
  assert.ok(gBias < 0 && Number.isFinite(gScale), `grads ${gBias} ${gScale}`);
  head.dispose();
});
