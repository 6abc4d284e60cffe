/**
 * The verdict of a directional claim "A > B" from the 95% interval of (A − B), computed and
 * never written by hand:
 *
 * - **holds**: the whole interval is above zero (lo > 0);
 * - **does not hold**: no part of the interval is above zero (hi ≤ 0), i.e. the data rule
 *   out any advantage of A at this level (a difference of exactly zero counts against the
 *   claim, since the claim is a strict improvement);
 * - **inconclusive**: otherwise (lo ≤ 0 < hi): the interval contains both zero and positive
 *   differences. A true tie lands here, not in "does not hold", unless the interval is
 *   tight enough to exclude every positive value.
 * @module
 */

import type { Interval } from "./summary.ts";

/** The three verdicts (the same strings as the report's claims table). */
export type Verdict = "holds" | "does not hold" | "inconclusive";

/** All verdicts, for checks. */
export const VERDICTS: readonly Verdict[] = ["holds", "does not hold", "inconclusive"];

/** Verdict of "A > B" from the interval of A − B (see the module comment). */
export function verdictGreater(interval: Interval): Verdict {
  const [lo, hi] = interval;
  if (!(Number.isFinite(lo) && Number.isFinite(hi)) || lo > hi) {
    throw new Error(`verdict: [${lo}, ${hi}] is not an interval`);
  }
  if (lo > 0) return "holds";
  if (hi <= 0) return "does not hold";
  return "inconclusive";
}
