/**
 * Statistics on synthetic data with known answers: t quantiles against published tables,
 * the seed summary, the paired per-seed interval against hand counts, the verdict rule at
 * its edges, and the pooled seed × item interval: "holds" for a clear effect, "does not
 * hold" for a clear negative one, "inconclusive" for a zero effect with few items, and ≥ 95%
 * coverage of the true difference over repeated simulated experiments.
 */

import assert from "node:assert/strict";
import {
  normalQuantile,
  pairedComparison,
  pairedSeed,
  summarize,
  tCdf,
  tQuantile,
  verdictGreater,
} from "../../src/stats/mod.ts";
import { Rng } from "../../src/world/rng.ts";

const close = (a: number, b: number, tol: number, what: string) =>
  assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

Deno.test("t quantiles match the published table; CDF inverts the quantile", () => {
  const table: [number, number][] = [
    [1, 12.7062047],
    [2, 4.3026527],
    [3, 3.1824463],
    [4, 2.7764451],
    [5, 2.5705818],
    [10, 2.2281389],
    [30, 2.0422725],
    [120, 1.9799304],
  ];
  for (const [df, q] of table) close(tQuantile(0.975, df), q, 1e-6, `t(0.975, ${df})`);
  close(tQuantile(0.95, 4), 2.1318468, 1e-6, "t(0.95, 4)");
  close(tQuantile(0.025, 3), -3.1824463, 1e-6, "t(0.025, 3)");
  close(tCdf(-2, 5), 0.0509697, 1e-6, "T_5(−2)");
  close(tCdf(tQuantile(0.9, 7), 7), 0.9, 1e-10, "CDF(quantile)");
  close(normalQuantile(0.975), 1.9599640, 1e-7, "z(0.975)");
  close(normalQuantile(0.001), -3.0902323, 1e-7, "z(0.001)");
});

Deno.test("seed summary: mean, sd, t-interval; one seed has no spread", () => {
  const s = summarize([0.5, 0.6, 0.7]);
  close(s.mean, 0.6, 1e-12, "mean");
  close(s.sd!, 0.1, 1e-12, "sd");
  const half = 4.3026527 * 0.1 / Math.sqrt(3);
  close(s.ci95![0], 0.6 - half, 1e-6, "lo");
  close(s.ci95![1], 0.6 + half, 1e-6, "hi");
  const one = summarize([0.4]);
  assert.equal(one.sd, null);
  assert.equal(one.ci95, null);
  assert.throws(() => summarize([]), /no values/);
});

Deno.test("verdict rule: holds iff lo > 0, does not hold iff hi ≤ 0, else inconclusive", () => {
  assert.equal(verdictGreater([0.001, 0.2]), "holds");
  assert.equal(verdictGreater([0, 0.2]), "inconclusive");
  assert.equal(verdictGreater([-0.1, 0.05]), "inconclusive");
  assert.equal(verdictGreater([-0.1, 0]), "does not hold");
  assert.equal(verdictGreater([-0.3, -0.1]), "does not hold");
  assert.equal(verdictGreater([0, 0]), "does not hold");
  assert.throws(() => verdictGreater([0.2, 0.1]), /not an interval/);
  assert.throws(() => verdictGreater([NaN, 0.1]), /not an interval/);
});

Deno.test("paired per seed: difference and interval from the discordant items", () => {
  // 100 items: 30 both right, 20 A only, 10 B only, 40 both wrong.
  const a: number[] = [];
  const b: number[] = [];
  const push = (x: number, y: number, k: number) => {
    for (let i = 0; i < k; i++) a.push(x), b.push(y);
  };
  push(1, 1, 30), push(1, 0, 20), push(0, 1, 10), push(0, 0, 40);
  const p = pairedSeed(a, b);
  assert.equal(p.aOnly, 20);
  assert.equal(p.bOnly, 10);
  close(p.diff, 0.1, 1e-12, "diff");
  close(p.accA, 0.5, 1e-12, "accA");
  close(p.accB, 0.4, 1e-12, "accB");
  // e has 20 ones, 10 minus ones: variance (30 − 100·0.01)/99.
  const se = Math.sqrt((30 - 1) / 99 / 100);
  close(p.se, se, 1e-12, "se");
  close(p.ci95[0], 0.1 - 1.959964 * se, 1e-6, "lo");
  assert.throws(() => pairedSeed([1, 0], [1]), /not paired/);
  assert.throws(() => pairedSeed([1, 2], [1, 0]), /expected 0\/1/);
});

