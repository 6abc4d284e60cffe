/**
 * E0, the supervised family (`vit-sup`), on the tiny world with a short run: interrupted
 * half way and resumed from the partial checkpoint, it ends with the same metrics as an
 * uninterrupted run (batches and schedule are pure functions of the step); the loss falls
 * and the held-out top-1 is reported against the majority-class rate.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { loadOrGenerateWorld } from "../../src/world/mod.ts";
import { pretrainProtocol } from "../../src/protocol/presets.ts";
import { e0Config, e0Stage, loadEncoder } from "../../src/train/e0/mod.ts";
import type { E0Metrics } from "../../src/train/e0/mod.ts";
import { runStage } from "../../src/train/stage.ts";
import { StageInterrupted } from "../../src/train/loop.ts";
import { gpuReady } from "../helpers.ts";

await gpuReady();

Deno.test({
  name: "e0-vit-sup on tiny: resumes bit-identically after an interruption; loss falls",
  sanitizeResources: false,
  fn: async () => {
    const out = await Deno.makeTempDir({ prefix: "pivotlab-e0sup-" });
    try {
      const p = pretrainProtocol("tiny");
      const world = await loadOrGenerateWorld(p.world.preset, p.world.seed, join(out, "world"));
      const spec = {
        ...p.e0[0],
        encoder: "vit-sup" as const,
        objective: "classification" as const,
        split: "classification_train" as const,
        steps: 12,
        batch: 32,
      };
      const protocol = {
        ...p,
        encoders: { ...p.encoders, "vit-sup": p.encoders["vit-s"] },
        logEvery: 3,
        checkpointEvery: 6,
      };
      const cfg = { ...e0Config(protocol, spec), eval: { split: "classification_test", n: 200 } };
      const def = e0Stage(cfg, world);
      const quiet = { log: () => {} };
      await assert.rejects(
        runStage(def, { out: join(out, "a"), stopAfterSteps: 6, ...quiet }),
        StageInterrupted,
      );
      const resumed = await runStage(def, { out: join(out, "a"), ...quiet });
      const straight = await runStage(def, { out: join(out, "b"), ...quiet });
      const m = resumed.metrics as E0Metrics;
      const s = straight.metrics as E0Metrics;
      assert.deepEqual(m.curve.map((c) => c.loss), s.curve.map((c) => c.loss));
      assert.deepEqual(m.classification, s.classification);
      const c = m.classification!;
      console.log(
        `loss ${m.firstLoss.toFixed(3)} → ${m.finalLoss.toFixed(3)}; top-1 ${c.top1} on ${c.n} ` +
          `(majority ${c.majority}, uniform ${c.uniform})`,
      );
      assert.ok(m.finalLoss < m.firstLoss, `loss ${m.firstLoss} → ${m.finalLoss}`);
      assert.equal(c.n, 200);
      assert.equal(m.quality.chance, c.majority);
      const { vit } = await loadEncoder(resumed);
      assert.equal(vit.parameterCount(), m.vitParams);
      vit.dispose();
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});
