/**
 * Tables and figures of the encoder analyses (src/experiments/probes.ts), mirroring the
 * paper's Figs. 2–8: VQA by group vs encoder size (Fig. 2), DPO vs SFT vs LM size (Fig. 3),
 * probe accuracy vs post-training data size (Fig. 4), the linear probe of the detached
 * encoders (Fig. 5), the segmentation probe (Fig. 6), gradient maps (Fig. 7, measured here)
 * and probes vs LM size (Fig. 8). Every number carries its seeds and 95% interval; every
 * comparison its computed verdict. Reads a `ProbesResult` or its results.json record.
 * @module
 */

import { Buffer } from "node:buffer";
import type { Block, Section } from "./html.ts";
import type { Figure, Series } from "./figures.ts";
import type {
  EncoderEntry,
  EncoderSweepEntry,
  GradMapSummary,
  ProbesResult,
  StudyComparison,
} from "../experiments/probes.ts";
import type { Interval, SeedSummary } from "../stats/mod.ts";

/** The fields of a probes result the views read (results.json holds them). */
export type ProbesRecord = Omit<ProbesResult, "report"> & { report?: unknown };

const pct = (x: number) => (100 * x).toFixed(1);
const signed = (x: number) => `${x >= 0 ? "+" : "−"}${Math.abs(100 * x).toFixed(1)}`;
const ci = (c: Interval | null) => (c ? `[${pct(c[0])}, ${pct(c[1])}]` : "no interval");

/** "41.3 ± 2.1 [38.0, 44.6]" (percent; mean ± sd [95% interval]). */
export function formatScore(s: SeedSummary | undefined): string {
  if (!s) return "–";
  return s.sd === null
    ? `${pct(s.mean)} (${s.n === 1 ? "1 value" : `${s.n} values`})`
    : `${pct(s.mean)} ± ${pct(s.sd)} ${ci(s.ci95)}`;
}

/** "+3.1 [1.2, 5.0]" in points. */
export function formatComparison(c: StudyComparison): string {
  return c.ci95
    ? `${signed(c.diff)} [${signed(c.ci95[0])}, ${signed(c.ci95[1])}]`
    : `${signed(c.diff)} (no interval)`;
}

function errorOf(s: SeedSummary): { minus: number; plus: number } {
  return s.ci95
    ? { minus: 100 * (s.mean - s.ci95[0]), plus: 100 * (s.ci95[1] - s.mean) }
    : { minus: 0, plus: 0 };
}

function seriesOf(name: string, x: (string | number)[], ss: SeedSummary[]): Series {
  const e = ss.map(errorOf);
  return {
    name,
    x,
    y: ss.map((s) => 100 * s.mean),
    error: { minus: e.map((v) => v.minus), plus: e.map((v) => v.plus) },
  };
}

/** The metric names present in some entries, in first-seen order. */
function metricNames(entries: EncoderEntry[], prefix: string): string[] {
  const seen: string[] = [];
  for (const e of entries) {
    for (const k of Object.keys(e.scores)) {
      if (k.startsWith(prefix) && !seen.includes(k)) seen.push(k);
    }
  }
  return seen;
}

function scoreTable(entries: EncoderEntry[], metrics: string[], caption: string): Block {
  return {
    kind: "table",
    columns: ["encoder", "seeds", ...metrics],
    rows: entries.map((e) => [
      e.label,
      e.kind === "e0" ? "–" : e.seeds.join(", "),
      ...metrics.map((m) => formatScore(e.scores[m])),
    ]),
    caption,
  };
}

/** The comparisons of one study as a table. */
export function comparisonsTable(cs: StudyComparison[], caption: string): Block {
  return {
    kind: "table",
    columns: ["A − B", "metric", "Δ points [95%]", "seeds × items", "method", "verdict", "note"],
    rows: cs.map((c) => [
      c.id,
      c.metric,
      formatComparison(c),
      c.items === null ? `${c.seeds}` : `${c.seeds} × ${c.items}`,
      c.method,
      c.verdict,
      c.note,
    ]),
    caption: caption + " Verdict of “A > B”: holds if the whole 95% interval is above 0, " +
      "does not hold if none of it is, else inconclusive.",
  };
}

