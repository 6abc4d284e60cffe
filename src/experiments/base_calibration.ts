/**
 * Is the Stage-1b base calibrated? The protocol's rule, computed from the base's own test
 * answers (never from a post-trained model): every group's accuracy clearly between the
 * text-only blind baseline and the ceiling (the 30–85 % band), so that a post-training
 * effect could show in either direction; and the base not capped by its encoder, read per
 * vision-centric family as "answers better with the image than with a blank one" (the
 * base's own blind score is the family's chance level). The family comparison is paired by
 * seed and item like every other comparison (src/stats/paired.ts).
 * @module
 */

import { type FamilyId, type GroupId, GROUPS } from "../world/items.ts";
import { correctness, GROUP_NAMES, type VqaResult } from "../eval/vqa.ts";
import { type PairedComparison, pairedComparison } from "../stats/paired.ts";
import { type SeedSummary, summarize } from "../stats/summary.ts";
import type { Block } from "../report/html.ts";

/** The band a group's mean must sit in: clearly above blind, clearly below the ceiling. */
export const CALIBRATION_BAND: readonly [number, number] = [0.3, 0.85];

/** One group of the base against the blind baseline and the band. */
export interface GroupCalibration {
  group: GroupId;
  base: SeedSummary;
  /** The world's text-only majority baseline (null when unknown). */
  blind: number | null;
  /** The whole 95 % interval of the base is above the blind baseline. */
  aboveBlind: boolean;
  /** The mean sits inside CALIBRATION_BAND. */
  inBand: boolean;
}

/** One question family: the base with the image against the base with a blank image. */
export interface FamilyCalibration {
  family: FamilyId;
  group: GroupId;
  items: number;
  base: SeedSummary;
  blank: SeedSummary;
  /** Base − blank image, paired by seed and item; its verdict reads "the base looks". */
  stat: PairedComparison;
}

/** The whole check. */
export interface BaseCalibration {
  band: readonly [number, number];
  seeds: number;
  groups: GroupCalibration[];
  families: FamilyCalibration[];
  /** Vision-centric families in which the image helps (base − blank holds). */
  visionFamiliesLooking: number;
  visionFamilies: number;
  /** Every group in the band and every vision-centric family looking. */
  met: boolean;
}

/**
 * The check from the base's results per seed (`base[s]`, `blank[s]`: the same seed's answers
 * with the images and with blank ones), the families of each split's items in split order
 * (`families["test_vision"][i]`) and the world's blind baseline per group. `set` names the
 * splits read: the test splits (the experiment's own check) or the validation splits (the
 * calibration runs, which must not look at the test split).
 */
export function baseCalibration(
  base: readonly VqaResult[],
  blank: readonly VqaResult[],
  families: Readonly<Record<string, readonly FamilyId[]>>,
  worldBlind: Partial<Record<GroupId, { accuracy: number }>>,
  set: "test" | "val" = "test",
): BaseCalibration {
  if (base.length === 0 || base.length !== blank.length) {
    throw new Error(`baseCalibration: ${base.length} base seeds, ${blank.length} blank seeds`);
  }
  const [lo, hi] = CALIBRATION_BAND;
  const groups: GroupCalibration[] = [];
  const fams: FamilyCalibration[] = [];
  for (const g of GROUPS) {
    if (!base.every((r) => r.byGroup[g]) || !blank.every((r) => r.byGroup[g])) continue;
    const s = summarize(base.map((r) => r.byGroup[g]!.accuracy));
    const blind = worldBlind[g]?.accuracy ?? null;
    groups.push({
      group: g,
      base: s,
      blind,
      aboveBlind: blind !== null && (s.ci95 ?? [s.mean, s.mean])[0] > blind,
      inBand: s.mean >= lo && s.mean <= hi,
    });
    const split = `${set}_${g}`;
    const a = base.map((r) => correctness(r, split));
    const b = blank.map((r) => correctness(r, split));
    const famOf = families[split];
    if (!famOf || famOf.length < a[0].length) {
      throw new Error(`baseCalibration: no family for every item of ${split}`);
    }
    const order = [...new Set(famOf.slice(0, a[0].length))];
    for (const f of order) {
      const at = famOf.slice(0, a[0].length).flatMap((x, i) => (x === f ? [i] : []));
      if (at.length < 2) continue;
      const pick = (xs: number[]) => at.map((i) => xs[i]);
      const accuracyOf = (xs: number[]) => at.reduce((t, i) => t + xs[i], 0) / at.length;
      fams.push({
        family: f,
        group: g,
        items: at.length,
        base: summarize(a.map(accuracyOf)),
        blank: summarize(b.map(accuracyOf)),
        stat: pairedComparison(a.map(pick), b.map(pick)),
      });
    }
  }
  const vision = fams.filter((f) => f.group === "vision");
  const looking = vision.filter((f) => f.stat.verdict === "holds").length;
  return {
    band: CALIBRATION_BAND,
    seeds: base.length,
    groups,
    families: fams,
    visionFamiliesLooking: looking,
    visionFamilies: vision.length,
    met: groups.length === GROUPS.length && groups.every((g) => g.inBand && g.aboveBlind) &&
      vision.length > 0 && looking === vision.length,
  };
}

