/**
 * The SFT-vs-DPO experiment (issue 5; the paper's F2 and its controls), orchestrated from
 * the committed post-training protocol. For every seed: Stage 1a and 1b (seeded, so seeds
 * vary the base model too), then Stage 2 runs:
 *
 * 1. **learning-rate sweep**: every arm (SFT, DPO, unlikelihood) over the same grid, the
 *    same budget (same items, steps, batch), on the sweep seeds; each arm's lr is the one
 *    with the best mean validation accuracy (mean of the four group accuracies on the
 *    `val_*` splits; a tie goes to the smaller lr). The test split chooses nothing;
 * 2. **tuned** (primary): every arm at its own lr on the full preference set;
 * 3. **paper ratio**: SFT at its tuned lr, DPO at that lr / 5;
 * 4. **clear answers**: SFT and DPO on the clear-answer variant, at their tuned lrs;
 * 5. **data sizes**: SFT and DPO at every preference-set size of the protocol.
 *
 * Every final model, the 1b base of each seed and the blank-image baseline (1b base) answer
 * the test splits (src/eval/vqa.ts); the world's text-only baseline is reported beside.
 * Differences are paired by seed and item (src/stats/paired.ts) and each gets a computed
 * verdict. A comparison in which neither arm moved the vision encoder says so: its verdict
 * is "inconclusive" whatever the interval (the statistic's own verdict is kept beside).
 * @module
 */

import { groupAccuracy, groupCorrectness, seedList } from "./group_scores.ts";
import {
  type BaseCalibration,
  baseCalibration,
  calibrationBlocks,
  calibrationSummary,
} from "./base_calibration.ts";
import {
  budgetTable,
  type StageBudget,
  stageBudget,
  type StageCost,
  stageCostOf,
} from "./stage_budget.ts";
import type { PretrainResult } from "../train/pretrain.ts";
import { type RunOptions, runStage, type StageDef, type StageOutput } from "../train/stage.ts";
import { sync } from "../gpu/batch.ts";
import { trimPool } from "../gpu/pool.ts";
import { type FamilyId, type GroupId, GROUPS } from "../world/items.ts";
import type { QuestionRecord } from "../world/splits.ts";
import {
  GROUP_NAMES,
  groupSplits,
  VISION_GROUPS,
  type VqaResult,
  vqaStage,
  worldBlindBaseline,
} from "../eval/vqa.ts";
import {
  type Interval,
  mean,
  type PairedComparison,
  pairedComparison,
  type SeedSummary,
  summarize,
  type Verdict,
} from "../stats/mod.ts";
import type { Block, Claim, Section } from "../report/html.ts";
import type { Figure, Series } from "../report/figures.ts";
import {
  type Arm,
  type DataCondition,
  dpoCurve,
  encoderMovement,
  loadPosttrainApi,
  lossEnds,
  type PosttrainApi,
  type SftVsDpoPlan,
  type Stage2Spec,
} from "./posttrain_api.ts";

/** Where results are reported: the four groups, the strongly-vision average, and all. */
export type GroupKey = GroupId | "visionAverage" | "overall";
/** Report order of the group keys. */
export const GROUP_KEYS: readonly GroupKey[] = [...GROUPS, "visionAverage", "overall"];
/** Display names of the group keys. */
export const GROUP_KEY_NAMES: Readonly<Record<GroupKey, string>> = {
  ...GROUP_NAMES,
  visionAverage: "Strongly vision (avg)",
  overall: "All four",
};

/** An encoder counts as moved when its parameters changed by more than this (relative L2). */
export const ENCODER_MOVED = 1e-6;

const ARMS: readonly Arm[] = ["sft", "dpo", "unlikelihood"];
const ARM_NAMES: Record<Arm, string> = { sft: "SFT", dpo: "DPO", unlikelihood: "Unlikelihood" };

