/**
 * The PIVOT experiment (issue 7; the paper's F6 and its Table 2), orchestrated from the
 * committed PIVOT protocol (src/protocol/pivot.ts) over the recipe of src/pivot:
 *
 * 1. **evolve** every family the protocol names with SFT ("+SFT") and/or DPO ("+PIVOT") at
 *    the SFT-vs-DPO experiment's selected lrs when handed over (`stage2Lr`), else the
 *    protocol's fallback lrs (the result says which);
 * 2. **Stage 3** for every row and Stage-3 seed: the encoder (E0's, or the evolve run's)
 *    detached and frozen, a fresh projector and a fresh L0, 3a then 3b, then VQA by group;
 *    the ablations on the small encoder: the ViT also trained in 3b (original and +PIVOT),
 *    and +PIVOT with the evolve run's first projector layer;
 * 3. **the table**: per row, accuracy per group over the Stage-3 seeds (mean, 95% interval),
 *    the encoder's parameters, samples and engine-counted FLOPs of its pretraining (E0) and
 *    of PIVOT (the evolve stages, the DPO reference included), and their ratio;
 * 4. **comparisons**, paired by Stage-3 seed and item (src/stats): +SFT − original, +PIVOT −
 *    +SFT (the chain original < +SFT < +PIVOT), +PIVOT − original per family, the small
 *    +PIVOT − the larger original, frozen vs unfrozen (and whether the gain shrinks), reused
 *    vs fresh projector; each with a computed verdict.
 *
 * Every frozen Stage-3 run is checked to leave its encoder bit-identical to its source, and
 * every 3a to start from L0's LM, from the checkpoint files. A `StageInterrupted` propagates.
 * @module
 */

import { groupAccuracy, groupCorrectness, seedList } from "./group_scores.ts";
import type { PretrainResult } from "../train/pretrain.ts";
import type { RunOptions, StageOutput } from "../train/stage.ts";
import type { MLLMStageMetrics, ProjectorStart } from "../train/mllm/mod.ts";
import type { VqaResult } from "../eval/vqa.ts";
import {
  type PairedComparison,
  pairedComparison,
  type SeedSummary,
  summarize,
  type Verdict,
  verdictGreater,
} from "../stats/mod.ts";
import type { Section } from "../report/html.ts";
import { pretrainProtocol } from "../protocol/presets.ts";
import { postTrainProtocol } from "../protocol/posttrain.ts";
import {
  type EncoderId,
  type PivotProtocol,
  pivotProtocol,
  type Variant,
} from "../protocol/pivot.ts";
import {
  evolve,
  type EvolveRun,
  type RecipeContext,
  stage3,
  type Stage3Run,
} from "../pivot/recipe.ts";
import { diffParts, type PartDiff } from "../pivot/weights.ts";
import { GROUP_KEYS, type GroupKey } from "./sft_vs_dpo.ts";
import { pivotReport } from "../report/pivot_views.ts";

/** An encoder counts as moved when its weights changed by more than this (relative L2). */
export const PIVOT_ENCODER_MOVED = 1e-6;

/** One row of the table: an encoder variant in a fresh MLLM, over the Stage-3 seeds. */
export interface PivotRow {
  /** e.g. "vit-s/original", "vit-s/pivot", "vit-s/pivot/unfrozen", "vit-s/pivot/reused". */
  id: string;
  encoder: EncoderId;
  variant: Variant;
  /** Whether the ViT stayed frozen in Stage 3b (the recipe) or trained (the ablation). */
  frozen: boolean;
  projector: ProjectorStart;
  /** An ablation row rather than a row of the paper's Table 2. */
  ablation: boolean;
  label: string;
  /** ViT parameters (every tensor of the encoder). */
  params: number;
  seeds: number[];
  /** Test accuracy per group key across Stage-3 seeds (fractions). */
  test: Record<GroupKey, SeedSummary>;
  /** The encoder's pretraining (its E0 stage). */
  pretraining: { stage: string; samples: number; flops: number };
  /** The evolve stages (null for an original encoder): training samples and FLOPs. */
  pivot: { stages: string[]; samples: number; flops: number } | null;
  /** pivot.flops / pretraining.flops (null for an original encoder). */
  ratio: number | null;
  /** Mean FLOPs of one seed's Stage 3a + 3b. */
  stage3Flops: number;
  /** Relative L2 change of the evolved ViT from E0's (null for an original encoder). */
  encoderShift: number | null;
  stageKeys: string[];
}

