/**
 * Stage 3 reuses the 1a / 1b stage code with added options; the existing stages' names,
 * configs and cache keys must not change with them (a finished SFT-vs-DPO run is reused by
 * PIVOT's evolve step through those keys). The keys below were computed before the options
 * existed. A deliberate change of the post-training or pretraining protocol changes them too:
 * then re-pin them in the same commit.
 */

import assert from "node:assert/strict";
import { stageKey, type StageOutput } from "../../src/train/stage.ts";
import type { World } from "../../src/world/world.ts";
import { pretrainProtocol } from "../../src/protocol/presets.ts";
import {
  dpoReferenceStage,
  postTrainProtocol,
  referenceConfig,
  stage1aConfig,
  stage1aStage,
  stage1bConfig,
  stage1bStage,
  stage2Config,
  stage2Stage,
} from "../../src/train/mllm/mod.ts";

const PINNED: Record<string, string> = {
  "tiny/mllm-1a": "09ff901fdae08486e66dce7e37819a5cc8114f6f499ebb8a0926f940581049ec",
  "tiny/mllm-1b": "b072c16c4d0f014bdfadfa958143a997f5f92560df5b070244c4ca590b250ea7",
  "tiny/mllm-dpo-ref": "f6b648e4597e619d225aa6d91908e4c16c1bd4e2f63f620ff106c6178f720a75",
  "tiny/mllm-2-dpo": "3edf4df0a4a001fdf5e44d3cc5f9aea6af00ae5d09b50d2dc5550c762bc24f00",
  "tiny/mllm-2-sft": "368a1c88f3afde5865107d13028776768426bc436eca07b8d33e21f276211ff4",
  "small/mllm-1a": "7753d3927970d2f0e0b2fa746f9b86d3f04a3ce98e3bbad7630058110e07924f",
  "small/mllm-1b": "e959aab0475df07b00fd067e9b452917059891a8536a44683734a44f18dc79fb",
  "small/mllm-dpo-ref": "d14cffb80b2a8c016c610c4d6f4d746b827447ee96bfe82eef312410aec39faa",
  "small/mllm-2-dpo": "67d429f4c9d8a5e775c8559795eef7b28adb7b4b762bfb2ab521cdf8e33a27b7",
  "small/mllm-2-sft": "c9f038172103899e513bcd7cd497a80032cbd10bd95fd6d2ae7fcb6156afdb3b",
};

const out = (name: string, key: string, config: unknown = {}) =>
  ({ name, key, config }) as unknown as StageOutput;

Deno.test("the 1a / 1b / reference / Stage-2 keys are the ones pinned before Stage 3 existed", () => {
  const world = {} as World;
  for (const preset of ["tiny", "small"]) {
    const p = postTrainProtocol(preset);
    const pre = pretrainProtocol(preset);
    const e0 = out("e0-vit-s", "e".repeat(64));
    const l0 = out("l0-lm-s", "f".repeat(64));
    const s1b = out("mllm-1b", "b".repeat(64));
    const ref = out("mllm-dpo-ref", "c".repeat(64), referenceConfig(p, pre, "full"));
    const choice = (arm: "sft" | "dpo") => ({ arm, lr: 1e-4, condition: "full" as const, seed: 3 });
    const defs = [
      stage1aStage(stage1aConfig(p, pre, 1), world, { e0, l0 }),
      stage1bStage(stage1bConfig(p, pre, 2), world, out("mllm-1a", "a".repeat(64))),
      dpoReferenceStage(referenceConfig(p, pre, "full"), world, s1b),
      stage2Stage(stage2Config(p, pre, choice("dpo")), world, s1b, ref),
      stage2Stage(stage2Config(p, pre, choice("sft")), world, s1b),
    ];
    for (const d of defs) assert.equal(stageKey(d), PINNED[`${preset}/${d.name}`], d.name);
  }
});