/** A training stage's record: its loss fell or not, its encoder movement. */
export interface StageRecord {
  name: string;
  key: string;
  config: unknown;
  cached: boolean;
  seconds: number;
  firstLoss: number | null;
  finalLoss: number | null;
  /** finalLoss < firstLoss (null when the stage reports no loss). */
  lossFell: boolean | null;
  encoderMovement: number | null;
}

/** One evaluated configuration over its seeds. */
export interface ArmResult {
  /** e.g. "tuned/dpo", "clear/sft", "size-350/dpo", "base-1b", "blank-image". */
  id: string;
  condition: string;
  arm: Arm | "base-1b" | "blank-image";
  label: string;
  lr: number | null;
  data: DataCondition | null;
  size: number | null;
  seeds: number[];
  /** Test accuracy per group key across seeds (fractions). */
  test: Record<GroupKey, SeedSummary>;
  /** The stages (key prefix) of each seed's model and evaluation. */
  stageKeys: string[];
  encoderMovement: (number | null)[];
}

/** A − B, paired by seed and item, per group key. */
export interface ComparisonResult {
  id: string;
  condition: string;
  a: string;
  b: string;
  group: GroupKey;
  stat: PairedComparison;
  /** What the claims table says: the statistic's verdict unless the encoder guard applies. */
  verdict: Verdict;
  encoder: { aMoved: boolean | null; bMoved: boolean | null };
  note: string | null;
}

/** One row of the learning-rate sweep. */
export interface SweepRow {
  arm: Arm;
  lr: number;
  /** Mean validation accuracy of the four groups, per sweep seed, and their mean. */
  perSeed: number[];
  mean: number;
  chosen: boolean;
}

/** Everything the experiment measured, with its plan and configs. */
export interface SftVsDpoResult {
  plan: SftVsDpoPlan;
  seeds: number[];
  lr: { tuned: Record<Arm, number>; paperRatio: { sft: number; dpo: number } };
  sweep: SweepRow[];
  arms: ArmResult[];
  comparisons: ComparisonResult[];
  worldBlind: Partial<Record<GroupId, { items: number; accuracy: number }>>;
  /** Every training stage (1a, 1b, 2) with its loss check. */
  stages: StageRecord[];
  /** DPO log-prob and margin curves of the tuned DPO runs, per seed. */
  dpoCurves: { seed: number; curve: ReturnType<typeof dpoCurve> }[];
  /** Whether every training stage's loss fell. */
  allLossesFell: boolean;
  /**
   * "all": every condition; "primary": only the tuned comparison (and the bases), the
   * paper-ratio, clear-answer and data-size conditions not run. Absent in older records: all.
   */
  conditions?: SftVsDpoConditions;
  /** The 1b base against the protocol's calibration rule (absent in older records). */
  calibration?: BaseCalibration;
  /** Wall time and counted FLOPs per stage kind (absent in older records). */
  budget?: StageBudget;
  seconds: number;
  report: { sections: Section[]; claims: Claim[] };
}

/** Which conditions a run covers (see `SftVsDpoResult.conditions`). */
export type SftVsDpoConditions = "all" | "primary";

/** Options of `runSftVsDpo`. */
export interface SftVsDpoOptions {
  out: string;
  force?: string[];
  log?: (line: string) => void;
  /** Use this many seeds instead of the protocol's (extending its list by consecutive ints). */
  seeds?: number;
  /** The training side (default: the committed modules, see posttrain_api.ts). */
  api?: PosttrainApi;
  /** "primary": the tuned comparison only, when the secondary conditions cannot run. */
  conditions?: SftVsDpoConditions;
}

