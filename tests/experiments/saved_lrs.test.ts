/**
 * `--lrs-from`'s reader (src/experiments/saved_lrs.ts) takes the selected SFT and DPO lrs of
 * an earlier run only from a finished SFT-vs-DPO part of the same preset, with values from
 * the protocol's grid, and says where they came from.
 */

import assert from "node:assert/strict";
import { savedStage2Lrs } from "../../src/experiments/saved_lrs.ts";
import { postTrainProtocol } from "../../src/protocol/posttrain.ts";

const grid = postTrainProtocol("tiny").stage2.lrGrid;
const run = (over: Record<string, unknown> = {}) => ({
  preset: "tiny",
  finished: "2026-12-07T15:00:00.000Z",
  environment: { commit: "0123456789abcdef" },
  sftVsDpo: { lr: { tuned: { sft: grid[2], dpo: grid[0], unlikelihood: grid[1] } } },
  ...over,
});

Deno.test("saved lrs: a finished tiny run gives its tuned SFT and DPO lrs and their source", () => {
  const lrs = savedStage2Lrs(run(), "tiny", "runs/x/results.json");
  assert.equal(lrs.sft, grid[2]);
  assert.equal(lrs.dpo, grid[0]);
  assert.match(
    lrs.source,
    /runs\/x\/results\.json \(finished 2026-12-07T15:00:00\.000Z, commit 0123456789ab\)/,
  );
});

Deno.test("saved lrs: another preset, no SFT-vs-DPO part, or an lr off the grid is refused", () => {
  assert.throws(() => savedStage2Lrs(run(), "small", "f"), /f is a tiny run, not small/);
  assert.throws(() => savedStage2Lrs(run({ sftVsDpo: null }), "tiny", "f"), /no finished/);
  assert.throws(
    () => savedStage2Lrs(run({ sftVsDpo: { pending: "not built" } }), "tiny", "f"),
    /no finished SFT-vs-DPO part/,
  );
  const off = run({ sftVsDpo: { lr: { tuned: { sft: 0.123, dpo: grid[0] } } } });
  assert.throws(() => savedStage2Lrs(off, "tiny", "f"), /the sft lr 0\.123 is not in tiny's grid/);
  assert.throws(() => savedStage2Lrs(null, "tiny", "f"), /not a results\.json/);
});
