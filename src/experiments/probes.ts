/**
 * The encoder analyses (issue 6; the paper's F1, F3, F4, F5 and our control C4), on the
 * encoders of exactly the SFT-vs-DPO runs: their stage definitions are rebuilt from the
 * committed protocols and checked against the keys the experiment recorded (a mismatch is an
 * error, never a silent retraining), so every model is a cache hit.
 *
 * - **Main probes**: E0, the 1b base, SFT, DPO and unlikelihood of every primary seed: the
 *   linear probe per label set and view, the segmentation probe per view (src/protocol/probes.ts).
 * - **Gradient maps** per primary seed (src/experiments/gradient_maps.ts).
 * - **Data-size sweep**: the linear probe of SFT and DPO at every preference-set size.
 * - **LM-size sweep**: the probes of SFT and DPO (and their 1b base) with each LM size.
 * - **Encoder-size sweep**: VQA by group of SFT and DPO with each encoder size.
 *
 * Every probe and gradient-map computation is a cached stage, so a rerun is served from
 * disk. Comparisons and their verdicts: src/experiments/probe_stats.ts. `StageInterrupted`
 * (or any other error) propagates.
 * @module
 */

import { Buffer } from "node:buffer";
import type { PretrainResult } from "../train/pretrain.ts";
import { type RunOptions, runStage, type StageDef, stageKey } from "../train/stage.ts";
import type { StageOutput } from "../train/stage.ts";
import { sync } from "../gpu/batch.ts";
import { trimPool } from "../gpu/pool.ts";
import type { SftVsDpoResult } from "./sft_vs_dpo.ts";
import type { SftVsDpoRecord } from "../report/reproduce_report.ts";
import { loadPosttrainApi, type Stage2Spec } from "./posttrain_api.ts";
import { type ProbesProtocol, probesProtocol } from "../protocol/probes.ts";
import { postTrainProtocol } from "../protocol/posttrain.ts";
import type { LabelKind } from "../data/images.ts";
import {
  correctOf,
  type EncoderProbeMetrics,
  probeStage,
  type View,
  VIEWS,
} from "./probe_stages.ts";
import { type GradMapMetrics, gradMapStage, type GradPoint } from "./gradient_maps.ts";
import { type SweepModels, sweepModels, sweepPretraining } from "./scaling.ts";
import { correctness, groupSplits, VISION_GROUPS, type VqaResult, vqaStage } from "../eval/vqa.ts";
import { type GroupId, GROUPS } from "../world/items.ts";
import { mean, type SeedSummary, summarize } from "../stats/mod.ts";
import {
  differenceOf,
  itemComparison,
  type ProbeComparison,
  seedComparison,
  trendComparison,
} from "./probe_stats.ts";
import type { Section } from "../report/html.ts";
import { probesReport } from "../report/probe_views.ts";

/** The headline probe score (claims F3, F5, C4): fine labels, from the ViT alone. */
export const HEADLINE = { label: "fine" as LabelKind, view: "vit" as View };

/** Name of a linear-probe metric. */
export const linearMetric = (label: LabelKind, view: View) => `linear ${label} (${view})`;
/** Names of the segmentation-probe metrics. */
export const segMetric = (what: "recall" | "mIoU", view: View) => `seg ${what} (${view})`;

/** What kind of encoder an entry is. */
export type EncoderKind = "e0" | "base-1b" | "sft" | "dpo" | "unlikelihood";

/** One probed encoder configuration over its seeds. */
export interface EncoderEntry {
  /** e.g. "e0", "base-1b", "tuned/dpo", "size-80/sft", "lm-m/dpo". */
  id: string;
  study: "main" | "data" | "lm";
  kind: EncoderKind;
  label: string;
  /** Preference items (data sweep) or model size name (LM sweep). */
  size: number | string | null;
  seeds: number[];
  /** Key prefix of the probed model stage, per seed. */
  models: string[];
  /** The probe stage's metrics, per seed. */
  probes: EncoderProbeMetrics[];
  /** Per metric name: the score across seeds. */
  scores: Record<string, SeedSummary>;
}

