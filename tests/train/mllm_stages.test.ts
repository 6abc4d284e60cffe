/**
 * The MLLM stages on the tiny preset: 1a → 1b → sft / dpo / unlikelihood for a few steps
 * each, through `runStage`. Every stage's loss falls (DPO: its margin rises); the ViT does
 * not move in 1a (frozen) and moves in 1b and in every arm; the DPO reference is a stage of
 * its own that a second DPO run reuses; re-running a stage-2 definition loads it from the
 * cache; data order is a pure function of (seed, step); the unlikelihood targets sit on the
 * rejected response's differing words; an interrupted DPO run resumes to the same end with
 * its whole log-prob curve. Pretrained inputs are stand-ins (a seeded random ViT
 * saved as an E0 checkpoint, a short L0 run), so the test does not depend on pretraining.
 * DPO's lr is the grid's second value: at the grid's top both log-probs collapse within a
 * few steps on tiny (the known failure mode), which this test is not about.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { gpuReady } from "../helpers.ts";
import { Rng } from "../../src/tensor/random.ts";
import { ViT } from "../../src/nn/vit.ts";
import { Module } from "../../src/nn/module.ts";
import { saveCheckpoint } from "../../src/nn/checkpoint.ts";
import { sync } from "../../src/gpu/batch.ts";
import { trimPool } from "../../src/gpu/pool.ts";
import { loadOrGenerateWorld } from "../../src/world/world.ts";
import { worldTokenizer } from "../../src/world/tokenizer.ts";
import type { QuestionRecord } from "../../src/world/splits.ts";
import { pretrainProtocol } from "../../src/protocol/presets.ts";
import { l0Config, l0Stage } from "../../src/train/l0.ts";
import { runStage, type StageDef, type StageOutput } from "../../src/train/stage.ts";
import { StageInterrupted } from "../../src/train/loop.ts";
import {
  ChatData,
  chatExamples,
  dpoReferenceStage,
  loadMLLM,
  type MLLMStageMetrics,
  postTrainProtocol,
  preferenceArrays,
  preferenceExamples,
  readReference,
  referenceConfig,
  runStage2,
  stage1aConfig,
  stage1aStage,
  stage1bConfig,
  stage1bStage,
  stage2Config,
  stage2Stage,
} from "../../src/train/mllm/mod.ts";

await gpuReady();

const pre = pretrainProtocol("tiny");
// The tiny protocol's Stage 2 is 2 epochs over 32 items (8 steps), so the last logged window
// scores items the arm has trained on once (1 epoch over unseen items would measure
// generalisation instead, which a few tiny steps need not show).
const p = postTrainProtocol("tiny");

/** A stand-in E0 stage: a seeded random ViT saved under `vit.` (as E0 checkpoints are). */
function fakeE0(): StageDef {
  return {
    name: "e0-vit-s",
    config: { fake: true, vit: { ...pre.encoders["vit-s"]!, channels: 3 } },
    run: async (ctx) => {
      const holder = new Module();
      holder.child("vit", new ViT({ ...pre.encoders["vit-s"]!, channels: 3 }, new Rng(5)));
      holder.nameParameters();
      await saveCheckpoint(ctx.checkpointDir, { model: holder });
      holder.dispose();
      return {};
    },
  };
}

