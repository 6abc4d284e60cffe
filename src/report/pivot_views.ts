/**
 * Tables and figures of the PIVOT experiment (src/experiments/pivot.ts), for report.html and
 * the notebooks: the paper's Table 2 mirrored (rows, groups, average, samples, FLOPs), the
 * accuracy bars with 95% intervals, the compute ratio, the paired comparisons with their
 * verdicts, the ablations and every stage's checks. Nothing here computes a result.
 * @module
 */

import type { Interval, SeedSummary } from "../stats/mod.ts";
import { GROUPS } from "../world/items.ts";
import { GROUP_NAMES } from "../eval/vqa.ts";
import { join } from "node:path";
import type { Block, Section } from "./html.ts";
import type { Figure, Series } from "./figures.ts";
import type { PivotRow } from "../experiments/pivot.ts";
import { formatPivotDiff, pivotClaims, pivotOf, type PivotRecord } from "./pivot_claims.ts";

export { formatPivotDiff, pivotOf, type PivotRecord };

const pct = (x: number) => (100 * x).toFixed(1);
const signed = (x: number) => `${x >= 0 ? "+" : "−"}${Math.abs(100 * x).toFixed(1)}`;
const ci = (c: Interval | null) => (c ? `[${pct(c[0])}, ${pct(c[1])}]` : "n/a");

/** "41.3 [38.0, 44.6]": mean and 95% interval over Stage-3 seeds, in percent. */
export function formatCell(s: SeedSummary): string {
  return s.ci95 ? `${pct(s.mean)} ${ci(s.ci95)}` : `${pct(s.mean)} (1 seed)`;
}

/** FLOPs in GFLOP: thousands separated, or 3 significant digits below 1,000. */
export function gflop(flops: number): string {
  const g = flops / 1e9;
  return g >= 1000 ? `${Math.round(g).toLocaleString("en-US")}` : g.toPrecision(3);
}

function ratioText(r: PivotRow): string {
  return r.ratio === null ? "–" : `${(100 * r.ratio).toFixed(r.ratio < 0.01 ? 3 : 1)}%`;
}

/** The paper's names of the variants. */
const VARIANT_LABELS: Record<string, string> = {
  original: "original",
  sft: "+SFT",
  pivot: "+PIVOT",
};

/** The paper's Table 2 mirrored: one row per encoder variant (ablations after). */
export function pivotTable(r: PivotRecord): Block {
  return {
    kind: "table",
    columns: [
      "encoder",
      "variant",
      "Stage 3",
      "ViT params",
      ...GROUPS.map((g) => GROUP_NAMES[g]),
      "Strongly vision avg",
      "Average",
      "pretraining samples",
      "pretraining GFLOP",
      "PIVOT samples",
      "PIVOT GFLOP",
      "PIVOT / pretraining",
    ],
    rows: r.rows.map((row) => [
      row.encoder,
      `${VARIANT_LABELS[row.variant]}${row.ablation ? " (ablation)" : ""}`,
      `${row.frozen ? "frozen" : "trained"}, ${row.projector === "fresh" ? "fresh" : "reused"} ` +
      "projector",
      row.params.toLocaleString("en-US"),
      ...GROUPS.map((g) => formatCell(row.test[g])),
      formatCell(row.test.visionAverage),
      formatCell(row.test.overall),
      row.pretraining.samples.toLocaleString("en-US"),
      gflop(row.pretraining.flops),
      row.pivot ? row.pivot.samples.toLocaleString("en-US") : "–",
      row.pivot ? gflop(row.pivot.flops) : "–",
      ratioText(row),
    ]),
    caption: `Test accuracy (%) of a fresh MLLM (fresh projector, fresh L0) on each encoder: ` +
      `mean [95% t-interval] over ${r.seeds.length} Stage-3 seeds (${r.seeds.join(", ")}); ` +
      `Average = mean of the four groups (the paper averages its 16 benchmarks). ` +
      "Samples and FLOPs are engine-counted: pretraining = the encoder's E0 stage, PIVOT = " +
      "its evolve stages (1a, 1b, the DPO reference, Stage 2). Stage-2 lr: " +
      `SFT ${r.lr.sft}, DPO ${r.lr.dpo} (${r.lr.source}).`,
  };
}

/** Paired comparisons: A − B per group with interval and verdict. */
export function pivotComparisonTable(r: PivotRecord): Block {
  return {
    kind: "table",
    columns: ["kind", "A − B", "group", "Δ points [95%]", "seeds × items", "verdict", "note"],
    rows: r.comparisons.map((c) => [
      c.kind,
      c.id,
      c.group === "overall"
        ? "Average"
        : c.group === "visionAverage"
        ? "Strongly vision avg"
        : GROUP_NAMES[c.group],
      formatPivotDiff(c.stat),
      `${c.stat.seeds} × ${c.stat.items}`,
      c.verdict,
      c.note,
    ]),
    caption: "Paired by Stage-3 seed and item (src/stats/paired.ts); verdict of “A > B”: holds " +
      "if the whole 95% interval is above 0, does not hold if none of it is, else inconclusive.",
  };
}