/** A comparison with the study it belongs to. */
export type StudyComparison = ProbeComparison & {
  study: "main" | "data" | "lm" | "encoder" | "gradmaps";
};

/** Localisation summaries of one point × loss × group over seeds. */
export interface GradMapSummary {
  point: GradPoint;
  loss: "sft" | "dpo";
  group: GroupId | "visionAverage";
  share: SeedSummary;
  pointing: SeedSummary;
  chance: number;
}

/** An encoder-size sweep cell: VQA test accuracy of one arm at one encoder size. */
export interface EncoderSweepEntry {
  id: string;
  size: string;
  arm: "sft" | "dpo";
  seeds: number[];
  models: string[];
  test: Record<GroupId | "visionAverage", SeedSummary>;
}

/** Everything the encoder analyses measured. */
export interface ProbesResult {
  preset: string;
  protocol: ProbesProtocol;
  seeds: number[];
  headline: { label: LabelKind; view: View; metric: string };
  encoders: EncoderEntry[];
  comparisons: StudyComparison[];
  gradMaps: {
    seeds: number[];
    perSeed: GradMapMetrics[];
    summary: GradMapSummary[];
    /** Contact sheets of the first seed (PNG, base64): start and end. */
    sheets: { point: GradPoint; seed: number; pngBase64: string }[];
  };
  dataSweep: { sizes: number[]; seeds: number[] };
  lmSweep: { sizes: string[]; seeds: number[] };
  encoderSweep: { sizes: string[]; seeds: number[]; entries: EncoderSweepEntry[] };
  /** Stages this run computed (not cached), by name. */
  computed: Record<string, number>;
  /** Stages served from the cache, by name. */
  cached: Record<string, number>;
  seconds: number;
  report: { sections: Section[] };
}

/** Options of `runProbes`. */
export interface ProbesOptions {
  out: string;
  force?: string[];
  log?: (line: string) => void;
}

const ARM_LABEL: Record<EncoderKind, string> = {
  e0: "E0 (no LLM)",
  "base-1b": "Stage-1b base",
  sft: "SFT",
  dpo: "DPO",
  unlikelihood: "Unlikelihood",
};

/** Per metric name, the score of one probe stage (linear top-1; seg mean over probe seeds). */
export function scoresOf(m: EncoderProbeMetrics): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of VIEWS) {
    const vr = m.views[v];
    if (!vr) continue;
    for (const [label, r] of Object.entries(vr.linear)) {
      out[linearMetric(label as LabelKind, v)] = r!.testTop1;
    }
    if (vr.seg) {
      out[segMetric("recall", v)] = vr.seg.macroRecall.mean;
      out[segMetric("mIoU", v)] = vr.seg.mIoU.mean;
    }
  }
  return out;
}

function entryOf(
  base: Omit<EncoderEntry, "scores">,
): EncoderEntry {
  const per = base.probes.map(scoresOf);
  const scores: Record<string, SeedSummary> = {};
  for (const k of Object.keys(per[0] ?? {})) {
    if (per.every((s) => k in s)) scores[k] = summarize(per.map((s) => s[k]));
  }
  return { ...base, scores };
}