/** A − B, paired by Stage-3 seed and item, on one group key. */
export interface PivotComparison {
  /** "chain", "family", "larger", "frozen", "projector". */
  kind: string;
  id: string;
  a: string;
  b: string;
  group: GroupKey;
  stat: PairedComparison;
  verdict: Verdict;
  note: string | null;
}

/** Whether the +PIVOT gain over the original shrinks when the encoder trains in Stage 3. */
export interface GainShrink {
  group: GroupKey;
  /** Per Stage-3 seed: (PIVOT − original, frozen) − (PIVOT − original, unfrozen). */
  perSeed: number[];
  summary: SeedSummary;
  verdict: Verdict;
  note: string | null;
}

/** One training stage of the experiment (evolve or Stage 3) with its checks. */
export interface PivotStageRecord {
  name: string;
  key: string;
  role: "evolve" | "stage3";
  encoder: EncoderId;
  /** Evolve: the arm's variant ("sft" / "pivot", "base" for 1a / 1b). Stage 3: the row id. */
  what: string;
  seed: number;
  cached: boolean;
  seconds: number;
  flops: number;
  samples: number;
  firstLoss: number | null;
  finalLoss: number | null;
  lossFell: boolean | null;
  /** Relative L2 change of the ViT during the stage. */
  encoderMovement: number | null;
  /** 3b: the ViT after Stage 3 vs the encoder's source checkpoint. */
  encoderVsSource?: PartDiff;
  /** 3a: the LM vs L0's checkpoint. */
  lmVsL0?: PartDiff;
}

/** Everything the experiment measured, with its protocol. */
export interface PivotResult {
  preset: string;
  protocol: PivotProtocol;
  seeds: number[];
  /** Stage-2 lrs of the evolve runs and where they came from. */
  lr: { sft: number; dpo: number; source: string };
  rows: PivotRow[];
  comparisons: PivotComparison[];
  /** original < +SFT < +PIVOT on the average: both links hold (or which does not). */
  chain: { group: GroupKey; verdict: Verdict; note: string };
  gainShrink: GainShrink | null;
  stages: PivotStageRecord[];
  allLossesFell: boolean;
  /** Every frozen Stage-3 run left its encoder bit-identical to its source. */
  frozenEncodersIdentical: boolean;
  /** Every Stage 3a started from L0's LM bit for bit. */
  lmsFromL0: boolean;
  seconds: number;
  report: { sections: Section[] };
}

/** Options of `runPivot`. */
export interface PivotOptions {
  out: string;
  force?: string[];
  /** Stage-3 seeds: the protocol's first N (extended by consecutive integers). */
  seeds?: number;
  log?: (line: string) => void;
  /**
   * The SFT-vs-DPO experiment's selected Stage-2 lrs (`results.sftVsDpo.lr.tuned`), with
   * where they were read from when not from this run.
   */
  stage2Lr?: { sft: number; dpo: number; source?: string };
}

const VARIANT_NAMES: Record<Variant, string> = {
  original: "original",
  sft: "+SFT",
  pivot: "+PIVOT",
};

const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

/** What a row's Stage-3 runs need: encoder, variant, frozen, projector. */
interface RowSpec {
  encoder: EncoderId;
  variant: Variant;
  frozen: boolean;
  projector: ProjectorStart;
  ablation: boolean;
}

function rowId(r: RowSpec): string {
  const suffix = !r.frozen ? "/unfrozen" : r.projector === "reuse-first-layer" ? "/reused" : "";
  return `${r.encoder}/${r.variant}${suffix}`;
}

function rowLabel(r: RowSpec): string {
  const base = `${r.encoder} ${VARIANT_NAMES[r.variant]}`;
  if (!r.frozen) return `${base}, encoder trained in Stage 3`;
  if (r.projector === "reuse-first-layer") return `${base}, evolve run's projector layer 1`;
  return base;
}

/** The rows of a protocol: the table's, then the ablations. */
export function pivotRows(p: PivotProtocol): RowSpec[] {
  const rows: RowSpec[] = p.rows.flatMap((f) =>
    f.variants.map((variant) => ({
      encoder: f.encoder,
      variant,
      frozen: true,
      projector: "fresh" as const,
      ablation: false,
    }))
  );
  for (const variant of p.ablations.unfrozen) {
    rows.push({ encoder: p.small, variant, frozen: false, projector: "fresh", ablation: true });
  }
  if (p.ablations.reusedProjector) {
    rows.push({
      encoder: p.small,
      variant: "pivot",
      frozen: true,
      projector: "reuse-first-layer",
      ablation: true,
    });
  }
  return rows;
}