/** Runs (or loads) the whole experiment; `{ pending }` when the training side is missing. */
export async function runSftVsDpo(
  pre: PretrainResult,
  preset: string,
  opts: SftVsDpoOptions,
): Promise<SftVsDpoResult | { pending: string }> {
  const started = performance.now();
  const log = opts.log ?? ((line: string) => console.error(line));
  const api = opts.api ?? await loadPosttrainApi();
  if (typeof api === "string") return { pending: api };
  if (pre.e0Pending) return { pending: `pretraining incomplete: ${pre.e0Pending}` };
  const world = pre.world;
  const plan = api.plan(preset);
  const seeds = seedList(plan.seeds, opts.seeds);
  const sweepSeeds = plan.sweepSeeds.filter((s) => seeds.includes(s));
  if (sweepSeeds.length === 0) sweepSeeds.push(seeds[0]);
  const secondary = plan.secondarySeeds.filter((s) => seeds.includes(s));
  if (secondary.length === 0) secondary.push(...seeds);
  const fullSize = plan.sizes[plan.sizes.length - 1];
  const run: RunOptions = { out: opts.out, force: opts.force, log };
  const stages: StageRecord[] = [];
  const seen = new Set<string>();
  const costs: StageCost[] = [];

  const train = async (def: StageDef): Promise<StageOutput> => {
    const o = await runStage(def, run);
    await sync();
    trimPool();
    costs.push(stageCostOf(o));
    if (!seen.has(o.key)) {
      seen.add(o.key);
      const ends = lossEnds(o.metrics);
      stages.push({
        name: o.name,
        key: o.key.slice(0, 16),
        config: o.config,
        cached: o.cached,
        seconds: o.seconds,
        firstLoss: ends?.first ?? null,
        finalLoss: ends?.last ?? null,
        lossFell: ends ? ends.last < ends.first : null,
        encoderMovement: encoderMovement(o.metrics),
      });
    }
    return o;
  };
  const runDep = async (def: StageDef) => {
    const o = await runStage(def, run);
    await sync();
    trimPool();
    costs.push(stageCostOf(o));
    return o;
  };
  const evaluate = async (model: StageOutput, set: "test" | "val", blank = false) => {
    const o = await runStage(
      vqaStage(model, api.loadMLLM, world, {
        name: blank ? "vqa-blank" : `vqa-${set}`,
        splits: groupSplits(set),
        blank,
        batch: plan.vqa.batch,
        maxNew: plan.vqa.maxNew,
        perSplit: (set === "val" ? plan.vqa.valPerGroup : plan.vqa.testPerGroup) ?? undefined,
      }),
      run,
    );
    await sync();
    trimPool();
    costs.push(stageCostOf(o));
    return o;
  };

  // Stage 1 per seed.
  const base = new Map<number, StageOutput>();
  for (const seed of seeds) {
    const s1a = await train(api.stage1a(world, pre, seed));
    base.set(seed, await train(api.stage1b(world, s1a, pre, seed)));
  }
  const stage2 = new Map<string, StageOutput>();
  const post = async (spec: Stage2Spec) => {
    const k = JSON.stringify(spec);
    if (!stage2.has(k)) {
      stage2.set(k, await train(await api.stage2(world, base.get(spec.seed)!, spec, runDep)));
    }
    return stage2.get(k)!;
  };

  // 1. Learning-rate sweep on the validation splits (same grid and budget per arm).
  const sweep: SweepRow[] = [];
  const tuned = {} as Record<Arm, number>;
  for (const arm of ARMS) {
    const rows: SweepRow[] = [];
    for (const lr of plan.lrGrid) {
      const perSeed: number[] = [];
      for (const seed of sweepSeeds) {
        const m = await post({ arm, lr, data: "full", size: fullSize, seed });
        const v = (await evaluate(m, "val")).metrics as unknown as VqaResult;
        perSeed.push(mean(GROUPS.map((g) => v.byGroup[g]!.accuracy)));
      }
      rows.push({ arm, lr, perSeed, mean: mean(perSeed), chosen: false });
    }
    const best = rows.reduce((
      a,
      b,
    ) => (b.mean > a.mean || (b.mean === a.mean && b.lr < a.lr) ? b : a));
    best.chosen = true;
    tuned[arm] = best.lr;
    sweep.push(...rows);
    log(`sft-vs-dpo: ${arm} lr ${best.lr} (validation ${(100 * best.mean).toFixed(1)}%)`);
  }
  const paperRatio = { sft: tuned.sft, dpo: tuned.sft / plan.paperRatio };

  // 2–5. Final models, evaluated on the test splits.
  const arms: ArmResult[] = [];
  const tests = new Map<string, Map<number, VqaResult>>();
  const addArm = async (
    id: string,
    condition: string,
    arm: ArmResult["arm"],
    label: string,
    spec: Omit<Stage2Spec, "seed"> | null,
    armSeeds: number[],
    blank = false,
  ) => {
    const results = new Map<number, VqaResult>();
    const keys: string[] = [];
    const moved: (number | null)[] = [];
    for (const seed of armSeeds) {
      const model = spec ? await post({ ...spec, seed }) : base.get(seed)!;
      const e = await evaluate(model, "test", blank);
      results.set(seed, e.metrics as unknown as VqaResult);
      keys.push(model.key.slice(0, 16), e.key.slice(0, 16));
      moved.push(spec ? encoderMovement(model.metrics) : null);
    }
    tests.set(id, results);
    const test = {} as Record<GroupKey, SeedSummary>;
    for (const g of GROUP_KEYS) {
      test[g] = summarize(armSeeds.map((s) => groupAccuracy(results.get(s)!, g)));
    }
    arms.push({
      id,
      condition,
      arm,
      label,
      lr: spec?.lr ?? null,
      data: spec?.data ?? null,
      size: spec?.size ?? null,
      seeds: armSeeds,
      test,
      stageKeys: keys,
      encoderMovement: moved,
    });
  };
  await addArm("base-1b", "base", "base-1b", "Stage-1b base", null, seeds);
  await addArm("blank-image", "base", "blank-image", "1b base, blank image", null, seeds, true);
  for (const arm of ARMS) {
    await addArm(`tuned/${arm}`, "tuned", arm, `${ARM_NAMES[arm]} (tuned lr)`, {
      arm,
      lr: tuned[arm],
      data: "full",
      size: fullSize,
    }, seeds);
  }
  const conditions = opts.conditions ?? "all";
  if (conditions === "all") {
    await addArm("paper-ratio/dpo", "paper-ratio", "dpo", "DPO (lr = SFT lr / 5)", {
      arm: "dpo",
      lr: paperRatio.dpo,
      data: "full",
      size: fullSize,
    }, secondary);
    for (const arm of ["sft", "dpo"] as const) {
      await addArm(`clear/${arm}`, "clear", arm, `${ARM_NAMES[arm]} (clear answers)`, {
        arm,
        lr: tuned[arm],
        data: "clear",
        size: fullSize,
      }, secondary);
      for (const size of plan.sizes) {
        await addArm(
          `size-${size}/${arm}`,
          `size-${size}`,
          arm,
          `${ARM_NAMES[arm]} (${size} items)`,
          {
            arm,
            lr: tuned[arm],
            data: "full",
            size,
          },
          secondary,
        );
      }
    }
  }
  const worldBlind = (await worldBlindBaseline(world, groupSplits("test"))).byGroup;
  const families: Record<string, FamilyId[]> = {};
  for (const g of GROUPS) {
    const split = await world.split(`test_${g}`);
    families[split.name] = split.records.map((r) => (r as QuestionRecord).item.family);
  }
  const calibration = baseCalibration(
    seeds.map((s) => tests.get("base-1b")!.get(s)!),
    seeds.map((s) => tests.get("blank-image")!.get(s)!),
    families,
    worldBlind,
  );
  log(`sft-vs-dpo: ${calibrationSummary(calibration)}`);

  // Paired comparisons.
  const armById = new Map(arms.map((a) => [a.id, a]));
  const movedOf = (id: string): boolean | null => {
    const a = armById.get(id)!;
    if (a.arm === "base-1b" || a.arm === "blank-image") return false;
    if (a.encoderMovement.some((m) => m === null)) return null;
    return a.encoderMovement.every((m) => m! > ENCODER_MOVED);
  };
  const comparisons: ComparisonResult[] = [];
  const compare = (condition: string, a: string, b: string, groups = GROUP_KEYS) => {
    const ra = tests.get(a)!;
    const rb = tests.get(b)!;
    const common = [...ra.keys()].filter((s) => rb.has(s));
    const aMoved = movedOf(a);
    const bMoved = movedOf(b);
    for (const g of groups) {
      const stat = pairedComparison(
        common.map((s) => groupCorrectness(ra.get(s)!, g)),
        common.map((s) => groupCorrectness(rb.get(s)!, g)),
      );
      const neither = aMoved === false && bMoved === false;
      const unknown = aMoved === null || bMoved === null;
      comparisons.push({
        id: `${a} − ${b}`,
        condition,
        a,
        b,
        group: g,
        stat,
        verdict: neither ? "inconclusive" : stat.verdict,
        encoder: { aMoved, bMoved },
        note: neither
          ? "neither arm moved the vision encoder: no claim about what post-training does to it"
          : unknown
          ? "encoder movement not reported by a stage"
          : null,
      });
    }
  };
  compare("tuned", "tuned/dpo", "tuned/sft");
  compare("tuned", "tuned/unlikelihood", "tuned/sft");
  compare("tuned", "tuned/dpo", "tuned/unlikelihood");
  compare("tuned", "tuned/sft", "base-1b", ["visionAverage", "overall"]);
  compare("tuned", "tuned/dpo", "base-1b", ["visionAverage", "overall"]);
  if (conditions === "all") {
    compare("paper-ratio", "paper-ratio/dpo", "tuned/sft");
    compare("clear", "clear/dpo", "clear/sft");
    compare(
      "data-efficiency",
      `size-${plan.sizes[0]}/dpo`,
      `size-${fullSize}/sft`,
    );
    for (const size of plan.sizes) {
      compare(`size-${size}`, `size-${size}/dpo`, `size-${size}/sft`, ["visionAverage"]);
    }
  }

  const dpoCurves = seeds.map((seed) => ({
    seed,
    curve: dpoCurve(
      stage2.get(JSON.stringify({
        arm: "dpo",
        lr: tuned.dpo,
        data: "full",
        size: fullSize,
        seed,
      }))!.metrics,
    ),
  }));
  const result: Omit<SftVsDpoResult, "report"> = {
    plan,
    seeds,
    lr: { tuned, paperRatio },
    sweep,
    arms,
    comparisons,
    worldBlind,
    stages,
    dpoCurves,
    allLossesFell: stages.every((s) => s.lossFell === true),
    conditions,
    calibration,
    budget: stageBudget(costs),
    seconds: (performance.now() - started) / 1000,
  };
  const b = result.budget!.total;
  log(
    `sft-vs-dpo: ${b.runs} stages (${b.cached} cached), their own wall time ` +
      `${(b.seconds / 60).toFixed(1)} min, ${((b.flops ?? 0) / 1e9).toFixed(0)} GFLOP counted` +
      (b.uncounted > 0 ? ` (${b.uncounted} stages without a count)` : "") +
      `; this part ${(result.seconds / 60).toFixed(1)} min`,
  );
  return { ...result, report: sftVsDpoReport(result) };
}