const pct = (x: number) => (100 * x).toFixed(1);
const interval = (s: SeedSummary) =>
  s.ci95 ? `${pct(s.mean)} [${pct(s.ci95[0])}, ${pct(s.ci95[1])}]` : `${pct(s.mean)} (1 seed)`;
const signed = (x: number) => `${x >= 0 ? "+" : "−"}${Math.abs(100 * x).toFixed(1)}`;

/** One sentence: met or not, and why. */
export function calibrationSummary(c: BaseCalibration): string {
  const out = c.groups.filter((g) => !g.inBand).map((g) => GROUP_NAMES[g.group]);
  const below = c.groups.filter((g) => !g.aboveBlind).map((g) => GROUP_NAMES[g.group]);
  const [lo, hi] = c.band.map((x) => Math.round(100 * x));
  const parts = [
    out.length === 0
      ? `every group is inside ${lo}–${hi} %`
      : `${out.join(", ")} outside ${lo}–${hi} %`,
    below.length === 0
      ? "every group is above the blind baseline"
      : `${below.join(", ")} not clearly above the blind baseline`,
    `${c.visionFamiliesLooking} of ${c.visionFamilies} vision-centric families answer better ` +
    "with the image than with a blank one",
  ];
  return `Base calibration ${c.met ? "met" : "not met"}: ${parts.join("; ")}.`;
}

/** The report's tables: groups against the band, families against the blank image. */
export function calibrationBlocks(c: BaseCalibration): Block[] {
  return [{ kind: "text", text: calibrationSummary(c) }, {
    kind: "table",
    columns: ["group", "1b base (%) [95%]", "text-only blind (%)", "above blind", "in band"],
    rows: c.groups.map((g) => [
      GROUP_NAMES[g.group],
      interval(g.base),
      g.blind === null ? "–" : pct(g.blind),
      g.aboveBlind ? "yes" : "no",
      g.inBand ? "yes" : "no",
    ]),
    caption: `The 1b base per group over ${c.seeds} seed${c.seeds === 1 ? "" : "s"}; the band is ` +
      `${c.band.map((x) => Math.round(100 * x)).join("–")} % (the protocol's calibration rule).`,
  }, {
    kind: "table",
    columns: ["group", "family", "items", "1b base (%)", "blank image (%)", "Δ [95%]", "looks"],
    rows: c.families.map((f) => [
      GROUP_NAMES[f.group],
      f.family,
      f.items,
      interval(f.base),
      interval(f.blank),
      `${signed(f.stat.diff)} [${signed(f.stat.ci95[0])}, ${signed(f.stat.ci95[1])}]`,
      f.stat.verdict === "holds" ? "yes" : "no",
    ]),
    caption: "Per family: the same base answering with the images and with blank ones, " +
      "paired by seed and item (src/stats/paired.ts). “Looks” when the whole interval of the " +
      "difference is above 0.",
  }];
}
