/** The stage budget: per-name sums, each key once, FLOPs that some records lack. */

import assert from "node:assert/strict";
import {
  budgetTable,
  stageBudget,
  type StageCost,
  stageCostOf,
  subtotal,
} from "../../src/experiments/stage_budget.ts";

const cost = (
  name: string,
  key: string,
  seconds: number,
  flops: number | null,
  cached = false,
): StageCost => ({ name, key, cached, seconds, flops });

Deno.test("stageBudget sums per stage name in order of appearance, each key once", () => {
  const b = stageBudget([
    cost("mllm-1a", "a1", 10, 2e9),
    cost("mllm-1b", "b1", 100, 30e9),
    cost("mllm-1a", "a2", 12, 2e9, true),
    cost("mllm-1b", "b1", 100, 30e9), // the same base met again: not counted twice
    cost("vqa-test", "t1", 20, null),
    cost("vqa-test", "t2", 22, 5e9),
  ]);
  assert.deepEqual(b.rows.map((r) => r.stage), ["mllm-1a", "mllm-1b", "vqa-test"]);
  assert.deepEqual(b.rows[0], {
    stage: "mllm-1a",
    runs: 2,
    cached: 1,
    seconds: 22,
    flops: 4e9,
    uncounted: 0,
  });
  assert.equal(b.rows[1].runs, 1);
  assert.deepEqual([b.rows[2].flops, b.rows[2].uncounted], [5e9, 1]);
  assert.deepEqual([b.total.runs, b.total.cached, b.total.seconds], [5, 1, 164]);
  assert.equal(b.total.flops, 39e9);
  assert.equal(b.total.uncounted, 1);
});

Deno.test("subtotal sums the rows of a name prefix", () => {
  const b = stageBudget([
    cost("mllm-1a", "a", 10, 1e9),
    cost("vqa-test", "t", 5, null),
    cost("mllm-2-dpo", "d", 20, 3e9),
  ]);
  const s = subtotal(b, "mllm-", "training")!;
  assert.deepEqual(s, {
    stage: "training",
    runs: 2,
    cached: 0,
    seconds: 30,
    flops: 4e9,
    uncounted: 0,
  });
  assert.equal(subtotal(b, "probe-", "x"), null);
});

Deno.test("stageBudget: a row none of whose runs counted FLOPs has null, not 0", () => {
  const b = stageBudget([cost("vqa-val", "v", 5, null)]);
  assert.equal(b.rows[0].flops, null);
  assert.equal(b.total.flops, null);
});

Deno.test("stageCostOf reads the metrics' FLOPs only when they are a finite number", () => {
  const o = { name: "mllm-2-dpo", key: "0123456789abcdef0123", cached: true, seconds: 3 };
  assert.deepEqual(stageCostOf({ ...o, metrics: { flops: 7e9 } }), {
    name: "mllm-2-dpo",
    key: "0123456789abcdef",
    cached: true,
    seconds: 3,
    flops: 7e9,
  });
  assert.equal(stageCostOf({ ...o, metrics: {} }).flops, null);
  assert.equal(stageCostOf({ ...o, metrics: { flops: "7" } }).flops, null);
  assert.equal(stageCostOf({ ...o, metrics: { flops: NaN } }).flops, null);
});

Deno.test("budgetTable: a row per stage plus the total, minutes, GFLOP and rate", () => {
  const b = stageBudget([
    cost("mllm-1b", "b1", 600, 12_000e9),
    cost("vqa-test", "t1", 30, null, true),
  ]);
  const t = budgetTable(b, 700);
  assert.equal(t.kind, "table");
  if (t.kind !== "table") return;
  assert.equal(t.rows.length, 4);
  assert.deepEqual(t.rows[0], [
    "Stage 1b (all parts, instruction mix)",
    "mllm-1b",
    "1",
    "10.0",
    "12000",
    "20.0",
  ]);
  assert.deepEqual(t.rows[1].slice(2, 6), ["1 (1 cached)", "0.5", "not counted", "–"]);
  // The training subtotal, then the total (no rate: one of its runs counted no FLOPs).
  assert.deepEqual(t.rows[2], [
    "training stages (1a, 1b, 2, references)",
    "mllm-*",
    "1",
    "10.0",
    "12000",
    "20.0",
  ]);
  assert.deepEqual(t.rows[3], [
    "all stages",
    "",
    "2 (1 cached)",
    "10.5",
    "12000 (1 not counted)",
    "–",
  ]);
  assert.match(t.caption ?? "", /took 11\.7 min of wall time, with 1 of the 2 stages loaded/);
  const fresh = budgetTable(stageBudget([cost("mllm-1b", "b1", 600, 12_000e9)]), 660);
  assert.match(fresh.kind === "table" ? fresh.caption ?? "" : "", /took 11\.0 min.*the rest is/);
});
