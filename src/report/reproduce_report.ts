/**
 * The report of a `deno task reproduce` run, composed from its results.json alone: the
 * claims table first (every finding of the paper and every control of ours, each with our
 * measurement, the paper's number and a verdict computed from the results; a claim whose
 * experiment has not run says "not run yet"), then the pretraining table, then every table
 * and figure of the experiments that ran. `writeReproduceReport` writes `<out>/report.html`
 * and each figure as a PNG under `<out>/figures/`. `readmeResultsSection` is the README's
 * generated results section (`deno task readme-results`).
 * @module
 */

import { join } from "node:path";
import type { StageSummary } from "../train/pretrain.ts";
import {
  accuracyTable,
  ENCODER_MOVED,
  formatDiff,
  sftVsDpoReport,
  type SftVsDpoResult,
} from "../experiments/sft_vs_dpo.ts";
import type { Verdict } from "../stats/mod.ts";
import { calibrationSummary } from "../experiments/base_calibration.ts";
import { budgetTable } from "../experiments/stage_budget.ts";
import type { Block, Claim, ClaimStatus, ReportSpec, Section } from "./html.ts";
import { renderReport } from "./html.ts";
import { formatTextTable } from "./display.ts";
import type { Figure } from "./figures.ts";
import { figurePng } from "./png.ts";
import {
  measurePivotBeatsLarger,
  measurePivotChain,
  pivotOf,
  type PivotRecord,
} from "./pivot_claims.ts";
import { pivotReport, pivotTable } from "./pivot_views.ts";
import {
  measureC4,
  measureF1,
  measureF3Probe,
  measureF3Trend,
  measureF4Grad,
  measureF4Seg,
  measureF5,
} from "./probe_claims.ts";
import { type ProbesRecord, probesReport } from "./probe_views.ts";

/** The SFT-vs-DPO part of results.json: the experiment's result without its report sections. */
export type SftVsDpoRecord = Omit<SftVsDpoResult, "report"> & { report?: unknown };

/** The fields of `<out>/results.json` the report reads (tasks/reproduce.ts writes them). */
export interface ReproduceResults {
  preset: string;
  /** `--seeds` when given; null or absent: each part used its protocol's seeds. */
  seeds?: number | null;
  only?: string | null;
  complete?: boolean;
  fullReproduction?: boolean;
  notBuilt?: string[];
  e0Pending?: string | null;
  /** When the run finished (ISO); older runs lack it (the file's time is used). */
  finished?: string;
  environment?: {
    deno?: string;
    adapter?: string;
    os?: string;
    arch?: string;
    commit?: string | null;
    /** Logical CPU cores of the machine. */
    cores?: number;
  };
  seconds?: number;
  /** Wall seconds of the whole command (older runs lack it). */
  totalSeconds?: number;
  summary?: StageSummary[];
  sftVsDpo?: SftVsDpoRecord | { pending: string } | null;
  /** The encoder analyses without their report sections (src/experiments/probes.ts). */
  probes?: ProbesRecord | null;
  /** The PIVOT experiment without its report sections (src/experiments/pivot.ts). */
  pivot?: PivotRecord | null;
}

/** The Knowledge "tie" margin: |DPO − SFT| within ±1 point counts as a tie. */
export const KNOWLEDGE_TIE_MARGIN = 0.01;

/**
 * Verdict of "A ≈ B within ±m" from the 95% interval of A − B: holds iff the whole interval
 * lies inside [−m, m]; does not hold iff none of it does; inconclusive otherwise.
 */
export function verdictWithin(ci: [number, number], margin: number): Verdict {
  const [lo, hi] = ci;
  if (!(Number.isFinite(lo) && Number.isFinite(hi)) || lo > hi) {
    throw new Error(`verdict: [${lo}, ${hi}] is not an interval`);
  }
  if (lo >= -margin && hi <= margin) return "holds";
  if (lo > margin || hi < -margin) return "does not hold";
  return "inconclusive";
}

/** The SFT-vs-DPO record of a run, or null when it did not run (or is pending). */
export function sftVsDpoOf(r: ReproduceResults): SftVsDpoRecord | null {
  const s = r.sftVsDpo;
  return s && !("pending" in s) ? s : null;
}

/** What a claim's measure returns when its experiment ran. */
interface Measured {
  measured: string;
  verdict: Verdict;
  note?: string;
}

