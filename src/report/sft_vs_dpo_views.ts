/**
 * Views of the SFT-vs-DPO experiment for notebooks (notebooks/02-sft-vs-dpo.ipynb): load a
 * `reproduce` run's results, pick its figures and tables, and its claims with their computed
 * verdicts (the same as report.html's). Nothing here computes a result: the numbers are the
 * run's; the tables and figures are src/experiments/sft_vs_dpo.ts's.
 * @module
 */
import { join } from "node:path";
import {
  accuracyTable,
  comparisonTable,
  sftVsDpoFigures,
  type SftVsDpoResult,
} from "../experiments/sft_vs_dpo.ts";
import type { Block, Claim } from "./html.ts";
import type { Figure } from "./figures.ts";
import {
  CLAIMS,
  reproduceClaims,
  type ReproduceResults,
  sftVsDpoOf,
  type SftVsDpoRecord,
} from "./reproduce_report.ts";

/** A run's SFT-vs-DPO record with where it came from. */
export interface SftVsDpoRun {
  dir: string;
  results: ReproduceResults;
  sftVsDpo: SftVsDpoRecord;
}

/**
 * The SFT-vs-DPO results of the `reproduce` run in `dir`, or null when there is no
 * results.json there or its SFT-vs-DPO part did not run.
 */
export async function loadSftVsDpoRun(dir: string | undefined): Promise<SftVsDpoRun | null> {
  if (!dir) return null;
  let results: ReproduceResults;
  try {
    results = JSON.parse(await Deno.readTextFile(join(dir, "results.json")));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
  const s = sftVsDpoOf(results);
  return s ? { dir, results, sftVsDpo: s } : null;
}

/** A freshly run experiment as a run record (the shape results.json stores). */
export function sftVsDpoRunOf(
  result: SftVsDpoResult,
  preset: string,
  dir: string,
): SftVsDpoRun {
  const { report: _report, ...record } = result;
  return { dir, results: { preset, sftVsDpo: record }, sftVsDpo: record };
}

/** Which figure of the experiment. */
export type SftVsDpoFigureName = "accuracy" | "data-size" | "logprobs" | "margin" | "lr-sweep";

const FIGURE_TITLES: Record<SftVsDpoFigureName, RegExp> = {
  "accuracy": /^Test accuracy by group/,
  "data-size": /^Data efficiency/,
  "logprobs": /log-probs/,
  "margin": /reward margin/,
  "lr-sweep": /^Learning-rate sweep/,
};

/** One of the experiment's figures (throws naming it when the run has none, e.g. no curves). */
export function sftVsDpoFigure(r: SftVsDpoRecord, name: SftVsDpoFigureName): Figure {
  const fig = sftVsDpoFigures(r).find((f) => FIGURE_TITLES[name].test(f.title));
  if (!fig) throw new Error(`this run has no "${name}" figure`);
  return fig;
}

/** The accuracy table (mean ± sd [95%] per configuration and group). */
export function sftVsDpoAccuracy(r: SftVsDpoRecord): Block {
  return accuracyTable(r);
}

/** The paired-comparison table (A − B per group, interval, verdict). */
export function sftVsDpoComparisons(r: SftVsDpoRecord): Block {
  return comparisonTable(r);
}

/** The claims that the SFT-vs-DPO experiment measures, with the report's verdicts. */
export function sftVsDpoClaimsOf(run: SftVsDpoRun): Claim[] {
  const measured = new Set(
    CLAIMS.filter((c) => c.experiment === "sft-vs-dpo").map((c) => c.claim),
  );
  return reproduceClaims(run.results).filter((c) => measured.has(c.claim));
}
