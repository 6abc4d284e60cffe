/**
 * Pretraining of a preset: world → E0 stages (vision encoders) → L0 stages (language
 * models), each through `runStage`, so finished stages are skipped and interrupted ones
 * resume. Returns the stage outputs and one summary row per stage.
 *
 * E0 stage definitions come from `src/train/e0/mod.ts`, which must export
 * `e0Stages(protocol: PretrainProtocol, world: World): StageDef[]` whose metrics carry the
 * common summary fields (`StageSummaryFields`). Until that module lands, E0 is reported as
 * pending and only L0 runs.
 * @module
 */

import { join } from "node:path";
import { loadOrGenerateWorld, type World } from "../world/world.ts";
import type { PretrainProtocol } from "../protocol/presets.ts";
import { l0Config, l0Stage } from "./l0.ts";
import { type RunOptions, runStage, type StageDef, type StageOutput } from "./stage.ts";
import { sync } from "../gpu/batch.ts";
import { trimPool } from "../gpu/pool.ts";

/** The quality check of a stage: a metric and the chance level it must beat. */
export interface StageQuality {
  /** e.g. "held-out perplexity", "retrieval@1 (image→text)". */
  metric: string;
  value: number;
  chance: number;
  /** Whether larger values are better (retrieval) or smaller (perplexity). */
  higherIsBetter: boolean;
}

/** Fields every pretraining stage's metrics carry, for the summary table. */
export interface StageSummaryFields {
  params: number;
  samples: number;
  flops: number;
  trainSeconds: number;
  firstLoss: number;
  finalLoss: number;
  quality: StageQuality;
}

/** One row of the pretraining summary. */
export interface StageSummary extends StageSummaryFields {
  stage: string;
  key: string;
  cached: boolean;
  /** Wall seconds of the stage (training + evaluation + saving) when it ran. */
  seconds: number;
  /** The quality check passed: better than chance. */
  beatsChance: boolean;
}

/** What pretraining produced. */
export interface PretrainResult {
  world: World;
  e0: StageOutput[];
  l0: StageOutput[];
  summary: StageSummary[];
  /** Why E0 did not run, when its module has not landed. */
  e0Pending: string | null;
}

/** Options of `pretrain`. */
export interface PretrainOptions {
  out: string;
  /** Where worlds are cached (default `<out>/world`). */
  worldRoot?: string;
  force?: string[];
  log?: (line: string) => void;
  /** Test hook (see RunOptions). */
  stopAfterSteps?: number;
}

type E0Module = { e0Stages: (p: PretrainProtocol, w: World) => StageDef[] };

/** Loads the E0 stage definitions, or says why they are not available. */
async function loadE0(): Promise<E0Module | string> {
  const specifier = new URL("./e0/mod.ts", import.meta.url).href;
  try {
    const mod = (await import(specifier)) as Partial<E0Module>;
    if (typeof mod.e0Stages !== "function") {
      return "src/train/e0/mod.ts does not export e0Stages(protocol, world) yet";
    }
    return mod as E0Module;
  } catch (e) {
    if (e instanceof TypeError && /Module not found|Cannot load module/i.test(e.message)) {
      return "src/train/e0/mod.ts has not landed yet";
    }
    throw e;
  }
}

/** The summary row of a finished stage. */
export function summarise(o: StageOutput): StageSummary {
  const m = o.metrics as unknown as StageSummaryFields;
  const q = m.quality;
  const beats = q ? (q.higherIsBetter ? q.value > q.chance : q.value < q.chance) : false;
  return {
    stage: o.name,
    key: o.key.slice(0, 16),
    cached: o.cached,
    seconds: o.seconds,
    params: m.params,
    samples: m.samples,
    flops: m.flops,
    trainSeconds: m.trainSeconds,
    firstLoss: m.firstLoss,
    finalLoss: m.finalLoss,
    quality: q,
    beatsChance: beats,
  };
}

/** The L0 stage definitions of a protocol. */
export function l0Stages(p: PretrainProtocol, world: World): StageDef[] {
  return p.l0.map((spec) => {
    const lm = p.lms[spec.lm];
    if (!lm) throw new Error(`protocol ${p.preset}: L0 uses ${spec.lm}, which has no size`);
    const cfg = l0Config(spec, lm, p.world, {
      logEvery: p.logEvery,
      checkpointEvery: p.checkpointEvery,
    });
    return l0Stage(cfg, world) as unknown as StageDef;
  });
}

/**
 * Runs one stage, then returns the pooled GPU memory it left (the pool recycles by exact
 * size, so the next stage's shapes would not reuse it).
 */
async function runAndTrim(def: StageDef, run: RunOptions): Promise<StageOutput> {
  const out = await runStage(def, run);
  await sync();
  trimPool();
  return out;
}

/** Runs (or loads) every pretraining stage of a protocol. */
export async function pretrain(
  p: PretrainProtocol,
  opts: PretrainOptions,
): Promise<PretrainResult> {
  const log = opts.log ?? ((line: string) => console.error(line));
  const world = await loadOrGenerateWorld(
    p.world.preset,
    p.world.seed,
    opts.worldRoot ?? join(opts.out, "world"),
    {
      onSplit: (name, seconds, generated, count) => {
        if (generated) log(`world: generated ${name} (${count} items) in ${seconds.toFixed(1)} s`);
      },
    },
  );
  const run: RunOptions = {
    out: opts.out,
    force: opts.force,
    log,
    stopAfterSteps: opts.stopAfterSteps,
  };
  const e0: StageOutput[] = [];
  const e0Module = await loadE0();
  const e0Pending = typeof e0Module === "string" ? e0Module : null;
  if (typeof e0Module === "string") log(`E0 pending: ${e0Module}; running L0 only`);
  else for (const def of e0Module.e0Stages(p, world)) e0.push(await runAndTrim(def, run));
  const l0: StageOutput[] = [];
  for (const def of l0Stages(p, world)) l0.push(await runAndTrim(def, run));
  return { world, e0, l0, summary: [...e0, ...l0].map(summarise), e0Pending };
}
