/**
 * The blind baseline: how well the question text alone predicts the answer. For each
 * family it learns, on a training list, the most frequent answer for each exact question
 * text (and for the family as a whole), then answers each held-out question with the
 * majority for its text if that text was seen, else the family majority. A world with no
 * answer shortcut keeps this at or below 35% for every family.
 */
import type { FamilyId } from "./items.ts";

/** One row of the blind-baseline table. */
export interface BlindBaselineRow {
  family: FamilyId;
  /** Held-out items of the family. */
  items: number;
  /** Accuracy of the text-only majority answer on them. */
  accuracy: number;
  /** The family-wide majority answer learned from the training list. */
  majorityAnswer: string;
}

/** The minimal item shape the baseline needs. */
export interface BlindItem {
  family: FamilyId;
  question: string;
  answer: string;
}

function majority(counts: Map<string, number>): string {
  let best = "";
  let bestCount = -1;
  for (const [answer, count] of [...counts.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (count > bestCount) {
      best = answer;
      bestCount = count;
    }
  }
  return best;
}

/** Per-family accuracy of the question-text-only majority answer (train → held out). */
export function blindBaseline(
  train: readonly BlindItem[],
  heldOut: readonly BlindItem[],
): BlindBaselineRow[] {
  const byText = new Map<string, Map<string, number>>();
  const byFamily = new Map<string, Map<string, number>>();
  const bump = (table: Map<string, Map<string, number>>, key: string, answer: string) => {
    let counts = table.get(key);
    if (!counts) table.set(key, counts = new Map());
    counts.set(answer, (counts.get(answer) ?? 0) + 1);
  };
  for (const item of train) {
    bump(byText, `${item.family}\u0000${item.question}`, item.answer);
    bump(byFamily, item.family, item.answer);
  }
  const rows = new Map<FamilyId, { right: number; total: number }>();
  for (const item of heldOut) {
    const textCounts = byText.get(`${item.family}\u0000${item.question}`);
    const familyCounts = byFamily.get(item.family);
    const guess = textCounts ? majority(textCounts) : familyCounts ? majority(familyCounts) : "";
    const row = rows.get(item.family) ?? { right: 0, total: 0 };
    row.total++;
    if (guess === item.answer) row.right++;
    rows.set(item.family, row);
  }
  return [...rows.entries()].map(([family, { right, total }]) => ({
    family,
    items: total,
    accuracy: right / total,
    majorityAnswer: majority(byFamily.get(family) ?? new Map()),
  }));
}

/** The table as aligned text, for test output and reports. */
export function formatBlindBaseline(rows: readonly BlindBaselineRow[]): string {
  const lines = ["family            items  blind acc  majority answer"];
  for (const r of rows) {
    lines.push(
      `${r.family.padEnd(17)} ${String(r.items).padStart(6)}  ${
        (100 * r.accuracy).toFixed(1).padStart(8)
      }%  ${r.majorityAnswer}`,
    );
  }
  return lines.join("\n");
}