/** Simulated experiment: per item a base rate; A adds `effect` to it; seeds add noise. */
function simulate(
  rng: Rng,
  opts: { seeds: number; items: number; effect: number; seedSd: number },
): { a: number[][]; b: number[][] } {
  const base = Array.from({ length: opts.items }, () => 0.2 + 0.6 * rng.next());
  const a: number[][] = [];
  const b: number[][] = [];
  for (let s = 0; s < opts.seeds; s++) {
    const shift = opts.seedSd * gauss(rng);
    a.push(base.map((p) => Number(rng.next() < clamp(p + opts.effect + shift))));
    b.push(base.map((p) => Number(rng.next() < clamp(p))));
  }
  return { a, b };
}
const clamp = (p: number) => Math.min(1, Math.max(0, p));
function gauss(rng: Rng): number {
  const u = Math.max(1e-12, rng.next());
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}

Deno.test("pooled comparison: clear effects hold / do not hold, a null effect is inconclusive", () => {
  const rng = new Rng(7);
  const up = simulate(rng, { seeds: 5, items: 3000, effect: 0.08, seedSd: 0.01 });
  const cUp = pairedComparison(up.a, up.b);
  assert.equal(cUp.verdict, "holds", JSON.stringify(cUp.ci95));
  assert.ok(cUp.df! >= 4 && cUp.df! < 3000, `df ${cUp.df}`);
  close(cUp.diff, 0.08, 0.03, "effect recovered");

  const down = simulate(rng, { seeds: 3, items: 3000, effect: -0.08, seedSd: 0.01 });
  assert.equal(pairedComparison(down.a, down.b).verdict, "does not hold");

  // No true difference, 150 items, 3 seeds: must not claim either way.
  const flat = simulate(new Rng(11), { seeds: 3, items: 150, effect: 0, seedSd: 0.01 });
  const cFlat = pairedComparison(flat.a, flat.b);
  assert.equal(cFlat.verdict, "inconclusive", JSON.stringify(cFlat.ci95));

  // A real but small effect swamped by seed noise with 3 seeds: inconclusive too.
  const noisy = simulate(new Rng(12), { seeds: 3, items: 3000, effect: 0.02, seedSd: 0.05 });
  const cNoisy = pairedComparison(noisy.a, noisy.b);
  assert.equal(cNoisy.verdict, "inconclusive", JSON.stringify(cNoisy));
  assert.ok(cNoisy.seSeeds! > cNoisy.seItems, "seed term dominates");

  // One seed: the item term alone, said so.
  const single = pairedComparison([up.a[0]], [up.b[0]]);
  assert.equal(single.seedTermKnown, false);
  assert.equal(single.df, null);
  assert.throws(() => pairedComparison([[1, 0]], [[1, 0], [0, 1]]), /seeds/);
});

Deno.test("pooled comparison: the 95% interval covers the true difference ≥ 92% of the time", () => {
  // True A − B = effect (the per-item rates are shared, the seed shift has mean 0), so the
  // expected difference over the seed and item distribution is `effect` up to clamping
  // (rates stay within [0.2, 0.8] ± 0.1, so no clamping happens).
  const rng = new Rng(2026);
  for (
    const cfg of [{ seeds: 3, seedSd: 0.03 }, { seeds: 5, seedSd: 0.01 }, { seeds: 3, seedSd: 0 }]
  ) {
    let covered = 0;
    const runs = 400;
    for (let r = 0; r < runs; r++) {
      const { a, b } = simulate(rng, { ...cfg, items: 200, effect: 0.03 });
      const c = pairedComparison(a, b);
      if (c.ci95[0] <= 0.03 && 0.03 <= c.ci95[1]) covered++;
    }
    console.log(`coverage ${JSON.stringify(cfg)}: ${covered}/${runs}`);
    assert.ok(covered / runs >= 0.92, `coverage ${covered}/${runs} for ${JSON.stringify(cfg)}`);
  }
});