/** Runs (or loads) the whole PIVOT experiment of a preset. */
export async function runPivot(
  pretrain: PretrainResult,
  preset: string,
  opts: PivotOptions,
): Promise<PivotResult> {
  const started = performance.now();
  const log = opts.log ?? ((line: string) => console.error(line));
  if (pretrain.e0Pending) throw new Error(`pivot: pretraining incomplete: ${pretrain.e0Pending}`);
  const protocol = pivotProtocol(preset);
  const pre = pretrainProtocol(preset);
  const seeds = seedList(protocol.seeds, opts.seeds);
  const run: RunOptions = { out: opts.out, force: opts.force, log };
  const find = (outs: StageOutput[], name: string) => {
    const o = outs.find((x) => x.name === name);
    if (!o) throw new Error(`pivot: pretraining produced no ${name} stage`);
    return o;
  };
  const l0 = find(pretrain.l0, `l0-${evolveLm(preset)}`);
  const ctx: RecipeContext = {
    preset,
    world: pretrain.world,
    pre,
    pivot: protocol,
    e0: (encoder) => find(pretrain.e0, `e0-${encoder}`),
    l0,
    run,
  };
  const lr = opts.stage2Lr
    ? {
      sft: opts.stage2Lr.sft,
      dpo: opts.stage2Lr.dpo,
      source: opts.stage2Lr.source ?? "the SFT-vs-DPO experiment's selected lrs (validation)",
    }
    : {
      sft: protocol.fallbackLr.sft,
      dpo: protocol.fallbackLr.dpo,
      source: `protocol fallback: ${protocol.fallbackLr.rule}`,
    };
  log(`pivot: Stage-2 lr SFT ${lr.sft}, DPO ${lr.dpo} (${lr.source})`);

  const stages: PivotStageRecord[] = [];
  const seen = new Set<string>();
  const record = (
    o: StageOutput,
    role: PivotStageRecord["role"],
    encoder: EncoderId,
    what: string,
    seed: number,
    extra: Partial<PivotStageRecord> = {},
  ) => {
    if (seen.has(o.key)) return;
    seen.add(o.key);
    const m = o.metrics as Partial<MLLMStageMetrics> & Record<string, unknown>;
    const first = num(m.firstLoss);
    const last = num(m.finalLoss);
    stages.push({
      name: o.name,
      key: o.key.slice(0, 16),
      role,
      encoder,
      what,
      seed,
      cached: o.cached,
      seconds: o.seconds,
      flops: num(m.flops) ?? 0,
      samples: num(m.samples) ?? 0,
      firstLoss: first,
      finalLoss: last,
      lossFell: first !== null && last !== null ? last < first : null,
      encoderMovement: num(m.encoderMovement?.weights),
      ...extra,
    });
  };

  // 1. Evolve every family that has an evolved variant.
  const evolved = new Map<string, EvolveRun>();
  for (const f of protocol.rows) {
    for (const variant of f.variants.filter((v) => v !== "original")) {
      const arm = variant === "sft" ? "sft" : "dpo";
      const e = await evolve(ctx, f.encoder, arm, lr[arm]);
      evolved.set(`${f.encoder}/${variant}`, e);
      record(e.s1a, "evolve", f.encoder, "base", protocol.evolveSeed);
      record(e.s1b, "evolve", f.encoder, "base", protocol.evolveSeed);
      if (e.reference) {
        const rm = e.reference.metrics;
        stages.push({
          name: e.reference.name,
          key: e.reference.key.slice(0, 16),
          role: "evolve",
          encoder: f.encoder,
          what: variant,
          seed: protocol.evolveSeed,
          cached: e.reference.cached,
          seconds: e.reference.seconds,
          flops: rm.flops,
          samples: 0,
          firstLoss: null,
          finalLoss: null,
          lossFell: null,
          encoderMovement: null,
        });
      }
      record(e.stage2, "evolve", f.encoder, variant, protocol.evolveSeed);
    }
  }
  const evolveOf = (encoder: EncoderId, variant: Variant): EvolveRun => {
    const e = evolved.get(`${encoder}/${variant}`);
    if (!e) {
      throw new Error(`pivot: the protocol runs ${encoder} ${variant} only as an ablation`);
    }
    return e;
  };

  // 2. Stage 3 for every row and seed.
  const rows: PivotRow[] = [];
  const results = new Map<string, Map<number, VqaResult>>();
  for (const spec of pivotRows(protocol)) {
    const id = rowId(spec);
    const e0 = ctx.e0(spec.encoder);
    const e = spec.variant === "original" ? null : evolveOf(spec.encoder, spec.variant);
    const source = e ? e.stage2 : e0;
    const perSeed = new Map<number, VqaResult>();
    const keys: string[] = [];
    let s3Flops = 0;
    let params = 0;
    for (const seed of seeds) {
      const r: Stage3Run = await stage3(ctx, {
        encoder: spec.encoder,
        source,
        projector: spec.projector,
        frozen: spec.frozen,
        seed,
      });
      const vsSource = await diffParts(
        { dir: source.checkpointDir, prefix: "vit." },
        { dir: r.s3b.checkpointDir, prefix: "vit." },
      );
      const vsL0 = await diffParts(
        { dir: l0.checkpointDir, prefix: "" },
        { dir: r.s3a.checkpointDir, prefix: "lm." },
      );
      params = vsSource.params;
      record(r.s3a, "stage3", spec.encoder, id, seed, { lmVsL0: vsL0 });
      record(r.s3b, "stage3", spec.encoder, id, seed, { encoderVsSource: vsSource });
      perSeed.set(seed, r.vqa.metrics);
      keys.push(r.s3a.key.slice(0, 16), r.s3b.key.slice(0, 16), r.vqa.key.slice(0, 16));
      s3Flops += (r.s3a.metrics.flops ?? 0) + (r.s3b.metrics.flops ?? 0);
    }
    results.set(id, perSeed);
    const test = {} as Record<GroupKey, SeedSummary>;
    for (const g of GROUP_KEYS) {
      test[g] = summarize(seeds.map((s) => groupAccuracy(perSeed.get(s)!, g)));
    }
    const e0m = e0.metrics as Record<string, unknown>;
    const pretraining = {
      stage: e0.name,
      samples: num(e0m.samples) ?? 0,
      flops: num(e0m.flops) ?? 0,
    };
    const evolveStages = e ? [e.s1a, e.s1b, ...(e.reference ? [e.reference] : []), e.stage2] : [];
    const pivot = e
      ? {
        stages: evolveStages.map((o) => `${o.name} [${o.key.slice(0, 16)}]`),
        samples: evolveStages.reduce((s, o) => s + (num(o.metrics.samples) ?? 0), 0),
        flops: evolveStages.reduce((s, o) => s + (num(o.metrics.flops) ?? 0), 0),
      }
      : null;
    const shift = e
      ? (await diffParts(
        { dir: e0.checkpointDir, prefix: "vit." },
        { dir: e.stage2.checkpointDir, prefix: "vit." },
      )).relative
      : null;
    rows.push({
      id,
      ...spec,
      label: rowLabel(spec),
      params,
      seeds,
      test,
      pretraining,
      pivot,
      ratio: pivot && pretraining.flops > 0 ? pivot.flops / pretraining.flops : null,
      stage3Flops: s3Flops / seeds.length,
      encoderShift: shift,
      stageKeys: keys,
    });
    log(
      `pivot: ${rowLabel(spec)}: average ${(100 * test.overall.mean).toFixed(1)}% ` +
        `over ${seeds.length} Stage-3 seeds`,
    );
  }

  // 3. Comparisons.
  const byId = new Map(rows.map((r) => [r.id, r]));
  const comparisons: PivotComparison[] = [];
  const compare = (kind: string, a: string, b: string, groups: readonly GroupKey[]) => {
    const ra = results.get(a);
    const rb = results.get(b);
    if (!ra || !rb) return;
    for (const g of groups) {
      const stat = pairedComparison(
        seeds.map((s) => groupCorrectness(ra.get(s)!, g)),
        seeds.map((s) => groupCorrectness(rb.get(s)!, g)),
      );
      const guard = boundGuard(byId.get(a)!, byId.get(b)!, g) ??
        stillGuard(byId.get(a)!, byId.get(b)!);
      comparisons.push({
        kind,
        id: `${a} − ${b}`,
        a,
        b,
        group: g,
        stat,
        verdict: guard ? "inconclusive" : stat.verdict,
        note: guard ? `${guard} (the interval alone gives “${stat.verdict}”)` : null,
      });
    }
  };
  const s = protocol.small;
  compare("chain", `${s}/sft`, `${s}/original`, GROUP_KEYS);
  compare("chain", `${s}/pivot`, `${s}/sft`, GROUP_KEYS);
  for (const f of protocol.rows) {
    if (f.variants.includes("pivot")) {
      compare("family", `${f.encoder}/pivot`, `${f.encoder}/original`, [
        "visionAverage",
        "overall",
      ]);
    }
  }
  if (protocol.larger) {
    compare("larger", `${s}/pivot`, `${protocol.larger}/original`, ["visionAverage", "overall"]);
  }
  compare("frozen", `${s}/pivot/unfrozen`, `${s}/original/unfrozen`, ["visionAverage", "overall"]);
  compare("frozen", `${s}/pivot`, `${s}/pivot/unfrozen`, ["visionAverage", "overall"]);
  compare("projector", `${s}/pivot/reused`, `${s}/pivot`, ["visionAverage", "overall"]);

  const chain = chainVerdict(comparisons, "overall");
  const gainShrink = shrink(results, s, seeds, "overall");
  const frozen3b = stages.filter((x) =>
    x.name === "mllm-3b" && x.encoderVsSource && rowFrozen(x.what)
  );
  const result: Omit<PivotResult, "report"> = {
    preset,
    protocol,
    seeds,
    lr,
    rows,
    comparisons,
    chain,
    gainShrink,
    stages,
    allLossesFell: stages.every((x) => x.lossFell !== false),
    frozenEncodersIdentical: frozen3b.every((x) => x.encoderVsSource!.identical),
    lmsFromL0: stages.filter((x) => x.lmVsL0).every((x) => x.lmVsL0!.identical),
    seconds: (performance.now() - started) / 1000,
  };
  return { ...result, report: pivotReport(result) };
}

