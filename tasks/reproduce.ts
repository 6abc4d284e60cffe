/**
 * `deno task reproduce`: the paper's end-to-end reproduction, part by part in dependency
 * order: pretraining (E0 encoders, L0 language models), SFT vs DPO
 * (src/experiments/sft_vs_dpo.ts, results.json `sftVsDpo`), then PIVOT
 * (src/experiments/pivot.ts, `pivot`; it takes SFT vs DPO's selected Stage-2 lrs, so it runs
 * after it). `--only X` runs X and what X depends on. A run of every part says which parts are
 * not built yet and exits non-zero, so nobody mistakes it for a full reproduction. Every run
 * ends by writing `<out>/report.html` and `<out>/figures/*.png`
 * (src/report/reproduce_report.ts). Finished stages are cached under `<out>/stages/`; Ctrl-C
 * checkpoints the running stage.
 */

import { join } from "node:path";
import { exitWithError, integerFlag, parseFlags } from "../src/cli/args.ts";
import { initGpuOrExit } from "../src/gpu/device.ts";
import { pretrainProtocol } from "../src/protocol/presets.ts";
import { pretrain, type StageSummary } from "../src/train/pretrain.ts";
import { requestStop, StageInterrupted } from "../src/train/loop.ts";
import { writeJsonAtomic } from "../src/train/stage.ts";
import { acquireOutputLock, LockHeldError } from "../src/io/lock.ts";
import { writeFileAtomic } from "../src/io/atomic.ts";
import {
  accuracyTable,
  comparisonTable,
  runSftVsDpo,
  type SftVsDpoConditions,
  type SftVsDpoResult,
} from "../src/experiments/sft_vs_dpo.ts";
import { runPivot } from "../src/experiments/pivot.ts";
import { readSavedStage2Lrs, type SavedStage2Lrs } from "../src/experiments/saved_lrs.ts";
import { type ProbesResult, runProbes } from "../src/experiments/probes.ts";
import { probesRecord } from "../src/report/probe_views.ts";
import type { PivotResult } from "../src/experiments/pivot.ts";
import { formatTextTable } from "../src/report/display.ts";
import { type Block, renderReport } from "../src/report/html.ts";
import { pivotComparisonTable, pivotTable } from "../src/report/pivot_views.ts";
import { writeReproduceReport } from "../src/report/reproduce_report.ts";

const USAGE = "deno task reproduce [--preset tiny|small|paper] " +
  "[--only pretrain|sft-vs-dpo|probes|pivot] [--out DIR] [--seeds N] [--force STAGES] " +
  "[--lrs-from RESULTS.json] [--conditions all|primary]";
/**
 * What `--only` accepts, in dependency order: SFT vs DPO needs pretraining; the probes
 * (linear, segmentation, gradient maps, scaling sweeps) and PIVOT need SFT vs DPO (its
 * encoders, its selected lrs). `--only probes` does not run PIVOT; `--only pivot` does not
 * run the probes, and with `--lrs-from` it takes SFT vs DPO's selected lrs from an earlier
 * run's results.json instead of running SFT vs DPO.
 */
const BUILT = ["pretrain", "sft-vs-dpo", "probes", "pivot"] as const;

const flags = parseFlags(Deno.args, {
  preset: {
    type: "string",
    default: "small",
    choices: ["tiny", "small", "paper"],
    description: "protocol preset",
  },
  seeds: {
    type: "string",
    description: "seeds per comparison after pretraining (default: the protocol's own)",
  },
  out: { type: "string", description: "output folder (default: runs/<preset>)" },
  only: {
    type: "string",
    description: `run one part and the parts it needs: ${BUILT.join(", ")}`,
  },
  force: { type: "string", description: "recompute these stages (comma-separated, or all)" },
  conditions: {
    type: "string",
    default: "all",
    choices: ["all", "primary"],
    description: "SFT vs DPO: every condition, or the tuned comparison only (no paper ratio, " +
      "clear answers, data sizes)",
  },
  "lrs-from": {
    type: "string",
    description: "with --only pivot: SFT vs DPO's selected lrs from this earlier results.json",
  },
}, USAGE);

