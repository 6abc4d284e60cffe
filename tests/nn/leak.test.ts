/**
 * Leak check: 200 training steps of the whole-step models (each step in `tidy`, gradients
 * dropped after the AdamW update) leave GPU memory flat: live bytes and buffers after step
 * 20 equal those after step 200 exactly, and the pool does not grow.
 */

import assert from "node:assert/strict";
import { memoryStats } from "../../src/gpu/pool.ts";
import { sync } from "../../src/gpu/batch.ts";
import { gpuReady } from "../helpers.ts";
import { lmTrainer, type StepFn, vitTrainer } from "./tiny_models.ts";

await gpuReady();

async function checkFlat(label: string, step: StepFn, steps = 200): Promise<void> {
  let at20 = memoryStats();
  for (let k = 1; k <= steps; k++) {
    step(k).dispose();
    // Measured after a submit, when every buffer released in the step is back in the pool.
    if (k % 20 === 0) await sync();
    if (k === 20) at20 = memoryStats();
  }
  const atEnd = memoryStats();
  console.log(
    `${label}: after step 20 ${JSON.stringify(at20)}, after ${steps} ${JSON.stringify(atEnd)}`,
  );
  assert.equal(atEnd.liveBytes, at20.liveBytes, `${label}: live bytes grew`);
  assert.equal(atEnd.liveBuffers, at20.liveBuffers, `${label}: live buffers grew`);
  assert.ok(atEnd.pooledBytes <= at20.pooledBytes, `${label}: the pool grew`);
}

Deno.test("leak check: 200 ViT classifier training steps leave GPU memory flat", async () => {
  const run = vitTrainer({ seed: 31, batch: 6, dropout: 0.1 });
  await checkFlat("ViT", run.step);
  run.dispose();
});

Deno.test("leak check: 200 causal LM training steps leave GPU memory flat", async () => {
  const run = lmTrainer({ seed: 32, batch: 4, tokens: 8, dropout: 0.1 });
  await checkFlat("LM", run.step);
  run.dispose();
});
