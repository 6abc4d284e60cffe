/**
 * Summaries across seeds: mean, sample standard deviation and the 95% Student-t interval of
 * the mean (df = n − 1). With one value the spread and interval are unknown (null), never
 * zero: one seed says nothing about seed-to-seed variation.
 * @module
 */

import { tQuantile } from "./t.ts";

/** A closed interval [lo, hi]. */
export type Interval = [number, number];

/** Mean, spread and 95% interval of values measured once per seed. */
export interface SeedSummary {
  n: number;
  mean: number;
  /** Sample standard deviation (n − 1 denominator); null when n < 2. */
  sd: number | null;
  /** 95% t-interval of the mean; null when n < 2. */
  ci95: Interval | null;
  min: number;
  max: number;
  values: number[];
}

/** Arithmetic mean (throws on an empty list). */
export function mean(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error("mean: no values");
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** Sample variance (n − 1 denominator); NaN when n < 2. */
export function variance(xs: readonly number[]): number {
  if (xs.length < 2) return NaN;
  const m = mean(xs);
  let s = 0;
  for (const x of xs) s += (x - m) * (x - m);
  return s / (xs.length - 1);
}

/** Sample standard deviation (n − 1 denominator); NaN when n < 2. */
export function sd(xs: readonly number[]): number {
  return Math.sqrt(variance(xs));
}

/** The two-sided `level` t-interval of the mean of `xs` (n ≥ 2). */
export function tInterval(xs: readonly number[], level = 0.95): Interval {
  if (xs.length < 2) throw new Error(`tInterval: needs ≥ 2 values (got ${xs.length})`);
  const m = mean(xs);
  const half = tQuantile(1 - (1 - level) / 2, xs.length - 1) * sd(xs) / Math.sqrt(xs.length);
  return [m - half, m + half];
}

/** Mean, sd and 95% t-interval of per-seed values. */
export function summarize(values: readonly number[]): SeedSummary {
  if (values.length === 0) throw new Error("summarize: no values");
  for (const v of values) if (!Number.isFinite(v)) throw new Error(`summarize: ${v} in values`);
  const n = values.length;
  return {
    n,
    mean: mean(values),
    sd: n >= 2 ? sd(values) : null,
    ci95: n >= 2 ? tInterval(values) : null,
    min: Math.min(...values),
    max: Math.max(...values),
    values: [...values],
  };
}
