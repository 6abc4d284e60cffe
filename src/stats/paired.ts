/**
 * Paired comparison of two arms A and B answered on the same test questions, per seed and
 * pooled over seeds. Seed s of A and seed s of B share everything the seed controls (the
 * Stage-1 base model, the data order), so they are paired by seed as well as by item.
 *
 * **Per seed** (item-level, McNemar-style): e_i = a_i − b_i ∈ {−1, 0, 1}; the difference in
 * accuracy is mean(e) and its 95% interval the Wald interval mean(e) ± z·sd(e)/√N, which
 * depends only on the discordant items (A right and B wrong, or the reverse), as McNemar's
 * test does.
 *
 * **Pooled over n seeds**: e_s,i = a_s,i − b_s,i is a two-way layout (seeds × items, one
 * observation per cell), and d̄ = mean of all e_s,i = mean over seeds of d_s. With a fixed test
 * set the seeds share their items, so neither the spread of the d_s across seeds (training
 * randomness only) nor the spread across items (which questions were drawn) alone is the
 * uncertainty of d̄. The two-way random-effects model e_s,i = μ + u_s + b_i + w_s,i (seed
 * effect, item effect, interaction) gives
 *
 *     Var(d̄) = σ²_u/n + σ²_b/N + σ²_w/(nN) = E[MS_seed + MS_item − MS_res] / (nN)
 *
 * from the ANOVA mean squares (MS_seed = N·s² of the seed means, MS_item = n·s² of the item
 * means, MS_res the residual). The estimate is floored at max(MS_seed, MS_item)/(nN) (each
 * of which alone is already a lower bound in expectation) and the interval is
 * d̄ ± t_{0.975, df}·se with Satterthwaite's df for the combination of mean squares, so a
 * large seed effect with 3 seeds gives df near 2 (t ≈ 4.3) and a negligible one gives the
 * item-level df. Chosen over a seed × item bootstrap because with 3–5 seeds a resampling of
 * seeds has only 10–126 distinct draws and its percentile interval is too narrow; the
 * analytic form is exact to test, and the test simulates its coverage. With one seed the
 * seed term is unknown: the interval then uses the item term alone (the per-seed interval)
 * and `seedTermKnown` is false.
 * @module
 */

import { mean, variance } from "./summary.ts";
import type { Interval } from "./summary.ts";
import { normalQuantile, tQuantile } from "./t.ts";
import { type Verdict, verdictGreater } from "./verdict.ts";

/** Per-item correctness: 1 right, 0 wrong (booleans accepted). */
export type Correctness = ArrayLike<number | boolean>;

/** A − B on one seed's test items. */
export interface PairedSeed {
  items: number;
  accA: number;
  accB: number;
  /** accA − accB. */
  diff: number;
  /** Items A got right and B wrong, and the reverse. */
  aOnly: number;
  bOnly: number;
  se: number;
  ci95: Interval;
}

/** A − B pooled over seeds (see the module comment), with its verdict for "A > B". */
export interface PairedComparison {
  seeds: number;
  items: number;
  perSeed: PairedSeed[];
  /** Mean over seeds of accA − accB. */
  diff: number;
  /** Sample sd of the per-seed differences; null with one seed. */
  seedSd: number | null;
  /** The seed and item parts alone: √(MS_seed/(nN)) (null with one seed), √(MS_item/(nN)). */
  seSeeds: number | null;
  seItems: number;
  se: number;
  /** Satterthwaite degrees of freedom of the t quantile, or null (normal) with one seed. */
  df: number | null;
  ci95: Interval;
  seedTermKnown: boolean;
  verdict: Verdict;
  method: string;
}

/** The method's one-line description (also stored in every result). */
export const PAIRED_METHOD =
  "paired by seed and item (two-way random effects): d̄ ± t(0.975, Satterthwaite df)·" +
  "√((MS_seed + MS_item − MS_res)/(nN)) (src/stats/paired.ts)";

function toNumbers(xs: Correctness, what: string): Float64Array {
  const out = new Float64Array(xs.length);
  for (let i = 0; i < xs.length; i++) {
    const v = Number(xs[i]);
    if (v !== 0 && v !== 1) throw new Error(`${what}: item ${i} is ${xs[i]}, expected 0/1`);
    out[i] = v;
  }
  return out;
}