const preset = flags.preset as string;
/** --seeds overrides the protocols' seed counts only when given. */
const seeds = flags.seeds === undefined ? undefined : integerFlag(flags, "seeds", USAGE);
const out = (flags.out as string | undefined) ?? join("runs", preset);
const only = flags.only as string | undefined;
type Part = (typeof BUILT)[number];
const lrsFrom = flags["lrs-from"] as string | undefined;
const NEEDS: Record<Part, Part[]> = {
  "pretrain": [],
  "sft-vs-dpo": ["pretrain"],
  "probes": ["pretrain", "sft-vs-dpo"],
  "pivot": lrsFrom === undefined ? ["pretrain", "sft-vs-dpo"] : ["pretrain"],
};
/** Whether part `p` runs: every part without --only, else --only's part and what it needs. */
const runs = (p: Part) => only === undefined || only === p || NEEDS[only as Part].includes(p);
const force = typeof flags.force === "string" ? flags.force.split(",").filter(Boolean) : [];
if (only !== undefined && !(BUILT as readonly string[]).includes(only)) {
  exitWithError(`--only: unknown part "${only}". Built: ${BUILT.join(", ")}.`, USAGE);
}
if (lrsFrom !== undefined && only !== "pivot") {
  exitWithError("--lrs-from is for --only pivot (other parts run SFT vs DPO themselves)", USAGE);
}
let savedLrs: SavedStage2Lrs | undefined;
if (lrsFrom !== undefined) {
  try {
    savedLrs = await readSavedStage2Lrs(lrsFrom, preset);
  } catch (e) {
    exitWithError((e as Error).message, USAGE);
  }
}

// One run per output folder (src/io/lock.ts); a stale lock of a killed run is taken over.
try {
  const lock = acquireOutputLock(out, `reproduce ${Deno.args.join(" ")}`);
  if (lock.tookOver) console.error(lock.tookOver);
} catch (e) {
  console.error(`pivotlab: ${(e as Error).message}`);
  Deno.exit(e instanceof LockHeldError ? 75 : 1);
}

const gpu = await initGpuOrExit();
const protocol = pretrainProtocol(preset);
// Test hook (tests/reliability): a checkpoint interval for every stage; it is part of the keys.
const checkpointEvery = Deno.env.get("PIVOTLAB_CHECKPOINT_EVERY");
if (checkpointEvery) {
  if (!/^[1-9]\d*$/.test(checkpointEvery)) {
    exitWithError(`PIVOTLAB_CHECKPOINT_EVERY must be a positive integer`, USAGE);
  }
  protocol.checkpointEvery = Number(checkpointEvery);
}
let interrupted = false;
Deno.addSignalListener("SIGINT", () => {
  if (interrupted) Deno.exit(130); // second Ctrl-C: quit now; the last checkpoint is kept
  interrupted = true;
  console.error("\ninterrupt: stopping after the current step (Ctrl-C again to quit at once)");
  requestStop();
});

async function gitCommit(): Promise<string | null> {
  try {
    const r = await new Deno.Command("git", { args: ["rev-parse", "HEAD"], stderr: "null" })
      .output();
    if (r.code !== 0) return null;
    const dirty = await new Deno.Command("git", {
      args: ["status", "--porcelain", "--untracked-files=no"],
      stderr: "null",
    }).output();
    const head = new TextDecoder().decode(r.stdout).trim();
    return new TextDecoder().decode(dirty.stdout).trim() ? `${head}+dirty` : head;
  } catch {
    return null;
  }
}

function fmt(n: number, digits = 3): string {
  if (!Number.isFinite(n)) return String(n);
  if (Math.abs(n) >= 1e5) return n.toExponential(2);
  return Number(n.toPrecision(digits)).toString();
}

function table(rows: StageSummary[]): string {
  const head = [
    "stage",
    "params",
    "samples",
    "GFLOP",
    "train s",
    "loss first→last",
    "quality",
    "vs chance",
    "cached",
  ];
  const body = rows.map((r) => [
    r.stage,
    fmt(r.params),
    String(r.samples),
    fmt(r.flops / 1e9),
    fmt(r.trainSeconds),
    `${fmt(r.firstLoss)} → ${fmt(r.finalLoss)}`,
    r.quality ? `${r.quality.metric} ${fmt(r.quality.value)}` : "-",
    r.quality ? `${fmt(r.quality.chance)} ${r.beatsChance ? "beaten" : "NOT beaten"}` : "-",
    r.cached ? "yes" : "no",
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join("  ");
  return [line(head), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(line)].join("\n");
}

/**
 * Runs one part; an interrupted stage (Ctrl-C) exits 130 with its resume line, any other
 * error exits 1 naming the part. Finished stages stay cached either way.
 */
async function part<T>(name: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof StageInterrupted) {
      console.error(e.message);
      Deno.exit(130);
    }
    console.error(`pivotlab: ${name ? `${name}: ` : ""}${(e as Error).message}`);
    Deno.exit(1);
  }
}