Deno.test({
  name: "tiny 1a → 1b → sft / dpo / unlikelihood: losses fall, encoder moves, caches hold",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const out = await Deno.makeTempDir({ prefix: "pivotlab-mllm-" });
    const logs: string[] = [];
    const opts = { out, log: (l: string) => logs.push(l) };
    const run = async <M extends Record<string, unknown>>(d: StageDef<M>) => {
      const o = await runStage(d, opts);
      await sync();
      trimPool();
      return o;
    };
    const t0 = performance.now();
    try {
      const world = await loadOrGenerateWorld("tiny", 0, join(out, "world"));
      const e0 = await run(fakeE0());
      const l0spec = { ...pre.l0[0], steps: 20 };
      const l0 = await run(
        l0Stage(
          l0Config(l0spec, pre.lms["lm-s"]!, pre.world, { logEvery: 10, checkpointEvery: 100 }),
          world,
        ),
      );
      const seed = p.seeds.primary[0];
      const falls = (o: StageOutput<MLLMStageMetrics>) => {
        const m = o.metrics;
        assert.ok(m.finalLoss < m.firstLoss, `${o.name}: loss ${m.firstLoss} → ${m.finalLoss}`);
        assert.ok(m.curve.every((pt) => pt.gradNorm && pt.gradNorm.postClip <= 1 + 1e-4));
        assert.ok(m.flops > 0 && m.samples === m.steps * (o.config as { batch: number }).batch);
      };

      const s1a = await run(stage1aStage(stage1aConfig(p, pre, seed), world, { e0, l0 }));
      falls(s1a);
      assert.equal(s1a.metrics.encoderMovement.weights, 0, "1a froze the ViT");
      assert.equal(s1a.metrics.encoderMovement.features, 0);

      const s1b = await run(stage1bStage(stage1bConfig(p, pre, seed), world, s1a));
      falls(s1b);
      assert.ok(
        s1b.metrics.encoderMovement.weights > 0 && s1b.metrics.encoderMovement.features > 0,
      );
      assert.equal(s1b.metrics.lrs["vit.decay"], p.stage1b.optim.lr * p.stage1b.vitLrRatio);

      const ref = await run(dpoReferenceStage(referenceConfig(p, pre, "full"), world, s1b));
      const cache = await readReference(ref);
      assert.equal(cache.length, 2 * Math.max(...p.stage2.dataSweepSizes));
      assert.ok(cache.every((v) => Number.isFinite(v) && v < 0));

      const grid = p.stage2.lrGrid;
      const arm = (a: "sft" | "dpo" | "unlikelihood", lr: number) =>
        stage2Stage(
          stage2Config(p, pre, { arm: a, lr, condition: "full", seed }),
          world,
          s1b,
          a === "dpo" ? ref : undefined,
        );
      const sft = await run(arm("sft", grid[3]));
      falls(sft);
      const ul = await run(arm("unlikelihood", grid[3]));
      falls(ul);
      const ulCurve = ul.metrics.unlikelihood!;
      assert.ok(ulCurve.length > 0 && ulCurve.every((pt) => pt.unlikelihood > 0));
      const dpo = await run(arm("dpo", grid[2]));
      const d = dpo.metrics.dpo!;
      assert.ok(d.length >= 2);
      // The policy starts at the reference: the first window's margin is near 0.
      assert.ok(Math.abs(d[0].margin) < 0.5, JSON.stringify(d[0]));
      assert.ok(
        d.at(-1)!.margin > d[0].margin || dpo.metrics.finalLoss < dpo.metrics.firstLoss,
        `dpo: margin ${d[0].margin} → ${d.at(-1)!.margin}, loss ${dpo.metrics.firstLoss} → ` +
          dpo.metrics.finalLoss,
      );
      for (const o of [sft, ul, dpo]) {
        assert.ok(o.metrics.encoderMovement.weights > 0, `${o.name}: ViT weights did not move`);
        assert.ok(o.metrics.encoderMovement.features > 0, `${o.name}: features did not move`);
        assert.equal(
          o.metrics.steps,
          p.stage2.epochs * Math.floor(p.stage2.preferenceSize / p.stage2.batch),
        );
      }

      // A second DPO run (another lr) reuses the reference stage; re-runs are cached.
      const refAgain = await run(dpoReferenceStage(referenceConfig(p, pre, "full"), world, s1b));
      assert.equal(refAgain.cached, true);
      assert.equal(refAgain.key, ref.key);
      const dpo2 = await runStage2(p, pre, world, s1b, {
        arm: "dpo",
        lr: grid[1],
        condition: "full",
        seed,
      }, opts);
      assert.equal(dpo2.cached, false);
      assert.notEqual(dpo2.key, dpo.key);
      const refDirs = [...Deno.readDirSync(join(out, "stages", "mllm-dpo-ref"))];
      assert.equal(refDirs.length, 1, "one reference cache for every DPO run of this base");
      for (
        const [a, lr] of [["sft", grid[3]], ["dpo", grid[2]], ["unlikelihood", grid[3]]] as const
      ) {
        const again = await run(arm(a, lr));
        assert.equal(again.cached, true, `${a} re-run was not cached`);
      }

      // An interrupted DPO run resumes to the same end, its log-prob curve kept whole.
      const out2 = join(out, "resume");
      await assert.rejects(
        () => runStage(arm("dpo", grid[2]), { ...opts, out: out2, stopAfterSteps: 3 }),
        StageInterrupted,
      );
      const resumed = await runStage(arm("dpo", grid[2]), { ...opts, out: out2 });
      assert.equal(resumed.metrics.finalLoss, dpo.metrics.finalLoss);
      // Windows that the interruption (at step 3) did not split are identical.
      const at = (pts: { step: number; margin: number }[]) =>
        pts.filter((pt) => pt.step !== 3 && pt.step !== 4).map((pt) => [pt.step, pt.margin]);
      assert.deepEqual(at(resumed.metrics.dpo!), at(dpo.metrics.dpo!));
      assert.ok(resumed.metrics.dpo!.some((pt) => pt.step === 2), "the curve before the stop");

      // loadMLLM rebuilds the final model of a stage.
      const model = await loadMLLM(dpo);
      assert.equal(model.parameterCount(), dpo.metrics.params);
      model.dispose();
      console.log(
        `tiny post-training stages: ${((performance.now() - t0) / 1000).toFixed(1)} s; ` +
          [s1a, s1b, sft, ul, dpo].map((o) => `${o.name} ${o.seconds.toFixed(1)} s`).join(", "),
      );
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});

Deno.test("data: batches are a pure function of (seed, step); diff targets are the rejected words", async () => {
  const out = await Deno.makeTempDir({ prefix: "pivotlab-mllm-data-" });
  try {
    const world = await loadOrGenerateWorld("tiny", 0, join(out, "world"));
    const split = await world.split("instruction");
    const make = (seed: number) =>
      new ChatData(split, chatExamples(split), { batch: 8, seed, maxText: 64 });
    const [a, b, c] = [make(3), make(3), make(4)];
    for (const step of [0, 7, 60]) {
      const [x, y] = [a.batch(step), b.batch(step)];
      assert.deepEqual([...x.indices], [...y.indices]);
      assert.deepEqual([...(await x.ids.read())], [...(await y.ids.read())]);
      for (const t of [x, y]) for (const v of [t.images, t.ids, t.labels]) v.dispose();
    }
    assert.notDeepEqual([...a.order.indices(0)], [...c.order.indices(0)]);

    const pref = await world.split("preference");
    const tok = worldTokenizer();
    for (const condition of ["full", "clear"] as const) {
      const rows = preferenceExamples(pref, condition, 12);
      const arr = preferenceArrays(rows);
      const t = arr.tokens;
      rows.forEach((r, i) => {
        const item = (pref.records[r.item] as QuestionRecord).item;
        const spans = condition === "full" ? item.spans : item.clearSpans;
        const rejected = condition === "full" ? item.rejected : item.rejectedClear;
        const want = spans.map((s) => rejected.slice(...s.rejectedChars).trim()).filter(Boolean)
          .join(" ");
        const row = rows.length + i;
        const got: number[] = [];
        for (let k = 0; k < t; k++) {
          if (arr.diffMask[row * t + k] === 1) got.push(arr.diffTargets[row * t + k]);
        }
        assert.equal(tok.decode(got).replace(/\s+/g, " "), tok.decode(tok.encode(want)));
        // Chosen rows carry no unlikelihood target; the SFT labels cover chosen rows only.
        for (let k = 0; k < t; k++) {
          assert.equal(arr.diffMask[i * t + k], 0);
          assert.equal(arr.chosenLabels[row * t + k], -100);
        }
      });
      assert.ok(arr.diffCount > 0);
    }
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