/** One entry of the claims catalogue. */
interface ClaimSpec {
  id: string;
  claim: string;
  paper: string;
  /** The experiment that measures it (named in "not run yet" notes). */
  experiment: string;
  /** Null while the experiment has not run (or when its result lacks the comparison). */
  measure?: (r: ReproduceResults) => Measured | null;
}

type Comparison = SftVsDpoRecord["comparisons"][number];

function comparison(
  r: ReproduceResults,
  condition: string | ((c: string) => boolean),
  id: string | null,
  group: string,
): Comparison | null {
  const s = sftVsDpoOf(r);
  if (!s) return null;
  const cond = typeof condition === "string" ? (c: string) => c === condition : condition;
  return s.comparisons.find((c) =>
    cond(c.condition) && (id === null || c.id === id) && c.group === group
  ) ?? null;
}

function measuredDiff(c: Comparison): string {
  const seeds = `${c.stat.seeds} seed${c.stat.seeds === 1 ? "" : "s"}`;
  return `${formatDiff(c.stat)} points (${seeds} × ${c.stat.items} items)`;
}

/**
 * The floor/ceiling guard: when both arms score 0% (or both 100%) on the group in every
 * seed, the difference is exactly 0 with no spread, and says nothing about either arm; the
 * claim is then inconclusive whatever the statistic says (its verdict is kept in the note).
 */
function atBound(r: ReproduceResults, c: Comparison): "0%" | "100%" | null {
  const s = sftVsDpoOf(r);
  const arm = (id: string) => s?.arms.find((a) => a.id === id)?.test[c.group];
  const a = arm(c.a);
  const b = arm(c.b);
  if (!a || !b) return null;
  if (a.mean === 0 && b.mean === 0 && a.sd === 0 && b.sd === 0) return "0%";
  if (a.mean === 1 && b.mean === 1 && a.sd === 0 && b.sd === 0) return "100%";
  return null;
}

function guarded(r: ReproduceResults, c: Comparison, verdict: Verdict): Measured {
  const bound = atBound(r, c);
  if (bound) {
    return {
      measured: measuredDiff(c),
      verdict: "inconclusive",
      note: `both arms score ${bound} here, so their difference says nothing (the interval ` +
        `alone would give “${verdict}”)`,
    };
  }
  return { measured: measuredDiff(c), verdict, note: c.note ?? undefined };
}

/** "A > B" from a paired comparison: its verdict (with the encoder guard already applied). */
function greater(
  condition: string | ((c: string) => boolean),
  id: string | null,
  group: string,
): (r: ReproduceResults) => Measured | null {
  return (r) => {
    const c = comparison(r, condition, id, group);
    return c ? guarded(r, c, c.verdict) : null;
  };
}

/** DPO ≈ SFT on Knowledge: the interval within ±KNOWLEDGE_TIE_MARGIN. */
function knowledgeTie(r: ReproduceResults): Measured | null {
  const c = comparison(r, "tuned", "tuned/dpo − tuned/sft", "knowledge");
  if (!c) return null;
  const within = verdictWithin(c.stat.ci95, KNOWLEDGE_TIE_MARGIN);
  // The encoder guard: when neither arm moved the encoder the comparison says nothing.
  const encoderGuard = c.verdict === "inconclusive" && c.stat.verdict !== "inconclusive";
  return guarded(r, c, encoderGuard ? "inconclusive" : within);
}

/** Every tuned post-training arm moved the vision encoder in every seed. */
function encoderMoved(r: ReproduceResults): Measured | null {
  const s = sftVsDpoOf(r);
  if (!s) return null;
  const arms = s.arms.filter((a) => a.condition === "tuned");
  if (arms.length === 0) return null;
  const all = arms.flatMap((a) => a.encoderMovement);
  const known = all.filter((m): m is number => m !== null);
  const still = arms.filter((a) => a.encoderMovement.some((m) => m !== null && m <= ENCODER_MOVED));
  const verdict: Verdict = still.length > 0
    ? "does not hold"
    : known.length < all.length
    ? "inconclusive"
    : "holds";
  const range = known.length
    ? `relative L2 change ${Math.min(...known).toExponential(1)} … ${
      Math.max(...known).toExponential(1)
    }`
    : "not reported";
  return {
    measured: `${range} (${arms.length} arms × ${s.seeds.length} seeds)`,
    verdict,
    note: still.length
      ? `did not move: ${still.map((a) => a.label).join(", ")}`
      : known.length < all.length
      ? "a stage did not report its encoder movement"
      : `moved: a relative L2 change above ${ENCODER_MOVED.toExponential(0)}`,
  };
}

