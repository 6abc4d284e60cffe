/**
 * Small statistics for comparisons across seeds: Student-t quantiles, mean/sd/95% interval,
 * the paired (seed × item) comparison of two arms, and the computed verdict.
 * @module
 */
export { incompleteBeta, logGamma, normalQuantile, tCdf, tQuantile } from "./t.ts";
export {
  type Interval,
  mean,
  sd,
  type SeedSummary,
  summarize,
  tInterval,
  variance,
} from "./summary.ts";
export {
  type Correctness,
  PAIRED_METHOD,
  type PairedComparison,
  pairedComparison,
  type PairedSeed,
  pairedSeed,
} from "./paired.ts";
export { type Verdict, verdictGreater, VERDICTS } from "./verdict.ts";
