/** The base-calibration check: the band per group, and "the image helps" per family. */

import assert from "node:assert/strict";
import {
  baseCalibration,
  calibrationBlocks,
  calibrationSummary,
} from "../../src/experiments/base_calibration.ts";
import type { VqaResult } from "../../src/eval/vqa.ts";
import type { FamilyId, GroupId } from "../../src/world/items.ts";
import { GROUPS } from "../../src/world/items.ts";

/** A VQA result in which group g's items are right where `right(g, i)` says. */
function result(right: (g: GroupId, i: number) => boolean, n: number): VqaResult {
  const correct: Record<string, string> = {};
  const byGroup: VqaResult["byGroup"] = {};
  for (const g of GROUPS) {
    const flags = Array.from({ length: n }, (_, i) => (right(g, i) ? "1" : "0"));
    correct[`test_${g}`] = flags.join("");
    const c = flags.filter((f) => f === "1").length;
    byGroup[g] = { items: n, correct: c, accuracy: c / n };
  }
  return {
    splits: GROUPS.map((g) => `test_${g}`),
    correct,
    byFamily: {},
    byGroup,
    visionAverage: null,
    knowledge: null,
    blank: false,
    finishedShare: 1,
    maxNew: 8,
    examples: [],
    seconds: 0,
  };
}

// 40 items per group: the first 20 of family A, the last 20 of family B.
const N = 40;
const families: Record<string, FamilyId[]> = {
  test_general: [...Array(20).fill("colour"), ...Array(20).fill("shape")],
  test_vision: [...Array(20).fill("count"), ...Array(20).fill("size")],
  test_ocr_chart: [...Array(20).fill("glyph"), ...Array(20).fill("chart_value")],
  test_knowledge: [...Array(20).fill("corners"), ...Array(20).fill("colour_mix")],
};
const blind = Object.fromEntries(GROUPS.map((g) => [g, { accuracy: 0.1 }]));

Deno.test("baseCalibration: a base inside the band that looks in every family is met", () => {
  // With the image: item i right unless i % 5 === seed (80 % minus a seed-dependent item).
  const base = [0, 1, 2].map((s) => result((_, i) => i % 5 !== s, N));
  // Blank: only every fifth item right (20 %).
  const blank = [0, 1, 2].map(() => result((_, i) => i % 5 === 4, N));
  const c = baseCalibration(base, blank, families, blind);
  assert.equal(c.groups.length, 4);
  assert.ok(c.groups.every((g) => g.inBand && g.aboveBlind), JSON.stringify(c.groups));
  assert.equal(c.families.length, 8);
  assert.ok(c.families.every((f) => f.items === 20 && f.stat.verdict === "holds"));
  assert.deepEqual([c.visionFamiliesLooking, c.visionFamilies], [2, 2]);
  assert.equal(c.met, true);
  assert.match(calibrationSummary(c), /^Base calibration met: every group is inside 30–85 %/);
});

Deno.test("baseCalibration: a family where the image does not help, a group below the band", () => {
  // Vision: the "size" half (items 20…39) right exactly as often with a blank image.
  const right = (s: number) => (g: GroupId, i: number) =>
    g === "ocr_chart" ? i % 10 === s : g === "vision" && i >= 20 ? i % 2 === 0 : i % 5 !== s;
  const base = [0, 1, 2].map((s) => result(right(s), N));
  const blank = [0, 1, 2].map(() =>
    result(
      (g, i) => (g === "vision" && i >= 20 ? i % 2 === 0 : i % 5 === 4 && g !== "ocr_chart"),
      N,
    )
  );
  const c = baseCalibration(base, blank, families, blind);
  const size = c.families.find((f) => f.family === "size")!;
  assert.equal(size.stat.diff, 0);
  assert.notEqual(size.stat.verdict, "holds");
  assert.deepEqual([c.visionFamiliesLooking, c.visionFamilies], [1, 2]);
  const ocr = c.groups.find((g) => g.group === "ocr_chart")!;
  assert.equal(ocr.inBand, false);
  assert.equal(c.met, false);
  const text = calibrationSummary(c);
  assert.match(text, /not met: OCR & Chart outside 30–85 %/);
  assert.match(text, /1 of 2 vision-centric families/);
  const blocks = calibrationBlocks(c);
  assert.equal(blocks.length, 3);
  const fam = blocks[2];
  assert.ok(fam.kind === "table" && fam.rows.length === 8);
});

Deno.test("baseCalibration: mismatched seeds or items without a family are refused", () => {
  const r = result(() => true, N);
  assert.throws(() => baseCalibration([r], [], families, blind), /1 base seeds, 0 blank/);
  assert.throws(
    () => baseCalibration([r], [r], { ...families, test_vision: ["count"] }, blind),
    /no family for every item of test_vision/,
  );
});