/** Runs (or loads) every analysis of `preset` on the encoders of `sftVsDpo`'s runs. */
export async function runProbes(
  pretrain: PretrainResult,
  sftVsDpo: SftVsDpoResult | SftVsDpoRecord,
  preset: string,
  opts: ProbesOptions,
): Promise<ProbesResult> {
  const started = performance.now();
  const log = opts.log ?? ((line: string) => console.error(line));
  const p = probesProtocol(preset);
  const world = pretrain.world;
  const api = await loadPosttrainApi();
  if (typeof api === "string") throw new Error(`probes: ${api}`);
  const run: RunOptions = { out: opts.out, force: opts.force, log };
  const computed: Record<string, number> = {};
  const cached: Record<string, number> = {};
  const runDef = async (def: StageDef): Promise<StageOutput> => {
    const o = await runStage(def, run);
    await sync();
    trimPool();
    const tally = o.cached ? cached : computed;
    tally[o.name] = (tally[o.name] ?? 0) + 1;
    return o;
  };
  const plan = sftVsDpo.plan;
  const seeds = sftVsDpo.seeds;
  const fullSize = plan.sizes[plan.sizes.length - 1];
  const armOf = (id: string) => {
    const a = sftVsDpo.arms.find((x) => x.id === id);
    if (!a) throw new Error(`probes: the SFT-vs-DPO result has no arm ${id}`);
    return a;
  };

  // The SFT-vs-DPO models, rebuilt from their stage definitions and checked against the
  // keys the experiment recorded (stageKeys: model, evaluation, per seed).
  const expectKey = (def: StageDef, id: string, seed: number) => {
    const a = armOf(id);
    const i = a.seeds.indexOf(seed);
    const want = a.stageKeys[2 * i];
    const got = stageKey(def).slice(0, 16);
    if (i < 0 || want !== got) {
      throw new Error(
        `probes: ${id} seed ${seed} rebuilds as stage ${def.name} [${got}], but the SFT-vs-DPO ` +
          `run recorded [${want}]: run the probes on the same folder and protocol as that run`,
      );
    }
  };
  const bases = new Map<number, StageOutput>();
  const baseOf = async (seed: number) => {
    if (!bases.has(seed)) {
      const s1a = await runDef(api.stage1a(world, pretrain, seed));
      const def = api.stage1b(world, s1a, pretrain, seed);
      expectKey(def, "base-1b", seed);
      bases.set(seed, await runDef(def));
    }
    return bases.get(seed)!;
  };
  const models = new Map<string, StageOutput>();
  const modelOf = async (id: string, seed: number): Promise<StageOutput> => {
    const k = `${id}|${seed}`;
    if (models.has(k)) return models.get(k)!;
    const base = await baseOf(seed);
    if (id === "base-1b") return base;
    const a = armOf(id);
    if (a.arm === "base-1b" || a.arm === "blank-image" || a.lr === null || !a.data) {
      throw new Error(`probes: ${id} is not a Stage-2 arm`);
    }
    const spec: Stage2Spec = { arm: a.arm, lr: a.lr, data: a.data, size: a.size!, seed };
    const def = await api.stage2(world, base, spec, runDef);
    expectKey(def, id, seed);
    const o = await runDef(def);
    models.set(k, o);
    return o;
  };

  // A model probed in full (seg probe, every view) already has what a sweep asks for.
  const probed = new Map<string, EncoderProbeMetrics>();
  const probeOf = async (model: StageOutput, seg: boolean, linearViews?: View[]) => {
    const full = seg && !linearViews;
    const done = probed.get(`${model.key}|full`) ??
      probed.get(`${model.key}|${seg}|${linearViews ?? "all"}`);
    if (done) return done;
    const def = probeStage(model, world, p, { seg, linearViews });
    const m = (await runDef(def as unknown as StageDef)).metrics as EncoderProbeMetrics;
    probed.set(full ? `${model.key}|full` : `${model.key}|${seg}|${linearViews ?? "all"}`, m);
    return m;
  };

  const encoders: EncoderEntry[] = [];
  const post = postTrainProtocol(preset);
  const e0 = pretrain.e0.find((o) => o.name === `e0-${post.encoder}`);
  if (!e0) throw new Error(`probes: pretraining has no e0-${post.encoder} stage`);

  // Main probes.
  log(`probes: main (${seeds.length} seeds)`);
  const e0Probe = await probeOf(e0, true);
  encoders.push(entryOf({
    id: "e0",
    study: "main",
    kind: "e0",
    label: `${ARM_LABEL.e0}, e0-${post.encoder}`,
    size: null,
    seeds: [],
    models: [e0.key.slice(0, 16)],
    probes: [e0Probe],
  }));
  const mainIds: [string, EncoderKind][] = [
    ["base-1b", "base-1b"],
    ["tuned/sft", "sft"],
    ["tuned/dpo", "dpo"],
    ["tuned/unlikelihood", "unlikelihood"],
  ];
  for (const [id, kind] of mainIds) {
    const ms: StageOutput[] = [];
    const probes: EncoderProbeMetrics[] = [];
    for (const seed of seeds) {
      const m = await modelOf(id, seed);
      ms.push(m);
      probes.push(await probeOf(m, true));
    }
    encoders.push(entryOf({
      id,
      study: "main",
      kind,
      label: kind === "base-1b" ? ARM_LABEL[kind] : `${ARM_LABEL[kind]} (tuned lr)`,
      size: null,
      seeds,
      models: ms.map((m) => m.key.slice(0, 16)),
      probes,
    }));
  }

  // Gradient maps per primary seed.
  log("probes: gradient maps");
  const gradPerSeed: GradMapMetrics[] = [];
  const sheets: ProbesResult["gradMaps"]["sheets"] = [];
  for (const seed of seeds) {
    const o = await runDef(gradMapStage(
      {
        base: await baseOf(seed),
        sft: await modelOf("tuned/sft", seed),
        dpo: await modelOf("tuned/dpo", seed),
      },
      seed,
      world,
      p,
      api.loadMLLM,
    ) as unknown as StageDef);
    const m = o.metrics as GradMapMetrics;
    gradPerSeed.push(m);
    if (seed === seeds[0]) {
      for (const point of ["start", "end"] as const) {
        const bytes = await Deno.readFile(`${o.dir}/${m.sheets[point]}`);
        sheets.push({ point, seed, pngBase64: Buffer.from(bytes).toString("base64") });
      }
    }
  }

  // Data-size sweep: the SFT-vs-DPO size runs of the sweep seeds.
  const secondary = armOf(`size-${fullSize}/dpo`).seeds;
  const dataSeeds = p.dataSweep.seeds.filter((s) => secondary.includes(s));
  log(`probes: data-size sweep (${plan.sizes.join(", ")} items × seeds ${dataSeeds.join(", ")})`);
  for (const size of plan.sizes) {
    for (const arm of ["sft", "dpo"] as const) {
      const id = `size-${size}/${arm}`;
      const ms: StageOutput[] = [];
      const probes: EncoderProbeMetrics[] = [];
      for (const seed of dataSeeds) {
        const m = await modelOf(id, seed);
        ms.push(m);
        probes.push(await probeOf(m, p.dataSweep.seg, p.dataSweep.views));
      }
      encoders.push(entryOf({
        id,
        study: "data",
        kind: arm,
        label: `${ARM_LABEL[arm]} (${size} items)`,
        size,
        seeds: dataSeeds,
        models: ms.map((m) => m.key.slice(0, 16)),
        probes,
      }));
    }
  }

  // LM- and encoder-size sweeps: the swapped protocol's runs at the main comparison's lrs.
  const pretrained = await sweepPretraining(pretrain, world, p, preset, runDef);
  const sweepCtx = {
    preset,
    world,
    probes: p,
    pretrained,
    lr: { sft: sftVsDpo.lr.tuned.sft, dpo: sftVsDpo.lr.tuned.dpo },
    runDef,
  };
  log(`probes: LM-size sweep (${p.lmSweep.sizes.join(", ")}, seeds ${p.lmSweep.seeds})`);
  for (const size of p.lmSweep.sizes) {
    const runs: SweepModels[] = [];
    for (const seed of p.lmSweep.seeds) runs.push(await sweepModels("lm", size, seed, sweepCtx));
    for (const kind of ["base-1b", "sft", "dpo"] as const) {
      const ms = runs.map((r) => (kind === "base-1b" ? r.base : r[kind]));
      const probes: EncoderProbeMetrics[] = [];
      for (const m of ms) probes.push(await probeOf(m, true));
      encoders.push(entryOf({
        id: `${size}/${kind}`,
        study: "lm",
        kind,
        label: `${ARM_LABEL[kind]}, ${size}`,
        size,
        seeds: p.lmSweep.seeds,
        models: ms.map((m) => m.key.slice(0, 16)),
        probes,
      }));
    }
  }
  log(`probes: encoder-size sweep (${p.encoderSweep.sizes.join(", ")})`);
  const vqa = new Map<string, VqaResult[]>();
  const encoderEntries: EncoderSweepEntry[] = [];
  for (const size of p.encoderSweep.sizes) {
    const runs: SweepModels[] = [];
    for (const seed of p.encoderSweep.seeds) {
      runs.push(await sweepModels("encoder", size, seed, sweepCtx));
    }
    for (const arm of ["sft", "dpo"] as const) {
      const results: VqaResult[] = [];
      for (const r of runs) {
        const e = await runDef(vqaStage(r[arm], api.loadMLLM, world, {
          name: "vqa-test",
          splits: groupSplits("test"),
          batch: plan.vqa.batch,
          maxNew: plan.vqa.maxNew,
          perSplit: plan.vqa.testPerGroup ?? undefined,
        }) as unknown as StageDef);
        results.push(e.metrics as unknown as VqaResult);
      }
      const id = `${size}/${arm}`;
      vqa.set(id, results);
      const test = {} as EncoderSweepEntry["test"];
      for (const g of GROUPS) test[g] = summarize(results.map((x) => x.byGroup[g]!.accuracy));
      test.visionAverage = summarize(
        results.map((x) => mean(VISION_GROUPS.map((g) => x.byGroup[g]!.accuracy))),
      );
      encoderEntries.push({
        id,
        size,
        arm,
        seeds: p.encoderSweep.seeds,
        models: runs.map((r) => r[arm].key.slice(0, 16)),
        test,
      });
    }
  }

  const partial = {
    preset,
    protocol: p,
    seeds,
    headline: { ...HEADLINE, metric: linearMetric(HEADLINE.label, HEADLINE.view) },
    encoders,
    comparisons: [
      ...mainComparisons(encoders, p),
      ...gradComparisons(gradPerSeed),
      ...dataComparisons(encoders, plan.sizes, p),
      ...lmComparisons(encoders, p),
      ...encoderComparisons(vqa, p),
    ],
    gradMaps: { seeds, perSeed: gradPerSeed, summary: gradSummary(gradPerSeed), sheets },
    dataSweep: { sizes: plan.sizes, seeds: dataSeeds },
    lmSweep: { sizes: p.lmSweep.sizes, seeds: p.lmSweep.seeds },
    encoderSweep: {
      sizes: p.encoderSweep.sizes,
      seeds: p.encoderSweep.seeds,
      entries: encoderEntries,
    },
    computed,
    cached,
    seconds: (performance.now() - started) / 1000,
  };
  log(
    `probes: done in ${partial.seconds.toFixed(1)} s (${
      Object.values(computed).reduce((a, b) => a + b, 0)
    } stages computed, ${Object.values(cached).reduce((a, b) => a + b, 0)} cached)`,
  );
  return { ...partial, report: probesReport(partial) };
}

