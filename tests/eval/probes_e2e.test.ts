/**
 * The probes end to end on the tiny world: a tiny E0 encoder (the protocol's siglip vit-s,
 * 50 steps) is loaded from its stage output with `loadProbeSource`, and `probeEncoder` runs
 * the linear probe for every label kind (C chosen on a validation part of
 * classification_train, top-1 on classification_test) and the segmentation probe over 5
 * seeds; the count-label top-1 (6 classes, the counting family's labels) must beat both
 * chance levels (uniform and majority). The fine labels (100 classes) are reported but not
 * asserted: tiny has 240 training images for them, ~2 per class. Then
 * gradient maps of a freshly initialised tiny MLLM on an evaluation split: localisation
 * numbers per loss (DPO against a reference model) and a PNG sheet.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { loadOrGenerateWorld } from "../../src/world/mod.ts";
import { pretrainProtocol } from "../../src/protocol/presets.ts";
import { postTrainProtocol } from "../../src/protocol/posttrain.ts";
import { e0Config, e0Stage } from "../../src/train/e0/mod.ts";
import { mllmConfigOf } from "../../src/train/mllm/stages.ts";
import { runStage } from "../../src/train/stage.ts";
import { MLLM } from "../../src/mllm/model.ts";
import { Rng } from "../../src/tensor/random.ts";
import {
  gradientMaps,
  gradMapSheet,
  loadProbeSource,
  probeEncoder,
} from "../../src/eval/probes/mod.ts";
import { gpuReady } from "../helpers.ts";

await gpuReady();

Deno.test({
  name:
    "tiny E0 encoder → linear probe above chance, seg probe over 5 seeds; tiny MLLM gradient maps",
  sanitizeResources: false,
  fn: async () => {
    const out = await Deno.makeTempDir({ prefix: "pivotlab-probes-" });
    try {
      const p = pretrainProtocol("tiny");
      const world = await loadOrGenerateWorld(p.world.preset, p.world.seed, join(out, "world"));
      let t0 = performance.now();
      const e0 = await runStage(e0Stage(e0Config(p, p.e0[0]), world), {
        out,
        log: () => {},
      });
      const trainS = (performance.now() - t0) / 1000;
      t0 = performance.now();
      const loaded = await loadProbeSource(e0);
      const report = await probeEncoder(loaded.source, world, {
        seg: { seeds: [0, 1, 2, 3, 4], epochs: 5 },
      });
      loaded.dispose();
      const probeS = (performance.now() - t0) / 1000;
      const v = report.views.vit!;
      for (const [kind, r] of Object.entries(v.linear)) {
        console.log(
          `${kind}: test top-1 ${r.testTop1.toFixed(3)} (majority ${r.majority.toFixed(3)}, ` +
            `uniform ${r.uniform.toFixed(3)}), C ${r.fit.c}, ${r.fit.epochs} epochs, ` +
            `${r.fit.converged ? "converged" : "budget"}`,
        );
      }
      const seg = v.seg!;
      console.log(
        `seg: macro recall ${seg.macroRecall.mean.toFixed(3)} ± ${
          seg.macroRecall.sd!.toFixed(3)
        }, ` +
          `mIoU ${seg.mIoU.mean.toFixed(3)} ± ${
            seg.mIoU.sd!.toFixed(3)
          } (${seg.seeds.length} seeds); ` +
          `E0 ${trainS.toFixed(1)} s, probes ${probeS.toFixed(1)} s`,
      );
      assert.deepEqual(Object.keys(report.views), ["vit"], "a bare encoder has no projector view");
      const count = v.linear.count!;
      assert.ok(
        count.testTop1 > count.uniform && count.testTop1 > count.majority,
        `count ${count.testTop1}`,
      );
      const fine = v.linear.fine!;
      assert.equal(fine.nTest, 200);
      assert.equal(fine.fit.nTrain + fine.fit.nVal, 300);
      assert.equal(seg.perSeed.length, 5);
      assert.ok(seg.macroRecall.mean > 0 && seg.macroRecall.mean <= 1);

      // Gradient maps of a fresh tiny MLLM (structure and ranges; no learning expected).
      t0 = performance.now();
      const cfg = mllmConfigOf(postTrainProtocol("tiny"), p);
      const model = new MLLM(cfg, new Rng(3)).nameParameters();
      const reference = new MLLM(cfg, new Rng(4)).nameParameters();
      const split = await world.split("test_vision");
      const r = await gradientMaps(model, split, { n: 8, reference: { model: reference } });
      const grid = cfg.vit.imageSize / cfg.vit.patch;
      assert.equal(r.grid, grid);
      assert.equal(r.items.length + r.tooLong, 8);
      for (const it of r.items) {
        for (const m of [it.maps.sft!, it.maps.dpo!]) {
          assert.equal(m.length, grid * grid);
          assert.ok(m.every((x) => Number.isFinite(x) && x >= 0) && m.some((x) => x > 0));
        }
      }
      for (const name of ["sft", "dpo"] as const) {
        const loc = r.localisation[name]!;
        assert.equal(loc.n + loc.skipped, r.items.length);
        assert.ok(loc.share >= 0 && loc.share <= 1 && loc.pointing >= 0 && loc.pointing <= 1);
        console.log(
          `${name} map (untrained model): share ${loc.share.toFixed(3)} (chance ` +
            `${loc.chanceShare.toFixed(3)}), pointing ${loc.pointing.toFixed(3)}, n ${loc.n}`,
        );
      }
      const png = await gradMapSheet(split, r, { items: 3 });
      assert.deepEqual([...png.slice(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
      console.log(`gradient maps: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      model.dispose();
      reference.dispose();
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});