const DPO_SFT = "tuned/dpo − tuned/sft";

/** The claims catalogue, in report order: the paper's findings, then our controls. */
export const CLAIMS: readonly ClaimSpec[] = [
  {
    id: "F1",
    claim: "Bigger vision encoders help most on the strongly vision-related groups",
    paper: "OCR & Chart +10.6 from B/16 to g/16 under DPO; Knowledge least",
    experiment: "probes",
    measure: measureF1,
  },
  {
    id: "F2",
    claim: "DPO beats SFT on the strongly vision-related groups (average)",
    paper: "+1.4 to +2.7 avg",
    experiment: "sft-vs-dpo",
    measure: greater("tuned", DPO_SFT, "visionAverage"),
  },
  {
    id: "F2",
    claim: "DPO beats SFT on General",
    paper: "+0.1…+1.0",
    experiment: "sft-vs-dpo",
    measure: greater("tuned", DPO_SFT, "general"),
  },
  {
    id: "F2",
    claim: "DPO beats SFT on Vision-Centric",
    paper: "+2.2…+2.6",
    experiment: "sft-vs-dpo",
    measure: greater("tuned", DPO_SFT, "vision"),
  },
  {
    id: "F2",
    claim: "DPO beats SFT on OCR & Chart",
    paper: "+2.4…+4.2",
    experiment: "sft-vs-dpo",
    measure: greater("tuned", DPO_SFT, "ocr_chart"),
  },
  {
    id: "F2",
    claim: `DPO ≈ SFT on Knowledge (the gap within ±${100 * KNOWLEDGE_TIE_MARGIN} point)`,
    paper: "+0.0…+0.3",
    experiment: "sft-vs-dpo",
    measure: knowledgeTie,
  },
  {
    id: "F2",
    claim: "DPO on the smallest preference set beats SFT on the largest (vision avg)",
    paper: "3K DPO 60.4 vs 40K SFT 59.5",
    experiment: "sft-vs-dpo",
    measure: greater("data-efficiency", null, "visionAverage"),
  },
  {
    id: "F2",
    claim: "With the paper's lr ratio (DPO lr = SFT lr / 5), DPO beats SFT (vision avg)",
    paper: "the paper's own setting",
    experiment: "sft-vs-dpo",
    measure: greater("paper-ratio", "paper-ratio/dpo − tuned/sft", "visionAverage"),
  },
  {
    id: "F2",
    claim: "With clear, SFT-friendly answers DPO still beats SFT (vision avg)",
    paper: "margin shrinks to +0.5…+0.8, never flips",
    experiment: "sft-vs-dpo",
    measure: greater("clear", "clear/dpo − clear/sft", "visionAverage"),
  },
  {
    id: "F3",
    claim: "Linear-probe accuracy of the detached encoder is higher after DPO than after SFT",
    paper: "+0.3 to +2.0 top-1 (3B: 49.2 → 51.0)",
    experiment: "probes",
    measure: measureF3Probe,
  },
  {
    id: "F3",
    claim: "Only DPO's linear-probe accuracy rises with more post-training data",
    paper: "shown in a plot",
    experiment: "probes",
    measure: measureF3Trend,
  },
  {
    id: "F4",
    claim: "A frozen-encoder patch-segmentation probe scores higher after DPO",
    paper: "+0.56 to +1.17 macro recall",
    experiment: "probes",
    measure: measureF4Seg,
  },
  {
    id: "F4",
    claim: "Gradients w.r.t. the visual tokens concentrate on question-relevant patches after DPO",
    paper: "pictures only, no metric",
    experiment: "probes",
    measure: measureF4Grad,
  },
  {
    id: "F5",
    claim: "A larger LLM head gives a better encoder",
    paper: "DPO − SFT +2.0 / +1.8 / +1.6 / +2.7 for 0.5B–7B; probes rise with LLM size",
    experiment: "probes",
    measure: measureF5,
  },
  {
    id: "F6",
    claim: "PIVOT: original < +SFT < +PIVOT encoder in a fresh MLLM",
    paper: "SigLIP2-So 52.4 → 54.6 → 55.6",
    experiment: "pivot",
    measure: measurePivotChain,
  },
  {
    id: "F6",
    claim: "A PIVOT-evolved encoder beats a larger, longer-pretrained one",
    paper: "So + PIVOT 55.6 vs g/16 53.9",
    experiment: "pivot",
    measure: measurePivotBeatsLarger,
  },
  {
    id: "C1",
    claim: "DPO beats an SFT arm that also sees the rejected answer (unlikelihood)",
    paper: "not tested",
    experiment: "sft-vs-dpo",
    measure: greater("tuned", "tuned/dpo − tuned/unlikelihood", "visionAverage"),
  },
  {
    id: "C2",
    claim: "SFT improves on its Stage-1b base (vision avg)",
    paper: "not reported",
    experiment: "sft-vs-dpo",
    measure: greater("tuned", "tuned/sft − base-1b", "visionAverage"),
  },
  {
    id: "C2",
    claim: "DPO improves on its Stage-1b base (vision avg)",
    paper: "not reported",
    experiment: "sft-vs-dpo",
    measure: greater("tuned", "tuned/dpo − base-1b", "visionAverage"),
  },
  {
    id: "C3",
    claim: "Every post-training arm moves the vision encoder (so the comparison is about it)",
    paper: "ViT trainable in both arms",
    experiment: "sft-vs-dpo",
    measure: encoderMoved,
  },
  {
    id: "C4",
    claim: "Probes of the Stage-1 encoder before post-training sit below both arms",
    paper: "not tested",
    experiment: "probes",
    measure: measureC4,
  },
];