// ---------------------------------------------------------------------------------------
// Comparisons

/** The metric names every study compares: each label set and view, and the seg scores. */
function metricsOf(p: ProbesProtocol, seg: boolean, views: readonly View[] = VIEWS): string[] {
  const out: string[] = [];
  for (const v of views) {
    for (const l of p.linear.labels) out.push(linearMetric(l, v));
    if (seg) out.push(segMetric("recall", v), segMetric("mIoU", v));
  }
  return out;
}

/** Per seed, the test correctness of a linear metric ("linear fine (vit)"). */
function correctByMetric(e: EncoderEntry, metric: string, seeds: number): Uint8Array[] | null {
  const m = /^linear (\w+) \((\w+)\)$/.exec(metric);
  if (!m) return null;
  const per = e.probes.map((pr) => pr.views[m[2] as View]?.linear[m[1] as LabelKind]);
  if (per.some((x) => !x)) return null;
  const cs = per.map((x) => correctOf(x!));
  // E0 is one encoder shared by every seed: repeated so it pairs with each seed.
  return cs.length === 1 && seeds > 1 ? Array.from({ length: seeds }, () => cs[0]) : cs;
}

/** A − B on one metric: by seed and item for linear probes, by seed for seg scores. */
function compareEntries(
  a: EncoderEntry,
  b: EncoderEntry,
  metric: string,
): ProbeComparison | null {
  if (!(metric in a.scores) || !(metric in b.scores)) return null;
  const id = `${a.id} − ${b.id}`;
  const seeds = Math.max(a.probes.length, b.probes.length);
  const ca = correctByMetric(a, metric, seeds);
  const cb = correctByMetric(b, metric, seeds);
  if (ca && cb) return itemComparison(id, metric, ca, cb);
  const va = a.scores[metric].values;
  const vb = b.scores[metric].values;
  const n = Math.max(va.length, vb.length);
  const rep = (v: number[]) => (v.length === 1 ? Array(n).fill(v[0]) : v);
  return seedComparison(id, metric, rep(va), rep(vb));
}

