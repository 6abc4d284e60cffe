/**
 * Balanced rejections. For each family the balancer counts how often each answer value
 * has been chosen and rejected so far in a split, and picks the rejected answer among the
 * plausible wrong candidates whose value is most "owed" (chosen count − rejected count),
 * ties broken at random. Over a split every value is then rejected about as often as it is
 * chosen, so no answer prior can tell chosen from rejected without looking at the image.
 */
import type { Rng } from "./rng.ts";

/** A candidate wrong answer: its balance key and the key of the chosen value it replaces. */
export interface BalanceCandidate {
  key: string;
  replacesKey: string;
}

/** Tracks chosen/rejected counts per family and picks balanced rejections. */
export class RejectionBalancer {
  readonly #chosen = new Map<string, Map<string, number>>();
  readonly #rejected = new Map<string, Map<string, number>>();

  #counts(table: Map<string, Map<string, number>>, family: string): Map<string, number> {
    let counts = table.get(family);
    if (!counts) table.set(family, counts = new Map());
    return counts;
  }

  /** Index of the candidate to use as the rejected answer; records the pick. */
  pick(family: string, candidates: readonly BalanceCandidate[], rng: Rng): number {
    if (candidates.length === 0) throw new Error(`no wrong answer candidates for ${family}`);
    const chosen = this.#counts(this.#chosen, family);
    const rejected = this.#counts(this.#rejected, family);
    const debt = (c: BalanceCandidate) => (chosen.get(c.key) ?? 0) - (rejected.get(c.key) ?? 0);
    let best: number[] = [];
    let bestDebt = -Infinity;
    candidates.forEach((c, i) => {
      const d = debt(c);
      if (d > bestDebt) {
        bestDebt = d;
        best = [i];
      } else if (d === bestDebt) best.push(i);
    });
    const index = rng.pick(best);
    const pickedCandidate = candidates[index];
    chosen.set(pickedCandidate.replacesKey, (chosen.get(pickedCandidate.replacesKey) ?? 0) + 1);
    rejected.set(pickedCandidate.key, (rejected.get(pickedCandidate.key) ?? 0) + 1);
    return index;
  }

  /**
   * A truth chooser for families whose wrong answers are tightly constrained (a count off by
   * one, a flipped relation, a look-alike glyph): half the time it returns the value that has
   * been rejected most in excess of being chosen (paying that debt back), otherwise a uniform
   * value. Answer marginals stay close to uniform and rejections stay balanced.
   */
  preferenceFor(family: string): TruthPreference {
    return {
      pick: <T extends string | number>(values: readonly T[], rng: Rng): T => {
        if (!rng.chance(0.5)) return rng.pick(values);
        const chosen = this.#counts(this.#chosen, family);
        const rejected = this.#counts(this.#rejected, family);
        const surplus = (v: T) => (rejected.get(String(v)) ?? 0) - (chosen.get(String(v)) ?? 0);
        const best = Math.max(...values.map(surplus));
        return rng.pick(values.filter((v) => surplus(v) === best));
      },
    };
  }
}

/** Chooses a question's true answer among equally valid values. */
export interface TruthPreference {
  pick<T extends string | number>(values: readonly T[], rng: Rng): T;
}

/** The preference used outside balanced splits: uniform. */
export const UNIFORM_TRUTH: TruthPreference = {
  pick: <T extends string | number>(values: readonly T[], rng: Rng): T => rng.pick(values),
};