const started = performance.now();
const result = await part("", () => pretrain(protocol, { out, force }));
const seconds = (performance.now() - started) / 1000;
const unknownForced = force.filter((f) =>
  f !== "all" && !result.summary.some((r) => r.stage === f)
);
if (unknownForced.length > 0) {
  console.error(
    `warning: --force named ${unknownForced.join(", ")}, which is not a stage here ` +
      `(stages: ${result.summary.map((r) => r.stage).join(", ")})`,
  );
}

console.log(`\npretraining, preset ${preset} (${gpu.adapterName}), ${seconds.toFixed(1)} s`);
console.log(table(result.summary));
for (const o of result.l0) {
  const m = o.metrics as {
    heldOut: { perplexity: number };
    chance: { uniform: number; unigram: number };
  };
  console.log(
    `${o.name}: held-out perplexity ${
      fmt(m.heldOut.perplexity, 4)
    }; chance: uniform ${m.chance.uniform}, ` +
      `unigram ${fmt(m.chance.unigram, 4)}`,
  );
}
if (result.e0Pending) console.log(`E0 not run: ${result.e0Pending}`);

// SFT vs DPO (src/experiments/sft_vs_dpo.ts) after pretraining: with --only sft-vs-dpo and in
// the default run.
/** A table block as plain text for the terminal. */
const text = (b: Block) => b.kind === "table" ? formatTextTable(b.columns, b.rows) : "";
let sftVsDpo: SftVsDpoResult | { pending: string } | null = null;
let probes: ProbesResult | null = null;
let pivot: PivotResult | null = null;
/**
 * Writes results.json and report.html from the parts finished so far: after each part (so a
 * run stopped later keeps what it computed; parts still to come count as missing) and at the
 * end (`final`: prints the claims; a report that cannot be written fails the run).
 */
