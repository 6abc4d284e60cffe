import assert from "node:assert/strict";
import { gpuReady } from "../helpers.ts";
import { canonicalJson, runStage, stageKey, type StageOutput } from "../../src/train/stage.ts";
import { StageInterrupted } from "../../src/train/loop.ts";
import { TOY_CONFIG, toyStage } from "./toy.ts";

await gpuReady();

const fakeInput = (key: string): StageOutput => ({
  name: "e0",
  key,
  dir: "/nowhere",
  checkpointDir: "/nowhere/checkpoint",
  config: {},
  metrics: {},
  cached: false,
  seconds: 0,
});

Deno.test("stageKey: changes with the config or an input key, not with key order", () => {
  const base = { name: "l0", config: { lr: 1e-3, model: { width: 32, depth: 2 } } };
  const k = stageKey(base);
  assert.match(k, /^[0-9a-f]{64}$/);
  assert.equal(stageKey({ name: "l0", config: { model: { depth: 2, width: 32 }, lr: 1e-3 } }), k);
  assert.equal(stageKey({ ...base, inputs: [] }), k);
  assert.notEqual(stageKey({ ...base, config: { ...base.config, lr: 2e-3 } }), k);
  assert.notEqual(stageKey({ ...base, name: "l0b" }), k);
  const withInput = stageKey({ ...base, inputs: [fakeInput("aaaa")] });
  assert.notEqual(withInput, k);
  assert.equal(stageKey({ ...base, inputs: [fakeInput("aaaa")] }), withInput);
  assert.notEqual(stageKey({ ...base, inputs: [fakeInput("bbbb")] }), withInput);
  assert.throws(() => canonicalJson({ x: NaN }), /not JSON/);
});

Deno.test("runStage: a finished stage is skipped; --force recomputes it", async () => {
  const out = await Deno.makeTempDir({ prefix: "pivotlab-stage-" });
  const log = () => {};
  try {
    const runs = { count: 0 };
    const a = await runStage(toyStage(TOY_CONFIG, runs), { out, log });
    assert.equal(a.cached, false);
    assert.equal(runs.count, 1);
    await Deno.stat(`${a.dir}/done.json`);
    await Deno.stat(`${a.checkpointDir}/model.safetensors`);
    await assert.rejects(() => Deno.stat(`${a.dir}/partial`), Deno.errors.NotFound);
    const b = await runStage(toyStage(TOY_CONFIG, runs), { out, log });
    assert.equal(b.cached, true);
    assert.equal(runs.count, 1);
    assert.deepEqual(b.metrics, a.metrics);
    assert.equal(b.key, a.key);
    const c = await runStage(toyStage(TOY_CONFIG, runs), { out, log, force: ["toy"] });
    assert.equal(c.cached, false);
    assert.equal(runs.count, 2);
    assert.deepEqual(c.metrics, a.metrics); // deterministic
    const d = await runStage(toyStage({ ...TOY_CONFIG, lr: 2e-2 }, runs), { out, log });
    assert.equal(d.cached, false);
    assert.notEqual(d.dir, a.dir);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("runStage: an interrupted stage resumes from partial/ to the same result", async () => {
  const out = await Deno.makeTempDir({ prefix: "pivotlab-stage-" });
  const lines: string[] = [];
  const log = (l: string) => lines.push(l);
  try {
    const runs = { count: 0 };
    await assert.rejects(
      () => runStage(toyStage(TOY_CONFIG, runs), { out, log, stopAfterSteps: 17 }),
      StageInterrupted,
    );
    const resumed = await runStage(toyStage(TOY_CONFIG, runs), { out, log });
    assert.ok(lines.some((l) => /resuming from step 17\/40/.test(l)), lines.join("\n"));
    const other = await Deno.makeTempDir({ prefix: "pivotlab-stage-" });
    const straight = await runStage(toyStage(TOY_CONFIG, runs), { out: other, log });
    await Deno.remove(other, { recursive: true }).catch(() => {});
    assert.equal(resumed.metrics.finalLoss, straight.metrics.finalLoss);
    assert.equal(resumed.metrics.steps, 40);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
