/**
 * What an experiment's stages cost: wall seconds and counted FLOPs per kind of stage (the
 * post-training budget reports both per stage). Seconds are each stage's own wall time as
 * recorded when it ran: a cached stage keeps the time of the run that computed it, and a
 * stage resumed from a partial checkpoint recorded only its last segment. FLOPs are what
 * the stage's dispatches declared (src/gpu/flops.ts); training and reference stages store
 * them in their metrics, evaluations since they started to count them (older records do
 * not, and the table says how many runs lack a count).
 * @module
 */

import type { Block } from "../report/html.ts";

/** One stage's cost. */
export interface StageCost {
  name: string;
  /** Key prefix; a stage met twice (e.g. a base reused by every arm) counts once. */
  key: string;
  cached: boolean;
  seconds: number;
  /** Counted FLOPs, null when the stage's record has none. */
  flops: number | null;
}

/** The cost of every stage of one name. */
export interface BudgetRow {
  stage: string;
  runs: number;
  /** Runs loaded from the stage cache rather than computed by this command. */
  cached: number;
  seconds: number;
  /** Summed counted FLOPs (null when no run of the row has a count). */
  flops: number | null;
  /** Runs without a FLOP count. */
  uncounted: number;
}

/** Per stage name in order of first appearance, and the total. */
export interface StageBudget {
  rows: BudgetRow[];
  total: BudgetRow;
}

/** The cost of a stage output (`flops` read from its metrics when they have a number). */
export function stageCostOf(
  o: { name: string; key: string; cached: boolean; seconds: number; metrics: unknown },
): StageCost {
  const flops = (o.metrics as { flops?: unknown } | null)?.flops;
  return {
    name: o.name,
    key: o.key.slice(0, 16),
    cached: o.cached,
    seconds: o.seconds,
    flops: typeof flops === "number" && Number.isFinite(flops) ? flops : null,
  };
}

function emptyRow(stage: string): BudgetRow {
  return { stage, runs: 0, cached: 0, seconds: 0, flops: null, uncounted: 0 };
}

function add(row: BudgetRow, c: StageCost): void {
  row.runs += 1;
  if (c.cached) row.cached += 1;
  row.seconds += c.seconds;
  if (c.flops === null) row.uncounted += 1;
  else row.flops = (row.flops ?? 0) + c.flops;
}

/** Sums the costs per stage name; each key counts once. */
export function stageBudget(costs: readonly StageCost[]): StageBudget {
  const seen = new Set<string>();
  const rows = new Map<string, BudgetRow>();
  const total = emptyRow("total");
  for (const c of costs) {
    const id = `${c.name}/${c.key}`;
    if (seen.has(id)) continue;
    seen.add(id);
    if (!rows.has(c.name)) rows.set(c.name, emptyRow(c.name));
    add(rows.get(c.name)!, c);
    add(total, c);
  }
  return { rows: [...rows.values()], total };
}

/** What each stage name of the post-training experiments is. */
const STAGE_LABELS: Readonly<Record<string, string>> = {
  "mllm-1a": "Stage 1a (projector, captions)",
  "mllm-1b": "Stage 1b (all parts, instruction mix)",
  "mllm-dpo-ref": "DPO reference log-probs (frozen 1b)",
  "mllm-2-sft": "Stage 2 SFT",
  "mllm-2-dpo": "Stage 2 DPO",
  "mllm-2-unlikelihood": "Stage 2 unlikelihood",
  "vqa-val": "validation answers (lr sweep)",
  "vqa-test": "test answers",
  "vqa-blank": "test answers, blank images",
};

const minutes = (s: number) => (s / 60).toFixed(1);
const gflop = (f: number | null) => (f === null ? "not counted" : (f / 1e9).toFixed(0));
// A rate only where every run of the row counted its FLOPs.
const rate = (r: BudgetRow) =>
  r.flops === null || r.uncounted > 0 || r.seconds <= 0
    ? "–"
    : (r.flops / 1e9 / r.seconds).toFixed(1);

/** The rows whose stage name starts with `prefix`, summed (null when there are none). */
export function subtotal(b: StageBudget, prefix: string, label: string): BudgetRow | null {
  const rows = b.rows.filter((r) => r.stage.startsWith(prefix));
  if (rows.length === 0) return null;
  const out: BudgetRow = {
    stage: label,
    runs: 0,
    cached: 0,
    seconds: 0,
    flops: null,
    uncounted: 0,
  };
  for (const r of rows) {
    out.runs += r.runs;
    out.cached += r.cached;
    out.seconds += r.seconds;
    out.uncounted += r.uncounted;
    if (r.flops !== null) out.flops = (out.flops ?? 0) + r.flops;
  }
  return out;
}

const flopCell = (r: BudgetRow) =>
  r.uncounted > 0 && r.flops !== null
    ? `${gflop(r.flops)} (${r.uncounted} not counted)`
    : gflop(r.flops);

/** The budget as a report table: runs, wall minutes, GFLOP and GFLOP per wall second. */
export function budgetTable(b: StageBudget, partSeconds?: number): Block {
  const row = (r: BudgetRow, label: string, name = r.stage) => [
    label,
    name,
    r.cached > 0 ? `${r.runs} (${r.cached} cached)` : String(r.runs),
    minutes(r.seconds),
    flopCell(r),
    rate(r),
  ];
  // The part's own wall time compares with the sum only when it computed every stage.
  const wall = partSeconds === undefined
    ? ""
    : b.total.cached === 0
    ? ` The command's part took ${minutes(partSeconds)} min of wall time; the rest is loading ` +
      "data and models, the cache's reads and writes, and the statistics."
    : ` The command's part took ${minutes(partSeconds)} min of wall time, with ` +
      `${b.total.cached} of the ${b.total.runs} stages loaded from the cache.`;
  // The training stages (1a, 1b, the references, Stage 2) apart from the answering.
  const training = subtotal(b, "mllm-", "training");
  const split = training !== null && training.runs < b.total.runs;
  return {
    kind: "table",
    columns: ["stage", "name", "runs", "wall min", "GFLOP", "GFLOP per wall s"],
    rows: [
      ...b.rows.map((r) => row(r, STAGE_LABELS[r.stage] ?? r.stage)),
      ...(split ? [row(training, "training stages (1a, 1b, 2, references)", "mllm-*")] : []),
      row(b.total, "all stages", ""),
    ],
    caption: "Wall time and counted FLOPs per stage, summed over its runs (each stage's own " +
      "time as recorded when it ran; a cached stage keeps the time of the run that computed " +
      "it, and a stage resumed from a checkpoint only its last segment)." + wall,
  };
}