// ---------------------------------------------------------------------------------------
// Tables, figures and claims.

const pct = (x: number) => (100 * x).toFixed(1);
const signedPct = (x: number) => `${x >= 0 ? "+" : "−"}${Math.abs(100 * x).toFixed(1)}`;
const ci = (c: Interval | null) => (c ? `[${pct(c[0])}, ${pct(c[1])}]` : "n/a");

/** "41.3 ± 2.1 [38.0, 44.6]" in percent (mean ± sd [95% interval]). */
export function formatSummary(s: SeedSummary): string {
  return s.sd === null ? `${pct(s.mean)} (1 seed)` : `${pct(s.mean)} ± ${pct(s.sd)} ${ci(s.ci95)}`;
}

/** "+3.1 [1.2, 5.0]" in points. */
export function formatDiff(c: PairedComparison): string {
  return `${signedPct(c.diff)} [${signedPct(c.ci95[0])}, ${signedPct(c.ci95[1])}]`;
}

/** The accuracy table: one row per configuration, one cell per group key. */
export function accuracyTable(
  r: Pick<SftVsDpoResult, "arms" | "worldBlind"> & { plan?: Pick<SftVsDpoPlan, "vqa"> },
): Block {
  const rows: (string | number | null)[][] = r.arms.map((a) => [
    a.label,
    a.lr,
    a.seeds.length,
    ...GROUP_KEYS.map((g) => formatSummary(a.test[g])),
  ]);
  const blind = GROUPS.map((g) => r.worldBlind[g]?.accuracy ?? NaN);
  rows.push([
    "World text-only majority (blind)",
    null,
    null,
    ...blind.map(pct),
    pct(mean(VISION_GROUPS.map((g) => r.worldBlind[g]?.accuracy ?? NaN))),
    pct(mean(blind)),
  ]);
  return {
    kind: "table",
    columns: ["model", "lr", "seeds", ...GROUP_KEYS.map((g) => GROUP_KEY_NAMES[g])],
    rows,
    caption: "Test accuracy (%): mean ± sd across seeds [95% t-interval of the mean], on " +
      (r.plan?.vqa.testPerGroup
        ? `the first ${r.plan.vqa.testPerGroup} test questions of each group.`
        : "every test question of each group."),
  };
}