function mainSection(r: ProbesRecord): Section {
  const main = r.encoders.filter((e) => e.study === "main");
  const linear = metricNames(main, "linear ");
  const seg = metricNames(main, "seg ");
  const head = r.headline.metric;
  const kinds = main.filter((e) => e.kind !== "e0");
  const figs: Figure[] = [{
    kind: "bar",
    title: `Linear probe of the detached encoder (${head}), 95% intervals across seeds`,
    yLabel: "test top-1 (%)",
    series: [seriesOf("top-1", main.map((e) => e.label), main.map((e) => e.scores[head]))],
    references: main[0]?.probes[0]?.views.vit?.linear.fine
      ? [{ y: 100 * main[0].probes[0].views.vit!.linear.fine!.majority, label: "majority class" }]
      : undefined,
  }, {
    kind: "bar",
    title: "Linear probe by label set (ViT alone)",
    yLabel: "test top-1 (%)",
    series: kinds.map((e) =>
      seriesOf(
        e.label,
        linear.filter((m) => m.endsWith("(vit)")),
        linear.filter((m) => m.endsWith("(vit)")).map((m) => e.scores[m]),
      )
    ),
  }];
  const segVit = seg.filter((m) => m.endsWith("(vit)"));
  const withSeg = main.filter((e) => segVit.every((m) => m in e.scores));
  if (segVit.length > 0 && withSeg.length > 0) {
    figs.push({
      kind: "bar",
      title: "Patch-segmentation probe of the ViT (frozen): macro recall and mIoU",
      yLabel: "%",
      series: withSeg.map((e) => seriesOf(e.label, segVit, segVit.map((m) => e.scores[m]))),
    });
  }
  const cs = r.comparisons.filter((c) => c.study === "main");
  return {
    title: "Encoder analyses: linear and segmentation probes (Figs. 5–6)",
    blocks: [
      {
        kind: "text",
        text: `Encoders of the SFT-vs-DPO runs (${r.seeds.length} seeds: ${r.seeds.join(", ")}), ` +
          "detached and frozen. Linear probe: mean-pooled, L2-normalised tokens, multinomial " +
          "logistic regression with an L2 sweep whose strength is chosen on a validation part " +
          "of the training images (never the test images); top-1 on the test images. " +
          "Segmentation probe: a 2-layer MLP per patch token, multi-label BCE, over " +
          `${r.protocol.seg.seeds.length} probe seeds (each encoder seed's value is their mean). ` +
          `Headline: ${head}.`,
      },
      scoreTable(
        main,
        linear,
        "Linear-probe test top-1 (%): mean ± sd across seeds [95% t-interval].",
      ),
      ...(seg.length
        ? [scoreTable(
          main.filter((e) => seg.some((m) => m in e.scores)),
          seg,
          "Segmentation probe (%): macro recall (the paper's metric) and mIoU.",
        )]
        : []),
      ...figs.map((figure) => ({ kind: "figure" as const, figure })),
      comparisonsTable(
        cs,
        "Linear probes paired by seed and test item (src/stats/paired.ts); segmentation " +
          "scores paired by seed (t-interval of the per-seed differences).",
      ),
    ],
  };
}

function gradSection(r: ProbesRecord): Section {
  const s = r.gradMaps.summary;
  const find = (point: string, loss: string, g: string) =>
    s.find((x) => x.point === point && x.loss === loss && x.group === g);
  const groups = [...new Set(s.map((x) => x.group))];
  const end = (["sft", "dpo"] as const).map((loss) =>
    seriesOf(
      loss === "sft" ? "SFT model, SFT loss" : "DPO model, DPO loss",
      groups,
      groups.map((g) => find("end", loss, g)?.share ?? zero),
    )
  );
  const chance: Series = {
    name: "chance (referent's share of patches)",
    x: groups,
    y: groups.map((g) => 100 * (find("end", "dpo", g)?.chance ?? 0)),
  };
  const blocks: Block[] = [{
    kind: "text",
    text: "Gradient of the loss w.r.t. the visual tokens at the projector output, L1 over " +
      "channels, per patch. Start: the Stage-1b base with each loss (DPO's reference = the base " +
      "itself, as at its first step). End: each arm's final model with its own loss (DPO's " +
      "reference = the frozen 1b base). Referent share = gradient mass on the patches of the " +
      "question's referent objects; pointing = the largest patch lies on them. " +
      `${r.protocol.gradMaps.itemsPerGroup} items per group, ${r.gradMaps.seeds.length} seeds.`,
  }, {
    kind: "table",
    columns: ["point", "loss", "group", "referent share (%)", "pointing (%)", "chance (%)"],
    rows: s.map((x: GradMapSummary) => [
      x.point,
      x.loss,
      x.group,
      formatScore(x.share),
      formatScore(x.pointing),
      pct(x.chance),
    ]),
    caption: "Mean ± sd across seeds [95% t-interval].",
  }, {
    kind: "figure",
    figure: {
      kind: "bar",
      title: "Referent share of the gradient after post-training, by group",
      yLabel: "share of gradient mass (%)",
      series: [...end, chance],
    },
  }];
  for (const sh of r.gradMaps.sheets) {
    blocks.push({
      kind: "image",
      png: new Uint8Array(Buffer.from(sh.pngBase64, "base64")),
      alt: `gradient maps, ${sh.point}, seed ${sh.seed}`,
      caption: `Gradient maps at the ${sh.point} (seed ${sh.seed}, vision group): image with ` +
        "its referent outlined, then one heat map per loss.",
    });
  }
  blocks.push(
    comparisonsTable(
      r.comparisons.filter((c) => c.study === "gradmaps"),
      "Paired by seed (t-interval of the per-seed differences).",
    ),
  );
  return { title: "Encoder analyses: gradient localisation (Fig. 7, measured)", blocks };
}

const zero: SeedSummary = { n: 1, mean: 0, sd: null, ci95: null, min: 0, max: 0, values: [0] };

