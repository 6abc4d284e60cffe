/**
 * What the experiments share about their seeds and test scores: the seed list of a protocol
 * (or `--seeds N` of them), and one group key's accuracy and per-item correctness of a VQA
 * result (the strongly-vision average pools the three equal-size vision-related splits).
 * @module
 */

import { type GroupId, GROUPS } from "../world/items.ts";
import { correctness, VISION_GROUPS, type VqaResult } from "../eval/vqa.ts";
import { mean } from "../stats/mod.ts";
import type { GroupKey } from "./sft_vs_dpo.ts";

/** The protocol's seeds, or `n` of them (extended by consecutive integers past the largest). */
export function seedList(seeds: readonly number[], n?: number): number[] {
  if (n === undefined) return [...seeds];
  if (!(Number.isInteger(n) && n >= 1)) throw new Error(`--seeds must be ≥ 1 (got ${n})`);
  const out = seeds.slice(0, n);
  while (out.length < n) out.push(Math.max(...seeds, ...out) + 1);
  return out;
}

/** Correctness (0/1 per test item) of one group key. */
export function groupCorrectness(r: VqaResult, g: GroupKey): number[] {
  const groups: readonly GroupId[] = g === "visionAverage"
    ? VISION_GROUPS
    : g === "overall"
    ? GROUPS
    : [g];
  return groups.flatMap((x) => correctness(r, `test_${x}`));
}

/** Accuracy of one group key (the averages are means of the group accuracies). */
export function groupAccuracy(r: VqaResult, g: GroupKey): number {
  if (g === "visionAverage") return mean(VISION_GROUPS.map((x) => r.byGroup[x]!.accuracy));
  if (g === "overall") return mean(GROUPS.map((x) => r.byGroup[x]!.accuracy));
  return r.byGroup[g]!.accuracy;
}