/** The LM of the evolve runs and of Stage 3 (the post-training protocol's). */
function evolveLm(preset: string): string {
  return postTrainProtocol(preset).lm;
}

function rowFrozen(id: string): boolean {
  return !id.endsWith("/unfrozen");
}

/**
 * Both rows at 0% (or both at 100%) on the group in every seed: their difference is exactly 0
 * and says nothing about either.
 */
function boundGuard(a: PivotRow, b: PivotRow, g: GroupKey): string | null {
  const x = a.test[g];
  const y = b.test[g];
  if (x.max === 0 && y.max === 0) return "both rows score 0% here";
  if (x.min === 1 && y.min === 1) return "both rows score 100% here";
  return null;
}

/** An evolved encoder that did not move from E0's is the original: no claim about evolving. */
function stillGuard(a: PivotRow, b: PivotRow): string | null {
  const still = [a, b].filter((r) =>
    r.encoderShift !== null && r.encoderShift <= PIVOT_ENCODER_MOVED
  );
  return still.length
    ? `the evolved encoder of ${still.map((r) => r.id).join(", ")} did not move from E0's`
    : null;
}

/** original < +SFT < +PIVOT: holds iff both links hold; does not hold iff one does not. */
function chainVerdict(
  comparisons: PivotComparison[],
  group: GroupKey,
): PivotResult["chain"] {
  const links = comparisons.filter((c) => c.kind === "chain" && c.group === group);
  if (links.length < 2) {
    return { group, verdict: "inconclusive", note: "the protocol has no +SFT / +PIVOT pair" };
  }
  const verdict: Verdict = links.some((c) => c.verdict === "does not hold")
    ? "does not hold"
    : links.every((c) => c.verdict === "holds")
    ? "holds"
    : "inconclusive";
  const note = links.map((c) => `${c.id}: ${c.verdict}`).join("; ");
  return { group, verdict, note };
}