/** The claims table of a run: computed verdicts, or "not run yet". */
export function reproduceClaims(r: ReproduceResults): Claim[] {
  return CLAIMS.map((c) => {
    const m = c.measure?.(r) ?? null;
    if (m) return { id: c.id, claim: c.claim, paper: c.paper, ...m };
    const built = c.measure !== undefined;
    return {
      id: c.id,
      claim: c.claim,
      paper: c.paper,
      measured: "–",
      verdict: "not run yet",
      note: built
        ? `${c.experiment} did not run here (deno task reproduce --only ${c.experiment})`
        : `the ${c.experiment} experiment is not built yet`,
    };
  });
}

/** Claims by what their verdict says. */
export function claimTally(claims: Claim[]): Record<ClaimStatus, Claim[]> {
  const out: Record<ClaimStatus, Claim[]> = {
    "holds": [],
    "does not hold": [],
    "inconclusive": [],
    "not run yet": [],
  };
  for (const c of claims) out[c.verdict].push(c);
  return out;
}

const num = (n: number, digits = 3) =>
  !Number.isFinite(n)
    ? String(n)
    : Math.abs(n) >= 1e5
    ? n.toExponential(2)
    : String(Number(n.toPrecision(digits)));

/** The pretraining table: one row per stage (params, samples, FLOPs, time, loss, quality). */
export function pretrainTable(summary: StageSummary[]): Block {
  return {
    kind: "table",
    columns: [
      "stage",
      "params",
      "samples",
      "GFLOP",
      "train s",
      "loss first → last",
      "quality metric",
      "value",
      "chance",
      "vs chance",
      "cached",
    ],
    rows: summary.map((s) => [
      s.stage,
      num(s.params),
      s.samples,
      num(s.flops / 1e9),
      num(s.trainSeconds),
      `${num(s.firstLoss)} → ${num(s.finalLoss)}`,
      s.quality?.metric ?? "–",
      s.quality ? num(s.quality.value, 4) : null,
      s.quality ? num(s.quality.chance, 4) : null,
      s.beatsChance ? "beaten" : "NOT beaten",
      s.cached ? "yes" : "no",
    ]),
    caption: "Pretraining (E0 encoders, L0 language models): each stage's quality on held-out " +
      "data against chance (retrieval or accuracy: higher is better; perplexity: lower is " +
      "better). Train seconds are as measured when the stage ran.",
  };
}

/** When the run finished: results.finished, or `fallback` (e.g. the file's time). */
function runDate(r: ReproduceResults, fallback?: Date | null): string {
  const d = r.finished ? new Date(r.finished) : fallback ?? null;
  return d ? d.toISOString().slice(0, 16).replace("T", " ") + " UTC" : "date unknown";
}