const strip = (c: ProbeComparison): ProbeComparison => {
  const { stat: _stat, ...rest } = c as ProbeComparison & { stat?: unknown };
  return rest;
};

function mainComparisons(encoders: EncoderEntry[], p: ProbesProtocol): StudyComparison[] {
  const by = (id: string) => encoders.find((e) => e.id === id && e.study === "main")!;
  const pairs: [string, string][] = [
    ["tuned/dpo", "tuned/sft"],
    ["tuned/dpo", "base-1b"],
    ["tuned/sft", "base-1b"],
    ["tuned/unlikelihood", "tuned/sft"],
    ["tuned/dpo", "tuned/unlikelihood"],
    ["base-1b", "e0"],
  ];
  const out: StudyComparison[] = [];
  for (const [a, b] of pairs) {
    for (const metric of metricsOf(p, true)) {
      const c = compareEntries(by(a), by(b), metric);
      if (c) out.push({ ...strip(c), study: "main" });
    }
  }
  return out;
}

function dataComparisons(
  encoders: EncoderEntry[],
  sizes: number[],
  p: ProbesProtocol,
): StudyComparison[] {
  const by = (id: string) => encoders.find((e) => e.id === id && e.study === "data")!;
  const out: StudyComparison[] = [];
  for (const metric of metricsOf(p, p.dataSweep.seg)) {
    for (const size of sizes) {
      const c = compareEntries(by(`size-${size}/dpo`), by(`size-${size}/sft`), metric);
      if (c) out.push({ ...strip(c), study: "data" });
    }
    const first = by(`size-${sizes[0]}/dpo`);
    if (first.seeds.length < 2 || !(metric in first.scores)) continue;
    for (const arm of ["dpo", "sft"] as const) {
      const scores = first.seeds.map((_, s) =>
        sizes.map((n) => by(`size-${n}/${arm}`).scores[metric].values[s])
      );
      const { perSeedSlope: _, ...t } = trendComparison(
        `${arm} trend`,
        metric,
        sizes,
        scores,
      );
      out.push({ ...t, study: "data" });
    }
  }
  return out;
}

