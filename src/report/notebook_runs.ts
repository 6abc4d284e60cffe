/**
 * Where notebooks 03 (encoder probing) and 04 (PIVOT) get their results: the `results.json`
 * of a `deno task reproduce` run when it holds the experiment; otherwise the experiment is run
 * here, as `reproduce` would run it, through the library's `runProbes` / `runPivot`:
 *
 * - in the reproduce folder itself when it holds the SFT-vs-DPO run the experiment builds on
 *   (its stages are then cache hits, and the new stages are the very ones a later
 *   `reproduce` would compute there, under the same keys);
 * - else in the notebooks' own folder (`fallbackDir`), after the preset's pretraining and
 *   SFT vs DPO there (notebook 02 runs the same stages in the same folder, so they are shared).
 *
 * Either way the folder's output lock is held while writing, so a running `reproduce` on the
 * same folder is never written into (its lock makes this fail, naming it). Only `tiny` is run
 * here (minutes); other presets must come from a `reproduce` run, and say so.
 * @module
 */

import { join, resolve } from "node:path";
import { getGpu } from "../gpu/device.ts";
import { acquireOutputLock } from "../io/lock.ts";
import { pretrainProtocol } from "../protocol/presets.ts";
import { pretrain, type PretrainResult } from "../train/pretrain.ts";
import { runSftVsDpo } from "../experiments/sft_vs_dpo.ts";
import { runPivot } from "../experiments/pivot.ts";
import { runProbes } from "../experiments/probes.ts";
import { type ReproduceResults, sftVsDpoOf, type SftVsDpoRecord } from "./reproduce_report.ts";
import { pivotOf, type PivotRecord } from "./pivot_claims.ts";
import { probesOf, type WithProbes } from "./probe_claims.ts";
import type { ProbesRecord } from "./probe_views.ts";

/** Where a notebook's results come from. */
export interface NotebookRunOptions {
  preset: string;
  /** A `reproduce` output folder (PIVOTLAB_RESULTS), if any. */
  resultsDir?: string;
  /** The notebooks' own folder, used when `resultsDir` holds no SFT-vs-DPO run. */
  fallbackDir: string;
  /** Progress lines of the stages run here (default: none). */
  log?: (line: string) => void;
}

/** An experiment's record and how it was obtained, in one line for the notebook to print. */
export interface NotebookRecord<R> {
  record: R;
  /** The folder whose stages produced it. */
  dir: string;
  /** "read" from results.json, or "ran" here. */
  source: "read" | "ran";
  /** A sentence saying where the numbers come from. */
  how: string;
}

async function readResults(dir: string | undefined): Promise<ReproduceResults | null> {
  if (!dir) return null;
  try {
    return JSON.parse(await Deno.readTextFile(join(dir, "results.json")));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

/** What the experiments build on: pretraining and the SFT-vs-DPO record of one folder. */
interface Base {
  dir: string;
  pre: PretrainResult;
  sftVsDpo: SftVsDpoRecord;
  where: string;
}

/** Runs `fn` on the base folder with its output lock held. */
async function withBase<T>(
  opts: NotebookRunOptions,
  results: ReproduceResults | null,
  what: string,
  fn: (base: Base, log: (line: string) => void) => Promise<T>,
): Promise<T> {
  const log = opts.log ?? (() => {});
  if (opts.preset !== "tiny") {
    // Beyond tiny these take an hour or more here: longer than a notebook cell may run.
    throw new Error(
      `the ${opts.preset} ${what} results are not in ${
        opts.resultsDir ? `${opts.resultsDir}/results.json` : "a reproduce run (PIVOTLAB_RESULTS)"
      }, and computing them here would take far longer than a notebook cell may run: run ` +
        `\`deno task reproduce --preset ${opts.preset}\` first, then point PIVOTLAB_RESULTS at ` +
        "its folder",
    );
  }
  const reproduced = results ? sftVsDpoOf(results) : null;
  const dir = resolve(reproduced ? opts.resultsDir! : opts.fallbackDir);
  await getGpu();
  const lock = acquireOutputLock(dir, `notebook: ${what} (${opts.preset})`);
  try {
    if (lock.tookOver) log(lock.tookOver);
    const pre = await pretrain(pretrainProtocol(opts.preset), { out: dir, log });
    let sftVsDpo = reproduced;
    if (!sftVsDpo) {
      const r = await runSftVsDpo(pre, opts.preset, { out: dir, log });
      if ("pending" in r) throw new Error(`SFT vs DPO cannot run here: ${r.pending}`);
      const { report: _report, ...record } = r;
      sftVsDpo = record;
    }
    const where = reproduced
      ? `the reproduce run in ${dir} (its SFT-vs-DPO stages reused)`
      : `${dir} (pretraining and SFT vs DPO run there first)`;
    return await fn({ dir, pre, sftVsDpo, where }, log);
  } finally {
    lock.release();
  }
}

/**
 * The PIVOT record for notebook 04: `results.pivot` of the reproduce run, or `runPivot` with
 * the SFT-vs-DPO run's selected Stage-2 lrs (as `reproduce` passes them).
 */
export async function pivotForNotebook(
  opts: NotebookRunOptions,
): Promise<NotebookRecord<PivotRecord>> {
  const results = await readResults(opts.resultsDir);
  const read = results ? pivotOf(results) : null;
  if (read) {
    return {
      record: read,
      dir: opts.resultsDir!,
      source: "read",
      how: `read the ${read.preset} PIVOT results of the reproduce run in ${opts.resultsDir}`,
    };
  }
  return await withBase(opts, results, "pivot", async (base, log) => {
    const { report: _report, ...record } = await runPivot(base.pre, opts.preset, {
      out: base.dir,
      log,
      stage2Lr: { sft: base.sftVsDpo.lr.tuned.sft, dpo: base.sftVsDpo.lr.tuned.dpo },
    });
    return {
      record,
      dir: base.dir,
      source: "ran" as const,
      how: `ran ${opts.preset} PIVOT (${record.seconds.toFixed(0)} s) in ${base.where}`,
    };
  });
}

/**
 * The encoder analyses for notebook 03: `results.probes` of the reproduce run, or `runProbes`
 * on the encoders of the SFT-vs-DPO run (which must live in the same folder).
 */
export async function probesForNotebook(
  opts: NotebookRunOptions,
): Promise<NotebookRecord<ProbesRecord>> {
  const results = await readResults(opts.resultsDir);
  const read = results ? probesOf(results as WithProbes) : null;
  if (read) {
    return {
      record: read,
      dir: opts.resultsDir!,
      source: "read",
      how: `read the ${read.preset} encoder analyses of the reproduce run in ${opts.resultsDir}`,
    };
  }
  return await withBase(opts, results, "probes", async (base, log) => {
    const { report: _report, ...record } = await runProbes(
      base.pre,
      base.sftVsDpo,
      opts.preset,
      { out: base.dir, log },
    );
    return {
      record,
      dir: base.dir,
      source: "ran" as const,
      how: `ran the ${opts.preset} encoder analyses (${record.seconds.toFixed(0)} s) in ` +
        base.where,
    };
  });
}