/** A − B on one seed: the paired (McNemar-style) Wald interval over items. */
export function pairedSeed(a: Correctness, b: Correctness): PairedSeed {
  if (a.length !== b.length) {
    throw new Error(`pairedSeed: ${a.length} items for A, ${b.length} for B (not paired)`);
  }
  if (a.length < 2) throw new Error(`pairedSeed: needs ≥ 2 items (got ${a.length})`);
  const x = toNumbers(a, "pairedSeed A");
  const y = toNumbers(b, "pairedSeed B");
  const n = x.length;
  let aOnly = 0;
  let bOnly = 0;
  let sa = 0;
  let sb = 0;
  for (let i = 0; i < n; i++) {
    sa += x[i];
    sb += y[i];
    if (x[i] > y[i]) aOnly++;
    else if (y[i] > x[i]) bOnly++;
  }
  const diff = (aOnly - bOnly) / n;
  // Sample variance of e_i ∈ {−1, 0, 1}: (Σe² − n·ē²)/(n − 1).
  const v = (aOnly + bOnly - n * diff * diff) / (n - 1);
  const se = Math.sqrt(Math.max(0, v) / n);
  const z = normalQuantile(0.975);
  return {
    items: n,
    accA: sa / n,
    accB: sb / n,
    diff,
    aOnly,
    bOnly,
    se,
    ci95: [diff - z * se, diff + z * se],
  };
}

/** A − B pooled over seeds: `a[s]` and `b[s]` are seed s's per-item correctness. */
export function pairedComparison(
  a: readonly Correctness[],
  b: readonly Correctness[],
): PairedComparison {
  if (a.length !== b.length || a.length === 0) {
    throw new Error(`pairedComparison: ${a.length} seeds for A, ${b.length} for B`);
  }
  const perSeed = a.map((as, s) => pairedSeed(as, b[s]));
  const items = perSeed[0].items;
  if (perSeed.some((p) => p.items !== items)) {
    throw new Error(
      `pairedComparison: seeds answer different item counts (${perSeed.map((p) => p.items)})`,
    );
  }
  const n = perSeed.length;
  const diffs = perSeed.map((p) => p.diff);
  const d = mean(diffs);
  const e = a.map((as, s) => {
    const x = toNumbers(as, "pairedComparison A");
    const y = toNumbers(b[s], "pairedComparison B");
    return x.map((v, i) => v - y[i]);
  });
  const itemMeans = Array.from({ length: items }, (_, i) => {
    let t = 0;
    for (let s = 0; s < n; s++) t += e[s][i];
    return t / n;
  });
  const msItem = n * variance(itemMeans);
  const seedTermKnown = n >= 2;
  let se: number;
  let df: number | null;
  let seSeeds: number | null = null;
  const seItems = Math.sqrt(msItem / (n * items));
  if (seedTermKnown) {
    const msSeed = items * variance(diffs);
    let ss = 0;
    for (let s = 0; s < n; s++) {
      for (let i = 0; i < items; i++) {
        const r = e[s][i] - diffs[s] - itemMeans[i] + d;
        ss += r * r;
      }
    }
    const dfRes = (n - 1) * (items - 1);
    const msRes = ss / dfRes;
    const combo = Math.max(msSeed + msItem - msRes, msSeed, msItem);
    se = Math.sqrt(combo / (n * items));
    seSeeds = Math.sqrt(msSeed / (n * items));
    const denom = msSeed ** 2 / (n - 1) + msItem ** 2 / (items - 1) + msRes ** 2 / dfRes;
    df = denom > 0 ? Math.max(1, combo ** 2 / denom) : n - 1;
  } else {
    se = perSeed[0].se;
    df = null;
  }
  const q = df === null ? normalQuantile(0.975) : tQuantile(0.975, df);
  const ci95: Interval = [d - q * se, d + q * se];
  return {
    seeds: n,
    items,
    perSeed,
    diff: d,
    seedSd: seedTermKnown ? Math.sqrt(variance(diffs)) : null,
    seSeeds,
    seItems,
    se,
    df,
    ci95,
    seedTermKnown,
    verdict: verdictGreater(ci95),
    method: PAIRED_METHOD,
  };
}