/**
 * The gain of +PIVOT over the original with a frozen Stage 3 minus the same gain when the
 * encoder trains in Stage 3, per Stage-3 seed; "shrinks" holds iff its 95% t-interval over
 * seeds lies above 0 (each seed's four rows share the seed's projector init and data order).
 */
function shrink(
  results: Map<string, Map<number, VqaResult>>,
  small: EncoderId,
  seeds: number[],
  group: GroupKey,
): GainShrink | null {
  const ids = [
    `${small}/pivot`,
    `${small}/original`,
    `${small}/pivot/unfrozen`,
    `${small}/original/unfrozen`,
  ];
  const rs = ids.map((id) => results.get(id));
  if (rs.some((r) => !r) || seeds.length < 2) return null;
  const acc = (k: number, s: number) => groupAccuracy(rs[k]!.get(s)!, group);
  const perSeed = seeds.map((s) => (acc(0, s) - acc(1, s)) - (acc(2, s) - acc(3, s)));
  const summary = summarize(perSeed);
  const allSame = perSeed.every((x) => x === 0);
  return {
    group,
    perSeed,
    summary,
    verdict: allSame ? "inconclusive" : verdictGreater(summary.ci95!),
    note: allSame ? "the four rows score alike in every seed: no difference to judge" : null,
  };
}