function dataSection(r: ProbesRecord): Section {
  const data = r.encoders.filter((e) => e.study === "data");
  const metrics = metricNames(data, "linear ");
  const sizes = r.dataSweep.sizes;
  const line = (metric: string): Figure => ({
    kind: "line",
    title: `${metric} vs post-training data size`,
    xLabel: "preference items",
    yLabel: "test top-1 (%)",
    series: (["sft", "dpo"] as const).map((arm) => {
      const es = sizes.map((n) => data.find((e) => e.id === `size-${n}/${arm}`)!);
      return seriesOf(
        arm === "sft" ? "SFT" : "DPO",
        sizes,
        es.map((e) => e.scores[metric] ?? zero),
      );
    }),
  });
  return {
    title: "Encoder analyses: probe accuracy vs post-training data size (Fig. 4)",
    blocks: [
      {
        kind: "text",
        text: `Sizes ${sizes.join(", ")} (nested subsets of the preference set), seeds ` +
          `${r.dataSweep.seeds.join(", ")}. Trend = least-squares slope per doubling of the ` +
          "data, per seed; its t-interval across seeds.",
      },
      scoreTable(data, metrics, "Linear-probe test top-1 (%) per size and arm."),
      { kind: "figure", figure: line(r.headline.metric) },
      comparisonsTable(
        r.comparisons.filter((c) => c.study === "data"),
        "DPO − SFT per size (paired by seed and item) and each arm's trend with size.",
      ),
    ],
  };
}

function lmSection(r: ProbesRecord): Section {
  const lm = r.encoders.filter((e) => e.study === "lm");
  const metrics = [...metricNames(lm, "linear "), ...metricNames(lm, "seg ")];
  const sizes = r.lmSweep.sizes;
  const fig = (metric: string): Figure => ({
    kind: "bar",
    title: `${metric} vs LM size`,
    yLabel: "%",
    series: (["base-1b", "sft", "dpo"] as const).map((kind) =>
      seriesOf(
        kind === "base-1b" ? "1b base" : kind.toUpperCase(),
        sizes,
        sizes.map((s) => lm.find((e) => e.id === `${s}/${kind}`)?.scores[metric] ?? zero),
      )
    ),
  });
  return {
    title: "Encoder analyses: probes vs LM size (Figs. 3 and 8)",
    blocks: [
      {
        kind: "text",
        text: `LM sizes ${sizes.join(", ")}: the post-training protocol with only its LM ` +
          `swapped (1a, 1b and Stage 2 retrained; the main comparison's learning rates), seeds ` +
          `${r.lmSweep.seeds.join(", ")}.`,
      },
      scoreTable(lm, metrics, "Probe scores (%) per LM size and arm."),
      { kind: "figure", figure: fig(r.headline.metric) },
      ...(metrics.includes("seg recall (vit)")
        ? [{ kind: "figure" as const, figure: fig("seg recall (vit)") }]
        : []),
      comparisonsTable(
        r.comparisons.filter((c) => c.study === "lm"),
        "Larger − smaller LM per arm, and DPO − SFT per LM size.",
      ),
    ],
  };
}

function encoderSection(r: ProbesRecord): Section {
  const es: EncoderSweepEntry[] = r.encoderSweep.entries;
  const keys = ["general", "vision", "ocr_chart", "knowledge", "visionAverage"] as const;
  return {
    title: "Encoder analyses: VQA by group vs encoder size (Fig. 2)",
    blocks: [
      {
        kind: "text",
        text: `Encoder sizes ${r.encoderSweep.sizes.join(", ")}: the post-training protocol ` +
          "with only its encoder swapped (1a, 1b and Stage 2 retrained), test accuracy by " +
          `group, seeds ${r.encoderSweep.seeds.join(", ")}.`,
      },
      {
        kind: "table",
        columns: ["encoder", "arm", "seeds", ...keys],
        rows: es.map((e) => [
          e.size,
          e.arm.toUpperCase(),
          e.seeds.join(", "),
          ...keys.map((k) => formatScore(e.test[k])),
        ]),
        caption: "VQA test accuracy (%): mean ± sd across seeds [95% t-interval].",
      },
      {
        kind: "figure",
        figure: {
          kind: "bar",
          title: "VQA test accuracy by group and encoder size",
          yLabel: "accuracy (%)",
          series: es.map((e) =>
            seriesOf(`${e.size} ${e.arm.toUpperCase()}`, [...keys], keys.map((k) => e.test[k]))
          ),
        },
      },
      comparisonsTable(
        r.comparisons.filter((c) => c.study === "encoder"),
        "Paired by seed and test item; the gain difference (vision avg − knowledge) combines " +
          "two independent item sets.",
      ),
    ],
  };
}

/**
 * What results.json keeps of a run (`probes`): the result without its report sections, which
 * hold PNG bytes; `probesReport` rebuilds them from the record.
 */
export function probesRecord(r: ProbesResult): ProbesRecord {
  const { report: _report, ...record } = r;
  return record;
}

/** The report sections of the encoder analyses. */
export function probesReport(r: ProbesRecord): { sections: Section[] } {
  return {
    sections: [mainSection(r), gradSection(r), dataSection(r), lmSection(r), encoderSection(r)],
  };
}