/** The comparison table: A − B per group with interval and verdict. */
export function comparisonTable(r: Pick<SftVsDpoResult, "comparisons">): Block {
  return {
    kind: "table",
    columns: ["condition", "A − B", "group", "Δ points [95%]", "seeds × items", "verdict", "note"],
    rows: r.comparisons.map((c) => [
      c.condition,
      c.id,
      GROUP_KEY_NAMES[c.group],
      formatDiff(c.stat),
      `${c.stat.seeds} × ${c.stat.items}`,
      c.verdict,
      c.note,
    ]),
    caption: "Paired by seed and item (src/stats/paired.ts); verdict of “A > B”: holds if the " +
      "whole 95% interval is above 0, does not hold if none of it is, else inconclusive.",
  };
}

function errorOf(s: SeedSummary): { minus: number; plus: number } {
  return s.ci95
    ? { minus: 100 * (s.mean - s.ci95[0]), plus: 100 * (s.ci95[1] - s.mean) }
    : { minus: 0, plus: 0 };
}

function seriesOf(name: string, xs: string[], ss: SeedSummary[]): Series {
  const e = ss.map(errorOf);
  return {
    name,
    x: xs,
    y: ss.map((s) => 100 * s.mean),
    error: { minus: e.map((v) => v.minus), plus: e.map((v) => v.plus) },
  };
}

