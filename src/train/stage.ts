/**
 * Stages: a stage is a name, a plain-JSON config, the outputs of the stages it reads, and a
 * `run` function (usually: build a model, call `trainLoop`, save the final checkpoint, return
 * metrics). `runStage` gives it a folder keyed by a hash of all of that, so
 *
 * - a stage whose `done.json` exists is skipped and its metrics are loaded ("cached");
 * - a stage interrupted mid-run finds its `partial/` checkpoint and resumes (the loop does
 *   this when given `ctx.partialDir`);
 * - changing the config, or any input's key, changes the key, so downstream stages re-run;
 * - after a stop request (Ctrl-C, `requestStop`) no further stage starts: the run ends with
 *   `StageInterrupted` at the next stage boundary (a training stage stops at its next step).
 *
 * Folder: `<out>/stages/<name>/<key16>/` with `checkpoint/` (the final model, safetensors),
 * `metrics.json`, `config.json`, and `done.json`, written last (temp file + rename).
 * @module
 */

import { createHash } from "node:crypto";
import { join } from "node:path";
import {
  IntegrityError,
  readJsonVerified,
  writeJsonAtomic as writeHashedJson,
} from "../io/atomic.ts";
import { stopIfRequested } from "./loop.ts";

/** Bump when the meaning of a stage folder changes: every key changes with it. */
export const STAGE_FORMAT_VERSION = 1;

/** Plain JSON: what a config (and metrics) may contain. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Whatever a stage reports; stored as `metrics.json`. */
export type Metrics = Record<string, unknown>;

/** The result of a finished stage, as later stages and reports see it. */
export interface StageOutput<M extends Metrics = Metrics> {
  name: string;
  /** Full SHA-256 key (hex). */
  key: string;
  /** The stage folder `<out>/stages/<name>/<key16>`. */
  dir: string;
  /** The final checkpoint folder (`dir/checkpoint`; may be absent for eval-only stages). */
  checkpointDir: string;
  config: Json;
  metrics: M;
  /** True when the result was loaded from disk rather than computed now. */
  cached: boolean;
  /** Wall seconds of the run that produced it (the original run, when cached). */
  seconds: number;
}

/** What `runStage` hands a stage's `run`. */
export interface StageContext {
  name: string;
  key: string;
  config: Json;
  inputs: StageOutput[];
  /** The stage folder. */
  dir: string;
  /** Where the final checkpoint goes (pass to `saveCheckpoint`). */
  checkpointDir: string;
  /** Where the loop keeps its resumable checkpoint (removed when the stage is done). */
  partialDir: string;
  /** Test hook: the loop stops (checkpointing first) after this many steps in this process. */
  stopAfterSteps?: number;
  /** Progress and log lines. */
  log: (line: string) => void;
}

/** A stage: data (name, config, inputs) plus the function that computes it. */
export interface StageDef<M extends Metrics = Metrics> {
  name: string;
  config: Json;
  inputs?: StageOutput[];
  run(ctx: StageContext): Promise<M>;
}

/** Where and how stages run. */
export interface RunOptions {
  /** Output root; stages live under `<out>/stages/`. */
  out: string;
  /** Stage names to recompute even if done (`"all"` recomputes every stage). */
  force?: Iterable<string>;
  /** Test hook forwarded to `StageContext.stopAfterSteps`. */
  stopAfterSteps?: number;
  /** Log sink (default: console.error). */
  log?: (line: string) => void;
}

/** JSON with object keys sorted, so equal configs hash equally whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") {
    if (typeof value === "number" && !Number.isFinite(value)) {
      throw new Error(`canonicalJson: ${value} is not JSON`);
    }
    if (value === undefined || typeof value === "function" || typeof value === "bigint") {
      throw new Error(`canonicalJson: ${typeof value} is not JSON`);
    }
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}

/** The cache key of a stage: SHA-256 of its name, config, input keys and the format version. */
export function stageKey(def: Pick<StageDef, "name" | "config" | "inputs">): string {
  const text = canonicalJson({
    name: def.name,
    config: def.config,
    inputs: (def.inputs ?? []).map((i) => ({ name: i.name, key: i.key })),
    version: STAGE_FORMAT_VERSION,
  });
  return createHash("sha256").update(text).digest("hex");
}

/** The folder of a stage under an output root. */
export function stageDir(out: string, name: string, key: string): string {
  return join(out, "stages", name, key.slice(0, 16));
}

