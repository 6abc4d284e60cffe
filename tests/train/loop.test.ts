import assert from "node:assert/strict";
import { gpuReady } from "../helpers.ts";
import { NonFiniteLossError, StageInterrupted } from "../../src/train/loop.ts";
import { memoryStats } from "../../src/gpu/pool.ts";
import { TOY_CONFIG, trainToy } from "./toy.ts";

await gpuReady();

Deno.test("trainLoop: the toy loss falls; curve, samples and FLOPs are counted", async () => {
  const live = memoryStats().liveBytes;
  const { result } = await trainToy({ ...TOY_CONFIG, steps: 60 });
  assert.equal(memoryStats().liveBytes, live, "the loop left live GPU tensors behind");
  const first = result.curve[0].loss;
  const last = result.curve.at(-1)!.loss;
  assert.equal(result.steps, 60);
  assert.equal(result.samples, 60 * TOY_CONFIG.batch);
  assert.equal(result.curve.length, 60 / TOY_CONFIG.logEvery);
  assert.ok(last < 0.6 * first, `loss ${first} → ${last} did not fall by 40%`);
  assert.ok(result.flops > 0 && result.dispatches > 0);
  const norms = result.curve[0].gradNorm!;
  assert.ok(norms.preClip > 0 && norms.postClip <= 1 + 1e-5, JSON.stringify(norms));
});

Deno.test("trainLoop: an interrupted run resumes and ends bit-identical", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pivotlab-loop-" });
  try {
    const straight = await trainToy(TOY_CONFIG);
    // Stop after 13 steps (not a checkpoint multiple): the stop itself checkpoints.
    await assert.rejects(
      () => trainToy(TOY_CONFIG, { partialDir: `${dir}/partial`, stopAfterSteps: 13 }),
      StageInterrupted,
    );
    await assert.rejects(
      () => trainToy(TOY_CONFIG, { partialDir: `${dir}/partial`, stopAfterSteps: 9 }),
      StageInterrupted,
    );
    const resumed = await trainToy(TOY_CONFIG, { partialDir: `${dir}/partial` });
    assert.equal(resumed.result.resumedFrom, 22);
    assert.equal(resumed.result.steps, TOY_CONFIG.steps);
    assert.equal(resumed.result.samples, straight.result.samples);
    assert.equal(resumed.result.flops, straight.result.flops);
    for (const [name, values] of straight.params) {
      assert.deepEqual(resumed.params.get(name), values, `parameter ${name} differs`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("trainLoop: a NaN loss stops the stage naming it and the step", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pivotlab-loop-" });
  try {
    const err = await trainToy({ ...TOY_CONFIG, nanAt: 23 }, { partialDir: `${dir}/partial` })
      .then(() => null, (e) => e);
    assert.ok(err instanceof NonFiniteLossError, String(err));
    assert.match(err.message, /stage toy: loss is NaN at step 24/);
    assert.match(err.message, /last good checkpoint \(step 20\)/);
    const meta = JSON.parse(await Deno.readTextFile(`${dir}/partial/meta.json`));
    assert.equal(meta.step, 20);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