/** The figures: accuracy by group, data-size curves, DPO log-prob curves, the lr sweep. */
export function sftVsDpoFigures(r: Omit<SftVsDpoResult, "report">): Figure[] {
  const keys: GroupKey[] = [...GROUPS, "visionAverage"];
  const xs = keys.map((g) => GROUP_KEY_NAMES[g]);
  const byId = new Map(r.arms.map((a) => [a.id, a]));
  const bars = ["base-1b", "tuned/sft", "tuned/dpo", "tuned/unlikelihood", "blank-image"]
    .filter((id) => byId.has(id)).map((id) => {
      const a = byId.get(id)!;
      return seriesOf(a.label, xs, keys.map((g) => a.test[g]));
    });
  const figs: Figure[] = [{
    kind: "bar",
    title: "Test accuracy by group (95% intervals across seeds)",
    yLabel: "accuracy (%)",
    series: bars,
    references: [{
      y: 100 * mean(VISION_GROUPS.map((g) => r.worldBlind[g]?.accuracy ?? 0)),
      label: "text-only blind (vision avg)",
    }],
  }];
  const sizes = r.plan.sizes;
  const sized = sizes.every((n) => byId.has(`size-${n}/sft`) && byId.has(`size-${n}/dpo`));
  if (sized) {
    figs.push({
      kind: "line",
      title: "Data efficiency: strongly-vision average vs preference-set size",
      xLabel: "preference items",
      yLabel: "accuracy (%)",
      series: (["sft", "dpo"] as const).map((arm) => {
        const ss = sizes.map((n) => byId.get(`size-${n}/${arm}`)!.test.visionAverage);
        const s = seriesOf(ARM_NAMES[arm], sizes.map(String), ss);
        return { ...s, x: sizes };
      }),
    });
  }
  const curves = r.dpoCurves.filter((c) => c.curve && c.curve.step.length > 0);
  if (curves.length > 0) {
    const c0 = curves[0].curve!;
    const avg = (pick: (c: NonNullable<typeof c0>) => number[]) =>
      c0.step.map((_, i) => mean(curves.map((c) => pick(c.curve!)[i] ?? NaN)));
    figs.push({
      kind: "line",
      title: `DPO (tuned): summed response log-probs, mean of ${curves.length} seeds`,
      xLabel: "step",
      yLabel: "log p (nats)",
      series: [
        { name: "chosen", x: c0.step, y: avg((c) => c.chosen) },
        { name: "rejected", x: c0.step, y: avg((c) => c.rejected) },
      ].filter((s) => s.y.every(Number.isFinite)),
    }, {
      kind: "line",
      title: "DPO (tuned): reward margin β·(Δ log-ratio), mean over seeds",
      xLabel: "step",
      yLabel: "margin",
      series: [{ name: "margin", x: c0.step, y: avg((c) => c.margin) }].filter((s) =>
        s.y.every(Number.isFinite)
      ),
    });
  }
  figs.push({
    kind: "line",
    title: "Learning-rate sweep: validation accuracy (mean of the four groups)",
    xLabel: "learning rate",
    yLabel: "accuracy (%)",
    series: ARMS.map((arm) => {
      const rows = r.sweep.filter((s) => s.arm === arm);
      return {
        name: ARM_NAMES[arm],
        x: rows.map((s) => String(s.lr)),
        y: rows.map((s) => 100 * s.mean),
      };
    }),
  });
  return figs.filter((f) => f.kind === "heatmap" || f.series.length > 0);
}