function lmComparisons(encoders: EncoderEntry[], p: ProbesProtocol): StudyComparison[] {
  const by = (id: string) => encoders.find((e) => e.id === id && e.study === "lm")!;
  const [small, ...larger] = p.lmSweep.sizes;
  const out: StudyComparison[] = [];
  for (const metric of metricsOf(p, true)) {
    for (const big of larger) {
      for (const arm of ["dpo", "sft", "base-1b"] as const) {
        const c = compareEntries(by(`${big}/${arm}`), by(`${small}/${arm}`), metric);
        if (c) out.push({ ...strip(c), study: "lm" });
      }
    }
    for (const size of p.lmSweep.sizes) {
      const c = compareEntries(by(`${size}/dpo`), by(`${size}/sft`), metric);
      if (c) out.push({ ...strip(c), study: "lm" });
    }
  }
  return out;
}

/** Per seed, the correctness of a group key's test items. */
function vqaCorrect(rs: VqaResult[], g: GroupId | "visionAverage"): number[][] {
  const groups = g === "visionAverage" ? VISION_GROUPS : [g];
  return rs.map((r) => groups.flatMap((x) => correctness(r, `test_${x}`)));
}

function encoderComparisons(
  vqa: Map<string, VqaResult[]>,
  p: ProbesProtocol,
): StudyComparison[] {
  const [small, ...larger] = p.encoderSweep.sizes;
  const keys: (GroupId | "visionAverage")[] = [...GROUPS, "visionAverage"];
  const out: StudyComparison[] = [];
  for (const big of larger) {
    for (const arm of ["dpo", "sft"] as const) {
      const gain = (g: GroupId | "visionAverage") =>
        itemComparison(
          `${big}/${arm} − ${small}/${arm}`,
          `VQA ${g}`,
          vqaCorrect(vqa.get(`${big}/${arm}`)!, g),
          vqaCorrect(vqa.get(`${small}/${arm}`)!, g),
        );
      for (const g of keys) out.push({ ...strip(gain(g)), study: "encoder" });
      out.push({
        ...differenceOf(
          `${big}/${arm} − ${small}/${arm}`,
          "VQA gain: vision avg − knowledge",
          gain("visionAverage"),
          gain("knowledge"),
        ),
        study: "encoder",
      });
    }
  }
  for (const size of p.encoderSweep.sizes) {
    for (const g of keys) {
      out.push({
        ...strip(itemComparison(
          `${size}/dpo − ${size}/sft`,
          `VQA ${g}`,
          vqaCorrect(vqa.get(`${size}/dpo`)!, g),
          vqaCorrect(vqa.get(`${size}/sft`)!, g),
        )),
        study: "encoder",
      });
    }
  }
  return out;
}

