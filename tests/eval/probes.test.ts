/**
 * The probes' fitting and metrics on synthetic data with known answers:
 * - the linear probe recovers a planted linear rule (far above chance), and its C is chosen
 *   on validation only: the fit's signature has no test argument, and two runs whose test
 *   sets differ (true vs scrambled labels, other rows) choose the same C with bit-identical
 *   sweeps;
 * - the segmentation probe learns planted per-patch multi-labels;
 * - macro recall and mIoU against hand-computed values (absent and ignored classes).
 */

import assert from "node:assert/strict";
import {
  fitLinearProbe,
  holdOut,
  linearProbe,
  type ProbeData,
  subset,
} from "../../src/eval/probes/linear.ts";
import {
  type PatchData,
  type PatchLabels,
  segmentationMetrics,
  segmentationProbe,
} from "../../src/eval/probes/segmentation.ts";
import { plantedProbeData } from "../../src/bench/probe_bench.ts";
import { gpuReady, Rng } from "../helpers.ts";

await gpuReady();

Deno.test("linear probe: recovers a planted linear rule; C is chosen on validation only", async () => {
  const [d, k] = [16, 5];
  const { data: all, rule } = plantedProbeData(800, d, k, 11);
  const { train, val } = holdOut(all.n, 0.25, 3);
  assert.equal(train.length + val.length, all.n);
  assert.equal(new Set([...train, ...val]).size, all.n, "train and val are disjoint");
  const tr = subset(all, train);
  const va = subset(all, val);
  const { data: test } = plantedProbeData(400, d, k, 12, 0, rule);
  const t0 = performance.now();
  const r = await linearProbe(tr, va, test, k);
  const seconds = (performance.now() - t0) / 1000;
  console.log(
    `planted rule: test top-1 ${r.testTop1.toFixed(3)} (majority ${
      r.majority.toFixed(3)
    }), C ${r.fit.c}, ` +
      `${r.fit.epochs} epochs (${r.fit.converged ? "converged" : "budget"}), ${
        seconds.toFixed(1)
      } s; ` +
      r.fit.sweep.map((s) => `C ${s.c}: val ${s.valTop1.toFixed(3)}`).join(", "),
  );
  assert.ok(r.testTop1 > 0.8, `test top-1 ${r.testTop1}`);
  assert.ok(r.testTop1 > r.majority + 0.4);
  // Per-item correctness (for comparisons paired by item) agrees with top-1.
  assert.equal(r.testCorrect.length, r.nTest);
  assert.equal(r.testCorrect.reduce((a, x) => a + x, 0) / r.nTest, r.testTop1);
  assert.ok(r.fit.converged, "converged within the budget");
  // The chosen C is the best on validation (ties → smaller C).
  const best = Math.max(...r.fit.sweep.map((s) => s.valTop1));
  assert.equal(r.fit.sweep[r.fit.chosen].valTop1, best);
  assert.equal(r.fit.c, Math.min(...r.fit.sweep.filter((s) => s.valTop1 === best).map((s) => s.c)));
  // Stronger regularisation, larger objective floor: J_C falls as C grows.
  for (let i = 1; i < r.fit.sweep.length; i++) {
    assert.ok(r.fit.sweep[i].objective < r.fit.sweep[i - 1].objective);
  }

  // By construction: the fit never sees the test set. Another test set (scrambled labels,
  // other rows) leaves the choice and the whole sweep bit-identical; only the score moves.
  assert.equal(fitLinearProbe.length, 3, "fitLinearProbe(train, val, classes[, opts])");
  const rng = new Rng(5);
  const scrambled: ProbeData = {
    ...subset(test, Array.from({ length: 300 }, (_, i) => i)),
  };
  scrambled.y = scrambled.y.map(() => rng.int(k));
  const r2 = await linearProbe(tr, va, scrambled, k);
  assert.deepEqual(r2.fit.sweep, r.fit.sweep);
  assert.equal(r2.fit.chosen, r.fit.chosen);
  assert.deepEqual(r2.fit.weights, r.fit.weights);
  assert.ok(r2.testTop1 < 0.5, `scrambled labels: ${r2.testTop1}`);
});

