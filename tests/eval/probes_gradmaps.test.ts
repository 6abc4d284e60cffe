/**
 * Gradient maps:
 * - referent share, pointing game and their chance levels against a synthetic map whose
 *   answers are known by hand; the referent region from a pixel mask;
 * - the SFT map of the tiny MLLM (one item) equals the L1 over channels of the float64
 *   reference's central-difference gradient of the loss w.r.t. the visual tokens (the
 *   whole-model test's staged reference, |gpu − ref| ≤ 2e-6 + 1e-3·|ref| per element before
 *   the norm); in a batch of two, each item's map is its own loss's (equal to the map
 *   computed alone);
 * - the DPO gradient matches f32 central differences of the GPU DPO loss on its largest
 *   elements (ε = 1e-2, tolerance 1e-4 + 3%), and its map is the L1 of that gradient.
 */

import assert from "node:assert/strict";
import {
  localisation,
  patchRegion,
  pointingHit,
  referentShare,
  visualGradientMaps,
} from "../../src/eval/probes/gradmaps.ts";
import type { MLLM } from "../../src/mllm/model.ts";
import { batchEncoded } from "../../src/mllm/chat.ts";
import { noGrad, tensor } from "../../src/tensor/tensor.ts";
import { tidy } from "../../src/tensor/scope.ts";
import { sequenceLogProbs } from "../../src/tensor/ops/loss.ts";
import { dpoFromLogProbs } from "../../src/train/losses/dpo.ts";
import { assertClose, gpuReady, Rng } from "../helpers.ts";
import { centralDifferences, type RefParams } from "../ref/transformer.ts";
import { StagedMLLMRef } from "../ref/mllm.ts";
import { randomizeForCheck } from "../nn/tiny_models.ts";
import { refConfig, tintChat, TINY_IDS, TINY_MLLM, tinyMLLM } from "../mllm/tiny_mllm.ts";

await gpuReady();

Deno.test("referent share, pointing game and chance against a synthetic map", () => {
  // 8×8 image, patch 4 → 2×2 grid. Referent pixels: 3 in patch 0, 1 in patch 3.
  const mask = new Uint8Array(64);
  for (const [y, x] of [[0, 0], [1, 1], [3, 2], [7, 7]]) mask[y * 8 + x] = 1;
  const { coverage, region } = patchRegion(mask, 8, 4);
  assert.deepEqual([...region], [1, 0, 0, 1]);
  assert.deepEqual([...coverage], [3 / 16, 0, 0, 1 / 16]);
  assert.deepEqual([...patchRegion(mask, 8, 4, 2).region], [1, 0, 0, 0]);

  const map = [1, 4, 2, 3]; // Σ = 10; inside patches 0 and 3: 4
  assert.equal(referentShare(map, region), 0.4);
  assert.equal(pointingHit(map, region), false); // argmax = patch 1
  assert.equal(pointingHit([5, 4, 2, 5], region), true); // tie → first (patch 0)
  const loc = localisation(
    [map, [0, 0, 0, 9], [1, 1, 1, 1], [0, 0, 0, 0]],
    [region, region, [0, 0, 0, 0], region],
  );
  // Item 2 (empty region) and item 3 (zero map) are skipped.
  assert.equal(loc.n, 2);
  assert.equal(loc.skipped, 2);
  assert.ok(Math.abs(loc.share - (0.4 + 1) / 2) < 1e-12);
  assert.equal(loc.pointing, 0.5);
  assert.equal(loc.chanceShare, 0.5);
});

async function readParams(m: MLLM): Promise<RefParams> {
  const out: RefParams = new Map();
  for (const [n, p] of m.namedParameters()) out.set(n, Float64Array.from(await p.data()));
  return out;
}

const P = (TINY_MLLM.vit.imageSize / TINY_MLLM.vit.patch) ** 2;
const D = TINY_MLLM.lm.width;