/** Per seed, the value of a localisation number on a group (vision average: the mean). */
function gradValues(
  perSeed: GradMapMetrics[],
  point: GradPoint,
  loss: "sft" | "dpo",
  g: GroupId | "visionAverage",
  what: "share" | "pointing" | "chanceShare",
): number[] {
  const one = (m: GradMapMetrics, x: GroupId) => m.localisation[point][loss][x]?.[what] ?? NaN;
  return perSeed.map((m) =>
    g === "visionAverage" ? mean(VISION_GROUPS.map((x) => one(m, x))) : one(m, g)
  );
}

const GRAD_KEYS: (GroupId | "visionAverage")[] = [...GROUPS, "visionAverage"];

function gradSummary(perSeed: GradMapMetrics[]): GradMapSummary[] {
  const out: GradMapSummary[] = [];
  for (const point of ["start", "end"] as const) {
    for (const loss of ["sft", "dpo"] as const) {
      for (const group of GRAD_KEYS) {
        const share = gradValues(perSeed, point, loss, group, "share");
        const pointing = gradValues(perSeed, point, loss, group, "pointing");
        if (![...share, ...pointing].every(Number.isFinite)) continue;
        out.push({
          point,
          loss,
          group,
          share: summarize(share),
          pointing: summarize(pointing),
          chance: mean(gradValues(perSeed, point, loss, group, "chanceShare")),
        });
      }
    }
  }
  return out;
}

function gradComparisons(perSeed: GradMapMetrics[]): StudyComparison[] {
  const out: StudyComparison[] = [];
  for (const point of ["end", "start"] as const) {
    for (const g of GRAD_KEYS) {
      for (const what of ["share", "pointing"] as const) {
        const a = gradValues(perSeed, point, "dpo", g, what);
        const b = gradValues(perSeed, point, "sft", g, what);
        if (![...a, ...b].every(Number.isFinite)) continue;
        out.push({
          ...seedComparison(
            `${point}: dpo − sft`,
            `${what === "share" ? "referent share" : "pointing"} (${g})`,
            a,
            b,
          ),
          study: "gradmaps",
        });
      }
    }
  }
  return out;
}