/** The remedy named with every damaged or mismatched stage file. */
export function stageRemedy(name: string, dir: string): string {
  return `delete ${dir} or run with --force ${name} (other stages are kept)`;
}

async function readJson<T>(path: string, remedy: string): Promise<T | null> {
  return await readJsonVerified<T>(path, remedy);
}

/**
 * Writes JSON atomically with its SHA-256 sidecar (src/io/atomic.ts: temp file in the same
 * folder, fsync, rename, fsync of the folder).
 */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeHashedJson(path, value);
}

interface DoneRecord {
  format: number;
  name: string;
  key: string;
  seconds: number;
  finishedAt: string;
}

/**
 * Runs a stage unless its result exists (then loads it). A stage named in `opts.force` is
 * recomputed from scratch (its folder, partial checkpoint included, is removed first).
 * Stage names must be plain folder names.
 */
export async function runStage<M extends Metrics>(
  def: StageDef<M>,
  opts: RunOptions,
): Promise<StageOutput<M>> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(def.name)) {
    throw new Error(`stage name "${def.name}" must be a plain folder name`);
  }
  const log = opts.log ?? ((line: string) => console.error(line));
  const key = stageKey(def);
  const dir = stageDir(opts.out, def.name, key);
  const checkpointDir = join(dir, "checkpoint");
  const donePath = join(dir, "done.json");
  const force = new Set(opts.force ?? []);
  if (force.has(def.name) || force.has("all")) {
    await Deno.remove(dir, { recursive: true }).catch((e) => {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    });
  }
  const remedy = stageRemedy(def.name, dir);
  const done = await readJson<DoneRecord>(donePath, remedy);
  if (done) {
    if (done.name !== def.name || done.key !== key || done.format !== STAGE_FORMAT_VERSION) {
      throw new IntegrityError(
        donePath,
        `belongs to another stage (name ${JSON.stringify(done.name)}, key ${
          String(done.key).slice(0, 16)
        }, format ${done.format}; expected ${def.name}, ${key.slice(0, 16)}, ` +
          `${STAGE_FORMAT_VERSION})`,
        remedy,
      );
    }
    const metrics = await readJson<M>(join(dir, "metrics.json"), remedy);
    if (!metrics) {
      throw new IntegrityError(join(dir, "metrics.json"), "is missing (done.json exists)", remedy);
    }
    log(`stage ${def.name} [${key.slice(0, 16)}]: cached (${dir})`);
    return {
      name: def.name,
      key,
      dir,
      checkpointDir,
      config: def.config,
      metrics,
      cached: true,
      seconds: done.seconds,
    };
  }
  stopIfRequested(def.name);
  await Deno.mkdir(dir, { recursive: true });
  await writeJsonAtomic(join(dir, "config.json"), {
    name: def.name,
    config: def.config,
    inputs: (def.inputs ?? []).map((i) => ({ name: i.name, key: i.key })),
    version: STAGE_FORMAT_VERSION,
  });
  const ctx: StageContext = {
    name: def.name,
    key,
    config: def.config,
    inputs: def.inputs ?? [],
    dir,
    checkpointDir,
    partialDir: join(dir, "partial"),
    stopAfterSteps: opts.stopAfterSteps,
    log,
  };
  log(`stage ${def.name} [${key.slice(0, 16)}]: running (${dir})`);
  const start = performance.now();
  let metrics: M;
  try {
    metrics = await def.run(ctx);
  } catch (e) {
    // A damaged or mismatched checkpoint/file met while running: name the remedy once.
    const damaged = e instanceof IntegrityError ||
      (e instanceof Error && e.name === "CheckpointError");
    if (damaged && !/--force/.test((e as Error).message)) {
      (e as Error).message = `stage ${def.name}: ${(e as Error).message}\n  remedy: ${remedy}`;
    }
    throw e;
  }
  const seconds = (performance.now() - start) / 1000;
  await writeJsonAtomic(join(dir, "metrics.json"), metrics);
  const record: DoneRecord = {
    format: STAGE_FORMAT_VERSION,
    name: def.name,
    key,
    seconds,
    finishedAt: new Date().toISOString(),
  };
  await writeJsonAtomic(donePath, record);
  for (const suffix of ["", "-next", "-old"]) {
    await Deno.remove(ctx.partialDir + suffix, { recursive: true }).catch(() => {});
  }
  return {
    name: def.name,
    key,
    dir,
    checkpointDir,
    config: def.config,
    metrics,
    cached: false,
    seconds,
  };
}