/** The ablations in words: the gain with a frozen vs a trained encoder, reused projector. */
export function pivotAblationText(r: PivotRecord): Block {
  const g = r.gainShrink;
  const parts = [
    `Chain original < +SFT < +PIVOT (Average): ${r.chain.verdict} (${r.chain.note}).`,
    g
      ? `Gain of +PIVOT over the original, frozen minus trained encoder in Stage 3, per seed: ` +
        `${g.perSeed.map(signed).join(", ")} points; mean ${signed(g.summary.mean)} ` +
        `${ci(g.summary.ci95)} → “the gain shrinks when the encoder trains”: ${g.verdict}` +
        `${g.note ? ` (${g.note})` : ""}.`
      : "The frozen-vs-trained ablation did not run (fewer than two seeds or rows missing).",
    `Every frozen Stage 3 left its encoder bit-identical: ${
      r.frozenEncodersIdentical ? "yes" : "NO"
    }; ` +
    `every Stage 3a started from L0's LM: ${r.lmsFromL0 ? "yes" : "NO"}; every training stage ` +
    `lowered its loss: ${r.allLossesFell ? "yes" : "no"}.`,
  ];
  return { kind: "text", text: parts.join("\n\n") };
}

function errorOf(s: SeedSummary) {
  return s.ci95
    ? { minus: 100 * (s.mean - s.ci95[0]), plus: 100 * (s.ci95[1] - s.mean) }
    : { minus: 0, plus: 0 };
}

/** A row's name short enough for a chart axis (the tables carry the full label). */
function shortLabel(row: PivotRow): string {
  const base = `${row.encoder} ${VARIANT_LABELS[row.variant]}`;
  if (!row.frozen) return `${base}, ViT trained`;
  return row.projector === "fresh" ? base : `${base}, reused proj.`;
}

/** Figures: accuracy per row (Average and strongly-vision average, 95% intervals). */
export function pivotFigures(r: PivotRecord): Figure[] {
  const xs = r.rows.map(shortLabel);
  const series = (name: string, pick: (row: PivotRow) => SeedSummary): Series => {
    const ss = r.rows.map(pick);
    const e = ss.map(errorOf);
    return {
      name,
      x: xs,
      y: ss.map((s) => 100 * s.mean),
      error: { minus: e.map((v) => v.minus), plus: e.map((v) => v.plus) },
    };
  };
  const evolved = r.rows.filter((row) => row.ratio !== null);
  const figs: Figure[] = [{
    kind: "bar",
    title: `PIVOT: a fresh MLLM on each encoder (95% intervals over ${r.seeds.length} seeds)`,
    yLabel: "test accuracy (%)",
    series: [
      series("Average", (row) => row.test.overall),
      series("Strongly vision avg", (row) => row.test.visionAverage),
    ],
    width: 900,
  }];
  if (evolved.length > 0) {
    figs.push({
      kind: "bar",
      title: "Compute: PIVOT's FLOPs as a share of the encoder's pretraining FLOPs",
      yLabel: "PIVOT / pretraining (%)",
      series: [{
        name: "PIVOT / pretraining",
        x: evolved.map(shortLabel),
        y: evolved.map((row) => 100 * row.ratio!),
      }],
    });
  }
  return figs;
}

/** Every training stage: seconds, FLOPs, loss first → last, and the weight checks. */
export function pivotStageTable(r: PivotRecord): Block {
  return {
    kind: "table",
    columns: [
      "stage",
      "role",
      "encoder",
      "what",
      "seed",
      "cached",
      "seconds",
      "GFLOP",
      "loss first → last",
      "fell",
      "check",
    ],
    rows: r.stages.map((s) => [
      s.name,
      s.role,
      s.encoder,
      s.what,
      s.seed,
      s.cached ? "yes" : "",
      s.seconds.toFixed(1),
      gflop(s.flops),
      s.firstLoss === null ? "–" : `${s.firstLoss.toFixed(3)} → ${s.finalLoss!.toFixed(3)}`,
      s.lossFell === null ? "–" : s.lossFell ? "yes" : "no",
      s.encoderVsSource
        ? `ViT vs source: ${
          s.encoderVsSource.identical ? "identical" : s.encoderVsSource.relative.toExponential(2)
        }`
        : s.lmVsL0
        ? `LM vs L0: ${s.lmVsL0.identical ? "identical" : s.lmVsL0.relative.toExponential(2)}`
        : "",
    ]),
    caption: "Evolve stages are the post-training stages (shared with the SFT-vs-DPO " +
      "experiment where their keys match; “cached” = loaded). Seconds as measured when run.",
  };
}

/** The report sections of the experiment. */
export function pivotReport(r: PivotRecord): { sections: Section[] } {
  return {
    sections: [{
      title: "PIVOT: claims",
      blocks: [{ kind: "claims", claims: pivotClaims(r) }],
    }, {
      title: "PIVOT: the table (the paper's Table 2)",
      blocks: [
        pivotTable(r),
        ...pivotFigures(r).map((figure) => ({ kind: "figure" as const, figure })),
      ],
    }, {
      title: "PIVOT: comparisons and ablations",
      blocks: [pivotAblationText(r), pivotComparisonTable(r)],
    }, {
      title: "PIVOT: stages",
      blocks: [pivotStageTable(r)],
    }],
  };
}

/** The PIVOT record of the `reproduce` run in `dir` (its results.json), or null. */
export async function loadPivotRun(dir: string | undefined): Promise<PivotRecord | null> {
  if (!dir) return null;
  try {
    return pivotOf(JSON.parse(await Deno.readTextFile(join(dir, "results.json"))));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}