/** n images of `tokens` patches with d-dim features; class c is in a patch when w_c·x > 0.4. */
function plantedPatches(n: number, tokens: number, d: number, k: number, seed: number) {
  const rng = new Rng(seed);
  const w = new Rng(99).normals(d * k);
  const x = rng.normals(n * tokens * d);
  const labels = new Uint8Array(n * tokens * k);
  for (let r = 0; r < n * tokens; r++) {
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += x[r * d + j] * w[j * k + c];
      labels[r * k + c] = s / Math.sqrt(d) > 0.4 ? 1 : 0;
    }
  }
  const data: PatchData = { x, n, tokens, d };
  const y: PatchLabels = { labels, n, tokens, classes: k };
  return { data, y };
}

Deno.test("segmentation probe: learns planted per-patch labels (5 seeds, mean and spread)", async () => {
  const train = plantedPatches(64, 4, 8, 4, 1);
  const test = plantedPatches(32, 4, 8, 4, 2);
  const t0 = performance.now();
  const r = await segmentationProbe(train.data, train.y, test.data, test.y, {
    seeds: [0, 1, 2, 3, 4],
    epochs: 25,
    batch: 16,
    lr: 1e-2,
    hidden: 32,
    ignoreClasses: [],
  });
  const s = (performance.now() - t0) / 1000;
  console.log(
    `seg probe: macro recall ${r.macroRecall.mean.toFixed(3)} ± ${r.macroRecall.sd!.toFixed(3)}, ` +
      `mIoU ${r.mIoU.mean.toFixed(3)} ± ${r.mIoU.sd!.toFixed(3)}, loss ${
        r.finalLoss.map((l) => l.toFixed(3)).join("/")
      }, ${r.steps} steps per seed, ${s.toFixed(1)} s`,
  );
  assert.equal(r.perSeed.length, 5);
  assert.ok(r.macroRecall.mean > 0.8, `macro recall ${r.macroRecall.mean}`);
  assert.ok(r.mIoU.mean > 0.6, `mIoU ${r.mIoU.mean}`);
  assert.ok(r.macroRecall.sd! > 0 || r.mIoU.sd! >= 0);
  // Seeds differ (init and order), and the same seed repeats exactly.
  const again = await segmentationProbe(train.data, train.y, test.data, test.y, {
    seeds: [3],
    epochs: 25,
    batch: 16,
    lr: 1e-2,
    hidden: 32,
    ignoreClasses: [],
  });
  assert.deepEqual(again.perSeed[0], r.perSeed[3]);
});

Deno.test("segmentation metrics: macro recall and mIoU against hand-computed values", () => {
  // 4 patches × 4 classes; class 0 is ignored, class 3 never present but predicted once.
  // prettier-ignore
  const truth = [
    1,
    1,
    0,
    0,
    1,
    0,
    1,
    0,
    0,
    1,
    1,
    0,
    1,
    0,
    0,
    0,
  ];
  // prettier-ignore
  const pred = [
    1,
    1,
    1,
    0,
    0,
    0,
    1,
    0,
    0,
    0,
    1,
    0,
    1,
    0,
    0,
    1,
  ];
  const m = segmentationMetrics(pred, truth, 4, [0]);
  // class 1: TP 1 (p0), FN 1 (p2), FP 0 → recall 1/2, IoU 1/2
  // class 2: TP 2 (p1, p2), FP 1 (p0), FN 0 → recall 1, IoU 2/3
  // class 3: no positive → not in the recall; union 1 (FP p3) → IoU 0
  assert.equal(m.recallClasses, 2);
  assert.equal(m.iouClasses, 3);
  assert.ok(Math.abs(m.macroRecall - 0.75) < 1e-12);
  assert.ok(Math.abs(m.mIoU - (0.5 + 2 / 3 + 0) / 3) < 1e-12);
  assert.ok(Number.isNaN(m.recall[0]) && Number.isNaN(m.iou[0]), "class 0 ignored");
  // Nothing ignored: class 0 has TP 2 (p0, p3), FN 1 (p1), FP 0.
  const all = segmentationMetrics(pred, truth, 4, []);
  assert.ok(Math.abs(all.macroRecall - (2 / 3 + 0.5 + 1) / 3) < 1e-12);
  assert.ok(Math.abs(all.mIoU - (2 / 3 + 0.5 + 2 / 3 + 0) / 4) < 1e-12);
});