Deno.test("SFT map = L1 of the float64 central-difference gradient; items independent in a batch", async () => {
  const model = tinyMLLM(1);
  randomizeForCheck(model, new Rng(2));
  const size = TINY_MLLM.vit.imageSize;
  const { images, batch } = tintChat(2, size, 3, 8);
  const t = batch.tokens;
  const one = (k: number) => ({
    rows: 1,
    tokens: t,
    ids: batch.ids.slice(k * t, (k + 1) * t),
    labels: batch.labels.slice(k * t, (k + 1) * t),
    mask: batch.responseMask.slice(k * t, (k + 1) * t),
  });
  const img = (k: number) =>
    tensor(images.slice(k * size * size * 3, (k + 1) * size * size * 3), [1, size, size, 3]);
  const [map0, raw0, map1, both] = await tidy(async () => [
    await visualGradientMaps(model, img(0), one(0), { kind: "sft" }),
    await visualGradientMaps(model, img(0), one(0), { kind: "sft" }, { raw: true }),
    await visualGradientMaps(model, img(1), one(1), { kind: "sft" }),
    await visualGradientMaps(model, tensor(images, [2, size, size, 3]), {
      rows: 2,
      tokens: t,
      ids: batch.ids,
      labels: batch.labels,
      mask: batch.responseMask,
    }, { kind: "sft" }),
  ]);
  assert.ok(model.parameters().every((p) => p.grad === null), "no parameter gradient");
  assert.ok(model.parameters().every((p) => p.requiresGrad), "grad flags restored");

  const params = await readParams(model);
  const r = one(0);
  const staged = new StagedMLLMRef(
    params,
    refConfig(TINY_MLLM, 1, t),
    Float64Array.from(images.slice(0, size * size * 3)),
    r.ids,
    r.labels,
  );
  const v = staged.visual();
  const numeric = centralDifferences(v, () => staged.lossFromVisual(v), 1e-5);
  assertClose(raw0, numeric, { atol: 2e-6, rtol: 1e-3 }, "d SFT / d visual");
  const l1 = new Float64Array(P);
  for (let p = 0; p < P; p++) for (let c = 0; c < D; c++) l1[p] += Math.abs(numeric[p * D + c]);
  assertClose(map0, l1, { atol: 2e-5, rtol: 2e-3 }, "SFT map");
  // Batched: each item's map is its own (up to the float order of a larger batch).
  assertClose(both.slice(0, P), map0, { atol: 1e-6, rtol: 1e-4 }, "item 0 in a batch");
  assertClose(both.slice(P), map1, { atol: 1e-6, rtol: 1e-4 }, "item 1 in a batch");
  model.dispose();
});

Deno.test("DPO gradient w.r.t. the visual tokens vs central differences; map = its L1", async () => {
  const model = tinyMLLM(4);
  randomizeForCheck(model, new Rng(6));
  const size = TINY_MLLM.vit.imageSize;
  const n = 2;
  const { images } = tintChat(n, size, 7);
  const prompt = [TINY_IDS.bos, TINY_IDS.user, 11, 12, TINY_IDS.assistant];
  const rows = [
    { prompt, response: [20, 30, TINY_IDS.eos] },
    { prompt, response: [21, 31, TINY_IDS.eos] },
    { prompt, response: [22, 31, TINY_IDS.eos] },
    { prompt, response: [20, 32, TINY_IDS.eos] },
  ];
  const b = batchEncoded(rows, TINY_IDS.pad, { padTo: 8 });
  const gr = { rows: 2 * n, tokens: b.tokens, ids: b.ids, labels: b.labels, mask: b.responseMask };
  const reference = Float32Array.from([-3, -4, -3.5, -2.5]);
  const beta = 1;
  const loss = { kind: "dpo" as const, reference, beta };
  const imgs = tensor(images, [n, size, size, 3]);
  const raw = await visualGradientMaps(model, imgs, gr, loss, { raw: true });
  const map = await visualGradientMaps(model, imgs, gr, loss);
  const l1 = new Float32Array(n * P);
  for (let i = 0; i < n * P; i++) for (let c = 0; c < D; c++) l1[i] += Math.abs(raw[i * D + c]);
  assertClose(map, l1, { atol: 1e-7, rtol: 1e-5 }, "DPO map = L1 of the gradient");

  // f32 central differences of Σ_i DPO_i as a function of the visual tokens.
  model.eval();
  const visual = Float32Array.from(await tidy(() => noGrad(() => model.visualTokens(imgs))).data());
  const lossAt = (v: Float32Array) =>
    tidy(() =>
      noGrad(() => {
        const shape = [2 * n, b.tokens];
        const lp = sequenceLogProbs(
          model.logitsFrom(tensor(v, [n, P, D]), tensor(b.ids, shape, "i32")),
          tensor(b.labels, shape, "i32"),
          tensor(b.responseMask, shape),
        );
        return dpoFromLogProbs(lp, tensor(reference, [2 * n]), beta).loss;
      })
    ).item().then((x) => x * n);
  const order = [...raw.keys()].sort((i, j) => Math.abs(raw[j]) - Math.abs(raw[i])).slice(0, 4);
  const eps = 1e-2;
  for (const j of order) {
    const up = Float32Array.from(visual);
    const down = Float32Array.from(visual);
    up[j] += eps;
    down[j] -= eps;
    const numeric = ((await lossAt(up)) - (await lossAt(down))) / (2 * eps);
    assertClose([raw[j]], [numeric], { atol: 1e-4, rtol: 3e-2 }, `d DPO / d visual[${j}]`);
  }
  assert.ok(Math.abs(raw[order[0]]) > 1e-3, `largest |grad| ${raw[order[0]]}`);
  imgs.dispose();
  model.dispose();
});