/** The claims of this experiment, each with its computed verdict. */
export function sftVsDpoClaims(r: Pick<SftVsDpoResult, "comparisons">): Claim[] {
  const find = (condition: string, id: string, g: GroupKey) =>
    r.comparisons.find((c) => c.condition === condition && c.id === id && c.group === g);
  const measured = (c: ComparisonResult) =>
    `${formatDiff(c.stat)} points (${c.stat.seeds} seeds × ${c.stat.items} items)`;
  const claims: Claim[] = [];
  const add = (idTag: string, claim: string, paper: string, c: ComparisonResult | undefined) => {
    if (!c) return;
    claims.push({
      id: idTag,
      claim,
      measured: measured(c),
      paper,
      verdict: c.verdict,
      note: c.note ?? undefined,
    });
  };
  add(
    "F2",
    "DPO beats SFT on the strongly vision-related groups (average)",
    "+1.4 to +2.7 avg",
    find("tuned", "tuned/dpo − tuned/sft", "visionAverage"),
  );
  for (const g of VISION_GROUPS) {
    add(
      "F2",
      `DPO beats SFT on ${GROUP_NAMES[g]}`,
      g === "general" ? "+0.1…+1.0" : g === "vision" ? "+2.2…+2.6" : "+2.4…+4.2",
      find("tuned", "tuned/dpo − tuned/sft", g),
    );
  }
  add(
    "F2",
    "DPO beats SFT on Knowledge (the paper: roughly a tie)",
    "+0.0…+0.3",
    find("tuned", "tuned/dpo − tuned/sft", "knowledge"),
  );
  const eff = r.comparisons.find((c) =>
    c.condition === "data-efficiency" && c.group === "visionAverage"
  );
  add(
    "F2",
    "DPO on the smallest preference set beats SFT on the largest",
    "3K DPO 60.4 vs 40K SFT 59.5",
    eff,
  );
  add(
    "F2",
    "With the paper's lr ratio (DPO = SFT / 5), DPO beats SFT",
    "the paper's setting",
    find("paper-ratio", "paper-ratio/dpo − tuned/sft", "visionAverage"),
  );
  add(
    "F2",
    "With clear (SFT-friendly) answers DPO still beats SFT",
    "+0.5…+0.8",
    find("clear", "clear/dpo − clear/sft", "visionAverage"),
  );
  add(
    "C1",
    "DPO beats an SFT arm that also sees the rejected answer (unlikelihood)",
    "not tested",
    find("tuned", "tuned/dpo − tuned/unlikelihood", "visionAverage"),
  );
  return claims;
}

