/**
 * The comparisons of the encoder analyses (src/experiments/probe_stats.ts) against
 * hand-computed values: seed-paired differences, per-seed slopes with their t-interval, the
 * difference of two item comparisons, and the combined verdicts ("only A rises", "both").
 */

import assert from "node:assert/strict";
import {
  bothHold,
  differenceOf,
  itemComparison,
  onlyFirstRises,
  seedComparison,
  slope,
  trendComparison,
} from "../../src/experiments/probe_stats.ts";
import { tQuantile } from "../../src/stats/mod.ts";

const close = (a: number, b: number, tol = 1e-12) =>
  assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

Deno.test("seedComparison: t-interval of per-seed differences; one seed gives no verdict", () => {
  const c = seedComparison("a − b", "m", [0.5, 0.6, 0.7], [0.4, 0.45, 0.5]);
  // differences 0.1, 0.15, 0.2: mean 0.15, sd 0.05, half-width t(0.975, 2)·0.05/√3.
  close(c.diff, 0.15);
  const half = tQuantile(0.975, 2) * 0.05 / Math.sqrt(3);
  close(c.ci95![0], 0.15 - half, 1e-12);
  close(c.ci95![1], 0.15 + half, 1e-12);
  assert.equal(c.verdict, "holds");
  const one = seedComparison("a − b", "m", [0.5], [0.4]);
  assert.equal(one.ci95, null);
  assert.equal(one.verdict, "inconclusive");
  assert.ok(one.note);
  assert.throws(() => seedComparison("x", "m", [1, 2], [1]));
});

Deno.test("trendComparison: slope per doubling, per seed, across seeds", () => {
  close(slope([1, 2, 3], [2, 4, 6]), 2);
  const sizes = [80, 160, 320];
  // Seed 1 rises 1 point per doubling, seed 2 by 3: slopes 0.01 and 0.03.
  const t = trendComparison("dpo trend", "m", sizes, [[0.5, 0.51, 0.52], [0.4, 0.43, 0.46]]);
  close(t.perSeedSlope[0], 0.01, 1e-12);
  close(t.perSeedSlope[1], 0.03, 1e-12);
  close(t.diff, 0.02, 1e-12);
  assert.equal(t.seeds, 2);
  assert.equal(t.method, "trend");
  // sd of the slopes √2·0.01; half-width t(0.975, 1)·0.01 = 0.127: contains 0.
  assert.equal(t.verdict, "inconclusive");
  const flat = trendComparison("sft trend", "m", sizes, [[0.5, 0.5, 0.5], [0.4, 0.4, 0.4]]);
  close(flat.diff, 0, 1e-12);
  assert.notEqual(flat.verdict, "holds");
  const falling = trendComparison("sft trend", "m", sizes, [
    [0.5, 0.4, 0.3],
    [0.6, 0.5, 0.4],
    [0.55, 0.44, 0.33],
  ]);
  assert.equal(falling.verdict, "does not hold");
  assert.throws(() => slope([1, 1], [0, 1]));
});

Deno.test("itemComparison and differenceOf: paired items; independent items combined", () => {
  const a = [[1, 1, 1, 0, 1, 1, 0, 1], [1, 1, 0, 1, 1, 1, 1, 0]];
  const b = [[0, 1, 0, 0, 1, 0, 0, 1], [1, 0, 0, 0, 1, 1, 0, 0]];
  const one = itemComparison("a − b", "m", a, b);
  assert.equal(one.seeds, 2);
  assert.equal(one.items, 8);
  close(one.diff, (3 / 8 + 3 / 8) / 2);
  const two = itemComparison("a − b", "k", [[1, 0, 1, 0], [0, 1, 0, 1]], [[1, 0, 1, 0], [
    0,
    1,
    0,
    1,
  ]]);
  const d = differenceOf("a − b", "gain", one, two);
  close(d.diff, one.diff - two.diff);
  const se = Math.sqrt(one.stat.se ** 2 + two.stat.se ** 2);
  const q = tQuantile(0.975, Math.min(one.stat.df!, two.stat.df!));
  close(d.ci95![1] - d.diff, q * se, 1e-12);
});

Deno.test("combined verdicts: only the first rises; both hold", () => {
  const v = (verdict: "holds" | "does not hold" | "inconclusive") =>
    ({ verdict }) as Parameters<typeof onlyFirstRises>[0];
  assert.equal(onlyFirstRises(v("holds"), v("does not hold")), "holds");
  assert.equal(onlyFirstRises(v("holds"), v("holds")), "does not hold");
  assert.equal(onlyFirstRises(v("does not hold"), v("does not hold")), "does not hold");
  assert.equal(onlyFirstRises(v("holds"), v("inconclusive")), "inconclusive");
  assert.equal(onlyFirstRises(v("inconclusive"), v("does not hold")), "inconclusive");
  assert.equal(bothHold("holds", "holds"), "holds");
  assert.equal(bothHold("holds", "inconclusive"), "inconclusive");
  assert.equal(bothHold("inconclusive", "does not hold"), "does not hold");
});
