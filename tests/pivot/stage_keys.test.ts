/**
 * Stage 3 reuses the 1a / 1b stage code with added options; the existing stages' names,
 * configs and cache keys must not change with them (a finished SFT-vs-DPO run is reused by
 * PIVOT's evolve step through those keys). The keys below were computed before the options
 * existed. A deliberate change of the post-training or pretraining protocol changes them too:
 * then re-pin them in the same commit (re-pinned once: `small`'s MLLM encoder became `vit-l`
 * after Stage-1 calibration 6, before any small Stage-2 run).
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
  "small/mllm-1a": "6a968acb98c5d654c97042440231230dab17e938eef9477de2f5f2733490f422",
  "small/mllm-1b": "4c56ca1c552e21f7e7c4532e2fa0b26cd794ef8466d44ec0c8e16da961add67d",
  "small/mllm-dpo-ref": "d14cffb80b2a8c016c610c4d6f4d746b827447ee96bfe82eef312410aec39faa",
  "small/mllm-2-dpo": "9bf0646ca1b60abd786b30e45392ede2d0aabe7b07a9bd6d57866d3c29ea1bdf",
  "small/mllm-2-sft": "38a161c1dfed7e4145c19bc4543b54f67dabbc3cfe4dd5a2fdc38835790f8031",
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