async function writeResults(final: boolean): Promise<void> {
  const missing = [
    ...(sftPending && runs("sft-vs-dpo") ? ["sft-vs-dpo"] : []),
    ...(runs("probes") && probes === null ? ["probes"] : []),
    ...(runs("pivot") && pivot === null ? ["pivot"] : []),
  ];
  await Deno.mkdir(out, { recursive: true });
  await writeJsonAtomic(join(out, "results.json"), {
    pivotlab: "0.1.0",
    preset,
    /** --seeds when given (null: every part used its protocol's seeds). */
    seeds: seeds ?? null,
    only: only ?? null,
    /** --lrs-from: the earlier results.json whose SFT-vs-DPO lrs PIVOT used (null: none). */
    lrsFrom: lrsFrom ?? null,
    /** Everything asked for (`--only`) ran; `fullReproduction` is the paper as a whole. */
    complete: missing.length === 0 && !result.e0Pending,
    /** Every part of the paper ran (no --only) and completed. */
    fullReproduction: only === undefined && missing.length === 0 && !result.e0Pending,
    notBuilt: [],
    finished: new Date().toISOString(),
    e0Pending: result.e0Pending,
    environment: {
      deno: Deno.version.deno,
      v8: Deno.version.v8,
      adapter: gpu.adapterName,
      os: Deno.build.os,
      arch: Deno.build.arch,
      cores: navigator.hardwareConcurrency,
      commit: await gitCommit(),
    },
    protocol,
    seconds,
    /** Wall seconds of this whole command (every part, cached ones included). */
    totalSeconds: (performance.now() - started) / 1000,
    summary: result.summary,
    stages: [...result.e0, ...result.l0].map((o) => ({
      name: o.name,
      key: o.key,
      dir: o.dir,
      cached: o.cached,
      seconds: o.seconds,
      config: o.config,
      metrics: o.metrics,
    })),
    sftVsDpo: sftVsDpo === null
      ? null
      : "pending" in sftVsDpo
      ? sftVsDpo
      : { ...sftVsDpo, report: { claims: sftVsDpo.report.claims } },
    probes: probes === null ? null : probesRecord(probes),
    pivot: pivot === null ? null : { ...pivot, report: undefined },
  });
  console.log(`wrote ${join(out, "results.json")}`);
  try {
    const report = await writeReproduceReport(out); // src/report/reproduce_report.ts
    console.log(
      `wrote ${report.html} and ${report.figures.length} figures in ${join(out, "figures")}`,
    );
    if (!final) return;
    console.log("\nclaims (each verdict computed from results.json; details in report.html):");
    for (const c of report.claims) {
      const m = c.verdict === "not run yet" ? "" : ` — ${c.measured}`;
      console.log(`  ${c.id} [${c.verdict}] ${c.claim}${m}`);
    }
  } catch (e) {
    console.error(`pivotlab: report.html not written: ${(e as Error).message}`);
    if (final) Deno.exit(1);
  }
}
if (runs("sft-vs-dpo")) {
  sftVsDpo = await part("sft-vs-dpo", () =>
    runSftVsDpo(result, preset, {
      out,
      force,
      seeds,
      conditions: flags.conditions as SftVsDpoConditions,
    }));
  if ("pending" in sftVsDpo) console.log(`\nSFT vs DPO not run: ${sftVsDpo.pending}`);
  else {
    console.log(
      `\nSFT vs DPO, preset ${preset}, seeds ${sftVsDpo.seeds.join(", ")} ` +
        `(${sftVsDpo.seconds.toFixed(1)} s)`,
    );
    console.log(text(accuracyTable(sftVsDpo)));
    console.log(text(comparisonTable(sftVsDpo)));
    const page = await renderReport({
      title: `pivotlab — SFT vs DPO (${preset})`,
      subtitle: `seeds ${sftVsDpo.seeds.join(", ")}; ${gpu.adapterName}`,
      sections: sftVsDpo.report.sections,
    });
    await Deno.mkdir(out, { recursive: true });
    await writeFileAtomic(join(out, "sft-vs-dpo.html"), new TextEncoder().encode(page), {
      sidecar: false,
    });
    console.log(`wrote ${join(out, "sft-vs-dpo.html")}`);
    if (!sftVsDpo.allLossesFell) {
      console.error("warning: a Stage 1/2 loss did not fall (see stages in results.json)");
    }
  }
}
const sftPending = sftVsDpo !== null && "pending" in sftVsDpo;
if (sftVsDpo !== null && !sftPending && (runs("probes") || runs("pivot"))) {
  await writeResults(false);
}

// The encoder analyses (src/experiments/probes.ts) on SFT vs DPO's encoders.
if (runs("probes") && sftVsDpo !== null && !sftPending) {
  probes = await part(
    "probes",
    () => runProbes(result, sftVsDpo as SftVsDpoResult, preset, { out, force }),
  );
  console.log(`\nencoder analyses, preset ${preset} (${probes.seconds.toFixed(1)} s)`);
  if (runs("pivot")) await writeResults(false);
}

// PIVOT (src/experiments/pivot.ts) after SFT vs DPO, whose selected Stage-2 lrs it uses.
// With --lrs-from, SFT vs DPO did not run here and its lrs come from the earlier run.
if (runs("pivot") && (savedLrs !== undefined || (sftVsDpo !== null && !sftPending))) {
  const sv = sftVsDpo as SftVsDpoResult | null;
  const stage2Lr = savedLrs ?? { sft: sv!.lr.tuned.sft, dpo: sv!.lr.tuned.dpo };
  pivot = await part("pivot", () => runPivot(result, preset, { out, force, seeds, stage2Lr }));
  console.log(
    `\nPIVOT, preset ${preset}, Stage-3 seeds ${pivot.seeds.join(", ")} ` +
      `(${pivot.seconds.toFixed(1)} s)`,
  );
  console.log(text(pivotTable(pivot)));
  console.log(text(pivotComparisonTable(pivot)));
  if (!pivot.allLossesFell) {
    console.error("warning: a PIVOT stage loss did not fall (see pivot.stages in results.json)");
  }
}

await writeResults(true);

if (result.summary.some((r) => !r.beatsChance)) {
  console.error("pivotlab: a pretraining stage did not beat chance (see the table)");
  Deno.exit(1);
}
if (result.e0Pending) {
  console.error(`pivotlab: pretraining is incomplete: E0 ${result.e0Pending}`);
  Deno.exit(3);
}
if (sftPending) {
  console.error(
    `pivotlab: sft-vs-dpo is not built yet: ${(sftVsDpo as { pending: string }).pending}`,
  );
  Deno.exit(4);
}