function machine(r: ReproduceResults): string {
  const e = r.environment ?? {};
  const cores = e.cores ? `${e.cores} cores` : "cores not recorded";
  return `${e.os ?? "?"}/${e.arch ?? "?"}, ${cores}, adapter ${e.adapter ?? "unknown"}`;
}

/** The report of a run (see the module comment). `date` stands in for an unrecorded time. */
export function reproduceReportSpec(r: ReproduceResults, date?: Date | null): ReportSpec {
  const claims = reproduceClaims(r);
  const t = claimTally(claims);
  const s = sftVsDpoOf(r);
  const e = r.environment ?? {};
  const sections: Section[] = [{
    title: "Claims",
    blocks: [{
      kind: "text",
      text: `${t.holds.length} held, ${t["does not hold"].length} did not hold, ` +
        `${t.inconclusive.length} inconclusive, ${t["not run yet"].length} not run yet ` +
        `(of ${claims.length}). Every verdict is computed from this run's results.json: for ` +
        "“A beats B”, from the 95% interval of A − B paired by seed and item (holds if the " +
        "whole interval is above 0, does not hold if none of it is, else inconclusive; " +
        "inconclusive whatever the interval when neither arm moved the vision encoder, or when " +
        "both arms score 0% on the group); " +
        `for “DPO ≈ SFT on Knowledge”, holds if the interval lies within ±${
          100 * KNOWLEDGE_TIE_MARGIN
        } point, does not hold if it lies wholly outside. The paper's numbers are at its scale ` +
        "(billions of parameters, 16 benchmarks): pivotlab tests their direction, not their size.",
    }, { kind: "claims", claims }],
  }];
  if (r.summary && r.summary.length > 0) {
    sections.push({
      title: "Pretraining",
      blocks: [
        pretrainTable(r.summary),
        ...(r.e0Pending
          ? [{ kind: "text" as const, text: `E0 did not run: ${r.e0Pending}.` }]
          : []),
      ],
    });
  }
  if (s) {
    // The experiment's own claims section is the claims table above.
    const own = sftVsDpoReport(s).sections.filter((x) =>
      !x.blocks.every((b) => b.kind === "claims")
    );
    sections.push(...own);
  } else if (r.sftVsDpo && "pending" in r.sftVsDpo) {
    sections.push({
      title: "SFT vs DPO",
      blocks: [{ kind: "text", text: `Not run: ${r.sftVsDpo.pending}` }],
    });
  }
  if (r.probes) {
    sections.push(
      ...probesReport(r.probes).sections.filter((x) => !x.blocks.every((b) => b.kind === "claims")),
    );
  }
  const pivot = pivotOf(r);
  if (pivot) {
    // PIVOT's own claims section is part of the claims table above.
    sections.push(
      ...pivotReport(pivot).sections.filter((x) => !x.blocks.every((b) => b.kind === "claims")),
    );
  }
  const notBuilt = r.notBuilt?.filter((n) => n !== "report") ?? [];
  sections.push({
    title: "This run",
    blocks: [{
      kind: "table",
      columns: ["", ""],
      rows: [
        ["preset", r.preset],
        ["finished", runDate(r, date)],
        ["machine", machine(r)],
        ["Deno", e.deno ?? "?"],
        ["git commit", e.commit ?? "unknown"],
        ["seeds", s ? s.seeds.join(", ") : String(r.seeds ?? "?")],
        [
          "wall time",
          r.totalSeconds !== undefined
            ? `${num(r.totalSeconds)} s (this command; pretraining ${num(r.seconds ?? NaN)} s)`
            : r.seconds !== undefined
            ? `${num(r.seconds)} s (pretraining)`
            : "?",
        ],
        ["parts asked for", r.only ?? "all built parts"],
        ["not built yet", notBuilt.length ? notBuilt.join(", ") : "–"],
      ],
    }, {
      kind: "text",
      text: r.fullReproduction
        ? "This run covers the whole paper."
        : "This is not a full reproduction of the paper: the claims marked “not run yet” " +
          "have no measurement here.",
    }],
  });
  return {
    title: `pivotlab — reproduction report (${r.preset})`,
    subtitle: `preset ${r.preset} · ${runDate(r, date)} · ${machine(r)}`,
    sections,
  };
}