/** Report sections: claims, accuracy table and figure, comparisons, sweep, encoder, stages. */
export function sftVsDpoReport(
  r: Omit<SftVsDpoResult, "report">,
): { sections: Section[]; claims: Claim[] } {
  const claims = sftVsDpoClaims(r);
  const figs = sftVsDpoFigures(r);
  const fell = r.stages.filter((s) => s.lossFell).length;
  const sections: Section[] = [{
    title: "SFT vs DPO: claims",
    blocks: [{ kind: "claims", claims }],
  }, {
    title: "SFT vs DPO: accuracy by group",
    blocks: [
      accuracyTable(r),
      ...figs.map((figure) => ({ kind: "figure" as const, figure })),
    ],
  }, {
    title: "SFT vs DPO: paired differences",
    blocks: [comparisonTable(r)],
  }, {
    title: "SFT vs DPO: learning rates, encoder movement, stages",
    blocks: [{
      kind: "table",
      columns: ["arm", "lr", "validation acc per sweep seed (%)", "mean (%)", "chosen"],
      rows: r.sweep.map((
        s,
      ) => [
        ARM_NAMES[s.arm],
        s.lr,
        s.perSeed.map(pct).join(", "),
        pct(s.mean),
        s.chosen ? "yes" : "",
      ]),
      caption: "Each arm's lr is chosen on the validation splits (never the test split); " +
        `paper-ratio DPO lr = ${r.lr.paperRatio.dpo}.`,
    }, {
      kind: "table",
      columns: ["model", "encoder movement per seed (relative L2)"],
      rows: r.arms.filter((a) => a.arm !== "base-1b" && a.arm !== "blank-image").map((a) => [
        a.label,
        a.encoderMovement.map((m) => (m === null ? "not reported" : m.toExponential(2))).join(", "),
      ]),
      caption: `An encoder counts as moved above ${ENCODER_MOVED} (relative L2 change in Stage 2).`,
    }, {
      kind: "text",
      text: `${fell} of ${r.stages.length} training stages ended with a lower loss than they ` +
        `started with; ${r.seeds.length} seeds (${r.seeds.join(", ")}).`,
    }],
  }];
  if (r.calibration) {
    sections.push({
      title: "SFT vs DPO: is the 1b base calibrated?",
      blocks: calibrationBlocks(r.calibration),
    });
  }
  if (r.budget) {
    sections.push({
      title: "SFT vs DPO: time and FLOPs per stage",
      blocks: [budgetTable(r.budget, r.seconds)],
    });
  }
  return { sections, claims };
}
