/**
 * The comparisons of the encoder analyses, each with its seeds, 95% interval and computed
 * verdict of "A > B" (src/stats):
 *
 * - `itemComparison`: linear-probe top-1 or VQA correctness paired by seed and test item
 *   (src/stats/paired.ts; with one seed the interval is over items only and says so);
 * - `seedComparison`: one number per seed and arm (segmentation-probe scores averaged over
 *   the probe seeds, gradient-map shares), paired by seed: the t-interval of the per-seed
 *   differences (no interval, hence "inconclusive", with one seed);
 * - `trendComparison`: "rises with size": per seed, the least-squares slope of a score
 *   against log2(size); the t-interval of the slopes across seeds;
 * - `differenceOf`: the difference of two independent item comparisons (e.g. an encoder's
 *   gain on the vision groups minus its gain on Knowledge, whose items differ): the
 *   difference ± z·√(se₁² + se₂²), t quantile at the smaller Satterthwaite df when both
 *   have one.
 * @module
 */

import {
  type Interval,
  mean,
  type PairedComparison,
  pairedComparison,
  summarize,
  tQuantile,
  type Verdict,
  verdictGreater,
} from "../stats/mod.ts";
import { normalQuantile } from "../stats/t.ts";

/** A − B with its seeds, interval and verdict, in the units of the score (fractions). */
export interface ProbeComparison {
  /** e.g. "dpo − sft". */
  id: string;
  /** What is compared, e.g. "linear fine (vit)". */
  metric: string;
  method: "seed × item" | "seed" | "trend" | "difference";
  seeds: number;
  /** Test items per seed (item comparisons), else null. */
  items: number | null;
  diff: number;
  /** Null when the interval cannot be computed (one seed for a seed-level comparison). */
  ci95: Interval | null;
  verdict: Verdict;
  note: string | null;
}

/** A − B over seeds × test items (`a[s][i]`: seed s, item i, 1 right / 0 wrong). */
export function itemComparison(
  id: string,
  metric: string,
  a: readonly ArrayLike<number>[],
  b: readonly ArrayLike<number>[],
): ProbeComparison & { stat: PairedComparison } {
  const stat = pairedComparison(a, b);
  return {
    id,
    metric,
    method: "seed × item",
    seeds: stat.seeds,
    items: stat.items,
    diff: stat.diff,
    ci95: stat.ci95,
    verdict: stat.verdict,
    note: stat.seedTermKnown ? null : "one seed: the interval covers test items only",
    stat,
  };
}

/** The t-interval and verdict of per-seed values (positive = the claim's direction). */
function fromValues(
  id: string,
  metric: string,
  method: ProbeComparison["method"],
  values: readonly number[],
): ProbeComparison {
  const s = summarize(values);
  return {
    id,
    metric,
    method,
    seeds: values.length,
    items: null,
    diff: s.mean,
    ci95: s.ci95,
    verdict: s.ci95 ? verdictGreater(s.ci95) : "inconclusive",
    note: s.ci95 ? null : "one seed: no interval, so no verdict beyond inconclusive",
  };
}

/** A − B paired by seed: `a[s]`, `b[s]` are seed s's scores. */
export function seedComparison(
  id: string,
  metric: string,
  a: readonly number[],
  b: readonly number[],
): ProbeComparison {
  if (a.length !== b.length || a.length === 0) {
    throw new Error(`seedComparison ${id}: ${a.length} seeds for A, ${b.length} for B`);
  }
  return fromValues(id, metric, "seed", a.map((x, s) => x - b[s]));
}

/** Least-squares slope of y against x. */
export function slope(x: readonly number[], y: readonly number[]): number {
  const mx = mean(x);
  const my = mean(y);
  let num = 0;
  let den = 0;
  for (let i = 0; i < x.length; i++) {
    num += (x[i] - mx) * (y[i] - my);
    den += (x[i] - mx) ** 2;
  }
  if (!(den > 0)) throw new Error("slope: the sizes do not vary");
  return num / den;
}

/**
 * "The score rises with size": `scores[s][k]` is seed s's score at `sizes[k]`; the slope per
 * doubling of size, per seed, and its t-interval across seeds.
 */
export function trendComparison(
  id: string,
  metric: string,
  sizes: readonly number[],
  scores: readonly (readonly number[])[],
): ProbeComparison & { perSeedSlope: number[] } {
  const x = sizes.map((n) => Math.log2(n));
  const slopes = scores.map((ys) => slope(x, ys));
  return { ...fromValues(id, metric, "trend", slopes), perSeedSlope: slopes };
}

/** (A₁ − B₁) − (A₂ − B₂) of two item comparisons on different items. */
export function differenceOf(
  id: string,
  metric: string,
  one: ProbeComparison & { stat: PairedComparison },
  two: ProbeComparison & { stat: PairedComparison },
): ProbeComparison {
  const diff = one.diff - two.diff;
  const se = Math.sqrt(one.stat.se ** 2 + two.stat.se ** 2);
  const dfs = [one.stat.df, two.stat.df];
  const q = dfs.every((d) => d !== null)
    ? tQuantile(0.975, Math.min(...(dfs as number[])))
    : normalQuantile(0.975);
  const ci95: Interval = [diff - q * se, diff + q * se];
  return {
    id,
    metric,
    method: "difference",
    seeds: Math.min(one.seeds, two.seeds),
    items: null,
    diff,
    ci95,
    verdict: verdictGreater(ci95),
    note: one.stat.seedTermKnown ? null : "one seed: the interval covers test items only",
  };
}

/**
 * "Only A rises": holds when A's trend holds and B's trend does not hold (its interval lies
 * at or below zero); does not hold when A's trend does not hold or B's holds; else
 * inconclusive.
 */
export function onlyFirstRises(a: ProbeComparison, b: ProbeComparison): Verdict {
  if (a.verdict === "does not hold" || b.verdict === "holds") return "does not hold";
  if (a.verdict === "holds" && b.verdict === "does not hold") return "holds";
  return "inconclusive";
}

/** "A beats both B and C": holds when both hold, does not hold when either does not. */
export function bothHold(x: Verdict, y: Verdict): Verdict {
  if (x === "does not hold" || y === "does not hold") return "does not hold";
  if (x === "holds" && y === "holds") return "holds";
  return "inconclusive";
}