/** Every figure of a report, in page order. */
export function reportFigures(spec: ReportSpec): Figure[] {
  return spec.sections.flatMap((s) =>
    s.blocks.flatMap((b) => (b.kind === "figure" ? [b.figure] : []))
  );
}

/** A file-name slug of a title. */
export function slug(title: string): string {
  return title.toLowerCase().normalize("NFKD").replace(/[^a-z0-9]+/g, "-").replace(
    /^-+|-+$/g,
    "",
  ).slice(0, 60);
}

/** Reads `<out>/results.json`, with the file's modification time. */
export async function readResults(
  out: string,
): Promise<{ results: ReproduceResults; mtime: Date | null }> {
  const path = join(out, "results.json");
  const text = await Deno.readTextFile(path);
  return { results: JSON.parse(text), mtime: (await Deno.stat(path)).mtime };
}

/**
 * Writes `<out>/report.html` and every figure as `<out>/figures/NN-<title>.png`, from
 * `results` (default: `<out>/results.json`). Returns the paths and the claims.
 */
export async function writeReproduceReport(
  out: string,
  results?: ReproduceResults,
): Promise<{ html: string; figures: string[]; claims: Claim[] }> {
  let r = results;
  let mtime: Date | null = null;
  if (!r) ({ results: r, mtime } = await readResults(out));
  const spec = reproduceReportSpec(r, mtime);
  const html = join(out, "report.html");
  const dir = join(out, "figures");
  // Every file goes through a temporary file, fsync and rename (no sidecar hash: nothing
  // reads them back), so a kill or a full disk leaves the old file or the new one, never half.
  const { writeFileAtomic } = await import("../io/atomic.ts");
  const noHash = { sidecar: false };
  await Deno.mkdir(dir, { recursive: true });
  const figures: string[] = [];
  for (const [i, fig] of reportFigures(spec).entries()) {
    const path = join(dir, `${String(i + 1).padStart(2, "0")}-${slug(fig.title)}.png`);
    await writeFileAtomic(path, await figurePng(fig), noHash);
    figures.push(path);
  }
  // Figures of an earlier report of this folder that this one no longer has (their numbers
  // shift as parts finish) would sit beside the new ones as if current: remove them.
  const written = new Set(figures.map((f) => f.slice(dir.length + 1)));
  for (const e of Deno.readDirSync(dir)) {
    if (e.isFile && /^\d{2}-.*\.png$/.test(e.name) && !written.has(e.name)) {
      await Deno.remove(join(dir, e.name));
    }
  }
  const page = new TextEncoder().encode(await renderReport(spec));
  await writeFileAtomic(html, page, noHash);
  return { html, figures, claims: reproduceClaims(r) };
}

// ---------------------------------------------------------------------------------------
// The README's results section.

/** The README markers between which `deno task readme-results` writes. */
export const README_START = "<!-- results:start -->";
export const README_END = "<!-- results:end -->";

/**
 * The README's results section (markdown, without the markers) for the run in `outDir`, or a
 * plain statement that no run exists there. `wanted` is the preset the section is meant to
 * show (the README's is `small`): a run of another preset is named as such.
 */
