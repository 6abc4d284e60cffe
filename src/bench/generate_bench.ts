/**
 * Greedy generation speed of the MLLM with its KV cache, at the `small` model sizes: ViT
 * width 128, depth 4 on 64×64 images with patch 8 (64 visual tokens), LM width 128, depth
 * 4, 4 heads, the world's vocabulary; batch 32, prompts of 8–12 tokens, a fixed number of
 * new tokens (eos never matches, so every row runs to maxNew). Reports the prefill time,
 * the time per decode step and new tokens per second (all rows), median of a few runs.
 * Run: `deno run -A src/bench/generate_bench.ts [--batch 32] [--new 32] [--check 8]`.
 * @module
 */

import { parseArgs } from "node:util";
import { getGpu } from "../gpu/device.ts";
import { sync } from "../gpu/batch.ts";
import { tensor } from "../tensor/tensor.ts";
import { Rng } from "../tensor/random.ts";
import { MLLM, type MLLMConfig } from "../mllm/model.ts";
import { generate } from "../mllm/generate.ts";
import { padPrompts } from "../mllm/chat.ts";
import { median } from "./timing.ts";

/** The `small` sizes named in the MLLM issue. */
export const SMALL_MLLM: MLLMConfig = {
  vit: { imageSize: 64, patch: 8, channels: 3, width: 128, depth: 4, heads: 4 },
  lm: { vocab: 225, maxLen: 64 + 12 + 64, width: 128, depth: 4, heads: 4 },
};

/** One measurement. */
export interface GenerateBenchResult {
  adapter: string;
  batch: number;
  newTokens: number;
  checkEvery: number;
  /** Whole generate() call, ms (median). */
  ms: number;
  /** A call with maxNew = 1 (prefill + one readback), ms (median). */
  prefillMs: number;
  /** (ms − prefillMs) / (newTokens − 1). */
  stepMs: number;
  /** batch · newTokens / whole call. */
  tokensPerSecond: number;
  readbacks: number;
}

export async function benchGenerate(
  opts: { batch?: number; newTokens?: number; checkEvery?: number; runs?: number } = {},
): Promise<GenerateBenchResult> {
  const gpu = await getGpu();
  const batch = opts.batch ?? 32;
  const newTokens = opts.newTokens ?? 32;
  const checkEvery = opts.checkEvery ?? 8;
  const runs = opts.runs ?? 3;
  const rng = new Rng(1);
  const model = new MLLM(SMALL_MLLM, rng);
  const images = tensor(rng.normals(batch * 64 * 64 * 3, 0.5), [batch, 64, 64, 3]);
  const prompts = padPrompts(
    Array.from(
      { length: batch },
      (_, r) => [1, 5, ...Array.from({ length: 5 + (r % 5) }, () => 8 + rng.int(200)), 6],
    ),
    0,
  );
  const time = async (maxNew: number) => {
    const t0 = performance.now();
    const g = await generate(model, images, prompts, { eos: -1, maxNew, checkEvery });
    await sync();
    return { ms: performance.now() - t0, readbacks: g.readbacks };
  };
  await time(newTokens); // compile every pipeline
  const whole: number[] = [];
  const prefill: number[] = [];
  let readbacks = 0;
  for (let k = 0; k < runs; k++) {
    const r = await time(newTokens);
    whole.push(r.ms);
    readbacks = r.readbacks;
    prefill.push((await time(1)).ms);
  }
  model.dispose();
  images.dispose();
  const ms = median(whole);
  const prefillMs = median(prefill);
  return {
    adapter: gpu.adapterName,
    batch,
    newTokens,
    checkEvery,
    ms,
    prefillMs,
    stepMs: (ms - prefillMs) / Math.max(1, newTokens - 1),
    tokensPerSecond: (batch * newTokens) / (ms / 1000),
    readbacks,
  };
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      batch: { type: "string", default: "32" },
      new: { type: "string", default: "32" },
      check: { type: "string", default: "8" },
    },
    strict: true,
  });
  const r = await benchGenerate({
    batch: Number(values.batch),
    newTokens: Number(values.new),
    checkEvery: Number(values.check),
  });
  console.log(JSON.stringify(r, null, 2));
}