export function readmeResultsSection(
  run: { results: ReproduceResults; mtime: Date | null; outDir: string } | null,
  opts: { outDir: string; wanted?: string },
): string {
  const wanted = opts.wanted ?? "small";
  const cmd = `deno task reproduce${wanted === "small" ? "" : ` --preset ${wanted}`}`;
  if (!run) {
    return [
      "## Results",
      "",
      `No \`${wanted}\` run exists yet (nothing at \`${opts.outDir}/results.json\`), so there ` +
      "are no results to report here. Run `" + cmd + "`, then `deno task readme-results` to " +
      "fill this section from its results.json.",
    ].join("\n");
  }
  const r = run.results;
  const claims = reproduceClaims(r);
  const t = claimTally(claims);
  const list = (cs: Claim[]) =>
    cs.length === 0 ? ["- none"] : cs.map((c) =>
      `- ${c.id}: ${c.claim}` +
      (c.verdict === "not run yet" ? "" : ` — ${c.measured.replace(/\|/g, "/")}`)
    );
  const s = sftVsDpoOf(r);
  const lines = [
    "## Results",
    "",
    `Generated by \`deno task readme-results\` from \`${run.outDir}/results.json\`: a ` +
    `**\`${r.preset}\`** run` +
    (r.preset !== wanted
      ? ` (not the \`${wanted}\` preset this section is meant to show: no \`${wanted}\` run ` +
        "exists yet, so these numbers come from a smaller smoke run and say little about the " +
        "paper)"
      : "") +
    `, finished ${runDate(r, run.mtime)}, on ${machine(r)}, Deno ${
      r.environment?.deno ?? "?"
    }, commit \`${(r.environment?.commit ?? "unknown").slice(0, 12)}\`` +
    (s ? `, ${s.seeds.length} seeds` : "") + ". The full report is `" +
    `${run.outDir}/report.html\`.`,
    "",
    r.fullReproduction ? "" : "This is not a full reproduction" +
      (r.only ? ` (it ran \`--only ${r.only}\`)` : "") +
      ': the claims of parts it did not run, or did not complete, have no verdict ("not run ' +
      'yet").',
    "",
    `**Held (${t.holds.length}):**`,
    ...list(t.holds),
    "",
    `**Did not hold (${t["does not hold"].length}):**`,
    ...list(t["does not hold"]),
    "",
    `**Inconclusive (${t.inconclusive.length}):**`,
    ...list(t.inconclusive),
    "",
    `**Not run yet (${t["not run yet"].length}):** ` +
    (t["not run yet"].map((c) => `${c.id}: ${c.claim}`)
      .join("; ") || "none") +
    ".",
  ];
  if (s?.conditions === "primary") {
    lines.push(
      "",
      "SFT vs DPO ran its primary comparison only (`--conditions primary`: the bases and the " +
        "three arms at their tuned lrs on the full preference set, every seed); the paper-ratio, " +
        "clear-answer and data-size conditions did not run, so their claims have no verdict.",
    );
  }
  if (s) {
    const t = accuracyTable(s);
    if (t.kind === "table") {
      lines.push(
        "",
        `SFT vs DPO, test accuracy by group. ${t.caption ?? ""}`.trim(),
        "",
        ...textBlock(t),
      );
    }
    if (s.calibration) lines.push("", calibrationSummary(s.calibration));
    const b = s.budget ? budgetTable(s.budget) : undefined;
    if (b?.kind === "table") {
      lines.push(
        "",
        `SFT vs DPO, time and FLOPs per stage. ${b.caption ?? ""}`,
        "",
        ...textBlock(b),
      );
    }
  }
  // The probes' main table (linear probe of each encoder) and PIVOT's Table 2, as text.
  const probeTable = r.probes
    ? probesReport(r.probes).sections[0].blocks.find((b) => b.kind === "table")
    : undefined;
  if (probeTable?.kind === "table") {
    lines.push(
      "",
      `Encoder analyses. ${probeTable.caption ?? ""}`.trim(),
      "",
      ...textBlock(probeTable),
    );
  }
  const pivot = pivotOf(r);
  if (pivot) {
    const t = pivotTable(pivot);
    if (t.kind === "table") {
      lines.push("", `PIVOT (the paper's Table 2). ${t.caption ?? ""}`.trim(), "", ...textBlock(t));
    }
  }
  if (s && !s.allLossesFell) {
    const rose = s.stages.filter((x) => x.lossFell !== true).length;
    lines.push(
      "",
      `Caution: ${rose} of ${s.stages.length} Stage-1/2 training runs ended with a loss no lower ` +
        "than they started with.",
    );
  }
  return lines.filter((l, i, a) => !(l === "" && a[i - 1] === "")).join("\n");
}

/** A table block as a fenced plain-text table. */
function textBlock(t: Extract<Block, { kind: "table" }>): string[] {
  return ["```text", formatTextTable(t.columns, t.rows), "```"];
}

/** `text` with the part between the README markers replaced by `section`. */
export function replaceReadmeSection(text: string, section: string): string {
  const a = text.indexOf(README_START);
  const b = text.indexOf(README_END);
  if (a < 0 || b < a) {
    throw new Error(`README has no ${README_START} … ${README_END} markers (in that order)`);
  }
  return text.slice(0, a + README_START.length) + "\n" + section.trim() + "\n" + text.slice(b);
}
