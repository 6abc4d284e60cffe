/**
 * The one training loop every stage uses. Each step runs in `tidy`: batch(step) →
 * loss(batch, step) → backward → AdamW step at the schedule's learning rate → gradients
 * dropped → one submit. Nothing is read back between log points: each step's scalar loss
 * stays on the GPU and the window is read (with the optimizer's grad norms) in one readback
 * every `logEvery` steps, where a NaN/Inf loss stops the stage naming the step.
 *
 * Resumable: every `checkpoint.every` steps (and when stopped) the model, the optimizer and
 * the loop's own record (step, curve, samples, FLOPs, seconds, and the losses of a log
 * window a stop cut in two) are saved to `checkpoint.dir`; a later call with the same
 * options loads it and continues. Batches and dropout seeds must be pure functions of the
 * step (see `DataOrder`), so a resumed run ends bit-identical to an uninterrupted one, its
 * loss curve included: a checkpoint between log points adds no point to the curve.
 * @module
 */

import type { Module } from "../nn/module.ts";
import type { AdamW } from "../nn/adamw.ts";
import { cosineWarmup } from "../nn/schedule.ts";
import { loadCheckpoint, saveCheckpoint } from "../nn/checkpoint.ts";
import { noGrad, type Tensor } from "../tensor/tensor.ts";
import { keep, tidy } from "../tensor/scope.ts";
import { backward } from "../tensor/autograd.ts";
import { concat, reshape } from "../tensor/ops/shape_ops.ts";
import { flush } from "../gpu/batch.ts";
import { flopCount } from "../gpu/flops.ts";
import { Progress } from "./progress.ts";
import process from "node:process";

/** Learning-rate schedule: linear warm-up, cosine decay to `minLrRatio` of each group's lr. */
export interface ScheduleSpec {
  /** Warm-up as a fraction of the total steps (default 0). */
  warmupFraction?: number;
  /** Floor of the decay as a fraction of the peak (default 0). */
  minLrRatio?: number;
}

/** One point of the loss curve: the mean loss of the steps since the previous point. */
export interface LossPoint {
  /** Steps completed when read. */
  step: number;
  /** Mean loss over the window. */
  loss: number;
  /** Steps in the window. */
  window: number;
  /** Learning-rate multiplier of the window's last step. */
  lrFactor: number;
  /** Global gradient norm before / after clipping at the window's last step (if measured). */
  gradNorm?: { preClip: number; postClip: number };
}

/** Options of `trainLoop`. */
export interface TrainLoopOptions<B> {
  /** Stage name, for messages and progress. */
  name: string;
  model: Module;
  optimizer: AdamW;
  totalSteps: number;
  schedule?: ScheduleSpec;
  /** Samples per step (for samples seen and samples/s). */
  samplesPerStep: number;
  /** The batch of a step; must be a pure function of the step. May upload tensors. */
  batch: (step: number) => B | Promise<B>;
  /** The scalar loss of a batch (the step number seeds dropout). */
  loss: (batch: B, step: number) => Tensor;
  /** Read the losses every N steps (default: about 20 points per run). */
  logEvery?: number;
  /** Resumable checkpoints: folder and interval (a multiple of logEvery is cheapest). */
  checkpoint?: { dir: string; every: number };
  /** Test hook: stop after this many steps in this call (checkpointing first). */
  stopAfterSteps?: number;
  /** Progress display: false for none; default on (stderr). */
  progress?: boolean;
  /** Called at each log point (after the NaN check). */
  onLog?: (point: LossPoint) => void | Promise<void>;
  /** Log lines (resume notes); default console.error. */
  log?: (line: string) => void;
}

/** What a training run produced. */
export interface TrainResult {
  curve: LossPoint[];
  steps: number;
  samples: number;
  /** FLOPs declared by every dispatch of the training steps (evaluation excluded). */
  flops: number;
  dispatches: number;
  /** Wall seconds of all runs of this loop (a resumed run adds its earlier time). */
  seconds: number;
  /**
   * CPU seconds of this process (all threads, lavapipe's included) over the same runs: on a
   * shared machine a steadier measure of the work than wall time.
   */
  cpuSeconds: number;
  /** The step a checkpoint was resumed from, or null. */
  resumedFrom: number | null;
}

/** A loss became NaN or infinite. */
export class NonFiniteLossError extends Error {
  constructor(readonly stage: string, readonly step: number, value: number, checkpoint: string) {
    super(
      `stage ${stage}: loss is ${value} at step ${step}; training stopped. ${checkpoint}`,
    );
    this.name = "NonFiniteLossError";
  }
}

/**
 * The loss was finite but a gradient was not (read at a log point from the norms the
 * optimizer computes anyway; the per-parameter sums are read only then).
 */
export class NonFiniteGradientError extends Error {
  constructor(
    readonly stage: string,
    readonly step: number,
    readonly tensor: string,
    value: number,
    checkpoint: string,
  ) {
    super(
      `stage ${stage}: the gradient of ${tensor} is ${value} at step ${step} (the loss was ` +
        `finite); training stopped. ${checkpoint}`,
    );
    this.name = "NonFiniteGradientError";
  }
}

/**
 * A run stopped on request (Ctrl-C or a test's `stopAfterSteps`) after checkpointing, or
 * before a stage started (step null). The message is one line that says how to resume.
 */
export class StageInterrupted extends Error {
  constructor(
    readonly stage: string,
    readonly step: number | null,
    readonly checkpointDir?: string,
  ) {
    super(
      step === null
        ? `stopped before stage ${stage} started (finished stages are kept); run the same ` +
          `command to resume`
        : `stage ${stage}: stopped at step ${step}, ` +
          (checkpointDir ? `checkpointed in ${checkpointDir}` : "no checkpoint (it restarts)") +
          `; run the same command to resume`,
    );
    this.name = "StageInterrupted";
  }
}

let stopRequested = false;

/**
 * Asks the run to stop (e.g. on SIGINT): a running loop checkpoints and stops at the end of
 * its current step; `runStage` stops before starting the next stage.
 */
export function requestStop(): void {
  stopRequested = true;
}

/** Throws `StageInterrupted` (before `stage` starts) if a stop was requested. */
export function stopIfRequested(stage: string): void {
  if (!stopRequested) return;
  stopRequested = false;
  throw new StageInterrupted(stage, null);
}

/** Clears a stop request (tests). */
export function clearStopRequest(): void {
  stopRequested = false;
}

interface LoopRecord {
  step: number;
  curve: LossPoint[];
  samples: number;
  flops: number;
  dispatches: number;
  seconds: number;
  cpuSeconds: number;
  /**
   * Losses of the steps since the last curve point, when the checkpoint was saved between
   * log points (a stop); the next point averages them with the steps after the resume.
   */
  pending?: number[];
}

const FILES = ["", "-next", "-old"];

/** The newest complete checkpoint among dir, dir-next, dir-old (a crash can leave any). */
async function findCheckpoint(dir: string): Promise<string | null> {
  for (const suffix of FILES) {
    try {
      await Deno.stat(`${dir}${suffix}/meta.json`);
      return `${dir}${suffix}`;
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  }
  return null;
}

/** Saves to dir-next, then swaps it in, so `dir` is always a complete checkpoint or absent. */
async function saveResumable(
  dir: string,
  model: Module,
  optimizer: AdamW,
  record: LoopRecord,
): Promise<void> {
  const next = `${dir}-next`;
  const old = `${dir}-old`;
  await Deno.remove(next, { recursive: true }).catch(() => {});
  try {
    await saveCheckpoint(next, { model, optimizer, meta: { loop: record } });
  } catch (e) {
    await Deno.remove(next, { recursive: true }).catch(() => {}); // no half checkpoint left
    throw e;
  }
  await Deno.remove(old, { recursive: true }).catch(() => {});
  await Deno.rename(dir, old).catch((e) => {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  });
  await Deno.rename(next, dir);
  await Deno.remove(old, { recursive: true }).catch(() => {});
}

/** Removes a loop checkpoint and its temporary siblings. */
export async function removeResumable(dir: string): Promise<void> {
  for (const suffix of FILES) {
    await Deno.remove(`${dir}${suffix}`, { recursive: true }).catch(() => {});
  }
}

function detach(t: Tensor): Tensor {
  t.node = null;
  t.requiresGrad = false;
  return keep(t);
}

/** Runs (or resumes) a training loop; see the module comment. */
export async function trainLoop<B>(opts: TrainLoopOptions<B>): Promise<TrainResult> {
  const { name, model, optimizer, totalSteps } = opts;
  if (!(Number.isInteger(totalSteps) && totalSteps > 0)) {
    throw new Error(`stage ${name}: totalSteps must be a positive integer (got ${totalSteps})`);
  }
  const log = opts.log ?? ((line: string) => console.error(line));
  const logEvery = Math.max(1, opts.logEvery ?? Math.ceil(totalSteps / 20));
  const schedule = {
    totalSteps,
    warmupFraction: opts.schedule?.warmupFraction ?? 0,
    minLrRatio: opts.schedule?.minLrRatio ?? 0,
  };
  const measuresNorm = (optimizer.maxGradNorm ?? 0) > 0 || optimizer.trackGradNorm;

  let record: LoopRecord = {
    step: 0,
    curve: [],
    samples: 0,
    flops: 0,
    dispatches: 0,
    seconds: 0,
    cpuSeconds: 0,
  };
  let resumedFrom: number | null = null;
  if (opts.checkpoint) {
    const found = await findCheckpoint(opts.checkpoint.dir);
    if (found) {
      const meta = await loadCheckpoint(found, { model, optimizer });
      const saved = meta.meta.loop as LoopRecord | undefined;
      if (!saved || saved.step !== meta.step) {
        throw new Error(`stage ${name}: ${found} is not a training-loop checkpoint`);
      }
      record = { ...saved, cpuSeconds: saved.cpuSeconds ?? 0 };
      resumedFrom = saved.step;
      log(`stage ${name}: resuming from step ${saved.step}/${totalSteps} (${found})`);
    }
  }
  if (optimizer.stepCount !== record.step) {
    throw new Error(
      `stage ${name}: optimizer is at step ${optimizer.stepCount}, loop at ${record.step} ` +
        `(pass a fresh optimizer)`,
    );
  }

  model.train();
  const progress = opts.progress === false ? null : new Progress({
    stage: name,
    total: totalSteps,
    every: logEvery * Math.max(1, Math.round(totalSteps / logEvery / 10)),
    startStep: record.step,
  });
  const startStep = record.step;
  const t0 = performance.now();
  const secondsBefore = record.seconds;
  const cpuBefore = record.cpuSeconds;
  const cpu0 = process.cpuUsage();
  let window: Tensor[] = [];
  /** Losses already read of the current log window (a checkpoint read them early). */
  let pending: number[] = record.pending ?? [];
  let lastLoss = NaN;
  let lrFactor = 1;

  const checkpointNote = () =>
    opts.checkpoint
      ? `The last good checkpoint (step ${
        lastSavedStep ?? "none"
      }) stays in ${opts.checkpoint.dir}.`
      : "No checkpoint was kept.";
  let lastSavedStep: number | null = resumedFrom;

  /**
   * Reads the window (and grad norms) in one readback; throws on a non-finite loss. At a log
   * point the losses since the previous point become a curve point; otherwise (a checkpoint
   * between log points) they are kept in `pending` for the next one.
   */
  const readWindow = async (step: number, logPoint: boolean): Promise<void> => {
    if (window.length === 0) return;
    const parts = window.map((l) => reshape(l, [1]));
    const all = noGrad(() =>
      tidy(() => concat(measuresNorm ? [...parts, optimizer.gradNorms] : parts, 0))
    );
    const values = await all.data();
    all.dispose();
    for (const p of parts) p.dispose();
    for (const l of window) l.dispose();
    const n = window.length;
    window = [];
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(values[i])) {
        throw new NonFiniteLossError(name, step - n + i + 1, values[i], checkpointNote());
      }
      pending.push(values[i]);
    }
    if (measuresNorm && !Number.isFinite(values[n])) {
      // Only now (never per step): which parameter's gradient is non-finite.
      const sums = await optimizer.readGradSumsq();
      const names = new Map(model.namedParameters().map(([k, p]) => [p, k]));
      const bad = sums.find((s) => !Number.isFinite(s.sumsq));
      const tensor = bad ? (names.get(bad.param) ?? String(bad.param)) : "an unnamed parameter";
      throw new NonFiniteGradientError(
        name,
        step,
        tensor,
        bad ? (Number.isNaN(bad.sumsq) ? NaN : Infinity) : values[n],
        checkpointNote(),
      );
    }
    if (!logPoint) return;
    // The same sum in the same order as an uninterrupted run: the same bits.
    let sum = 0;
    for (const v of pending) sum += v;
    lastLoss = sum / pending.length;
    const point: LossPoint = { step, loss: lastLoss, window: pending.length, lrFactor };
    pending = [];
    if (measuresNorm) point.gradNorm = { preClip: values[n], postClip: values[n + 1] };
    record.curve.push(point);
    await opts.onLog?.(point);
  };

  const runStep = (b: B, step: number): Tensor => {
    const l = opts.loss(b, step);
    if (l.size !== 1) {
      throw new Error(`stage ${name}: the loss must be a scalar (got [${l.shape}])`);
    }
    backward(l);
    optimizer.step(lrFactor);
    return detach(l);
  };

  try {
    for (let step = record.step; step < totalSteps; step++) {
      lrFactor = cosineWarmup(step, schedule);
      const f0 = flopCount();
      const loss = await tidy(() => {
        const b = opts.batch(step);
        return b instanceof Promise ? b.then((bb) => runStep(bb, step)) : runStep(b, step);
      });
      optimizer.zeroGrad();
      flush();
      const f1 = flopCount();
      record.flops += f1.flops - f0.flops;
      record.dispatches += f1.dispatches - f0.dispatches;
      record.samples += opts.samplesPerStep;
      window.push(loss);
      const done = step + 1;
      record.step = done;
      const stopping = stopRequested ||
        (opts.stopAfterSteps !== undefined && done - startStep >= opts.stopAfterSteps);
      const checkpointDue = opts.checkpoint !== undefined && done < totalSteps &&
        (done % opts.checkpoint.every === 0 || stopping);
      const logPoint = done % logEvery === 0 || done === totalSteps;
      if (logPoint || checkpointDue || stopping) await readWindow(done, logPoint);
      record.pending = pending.length > 0 ? [...pending] : undefined;
      const seconds = (performance.now() - t0) / 1000;
      record.seconds = secondsBefore + seconds;
      const cpu = process.cpuUsage(cpu0);
      record.cpuSeconds = cpuBefore + (cpu.user + cpu.system) / 1e6;
      progress?.update({
        step: done,
        loss: lastLoss,
        samplesPerSecond: ((done - startStep) * opts.samplesPerStep) / Math.max(seconds, 1e-9),
        seconds,
      });
      if (checkpointDue) {
        await saveResumable(opts.checkpoint!.dir, model, optimizer, record);
        lastSavedStep = done;
      }
      if (stopping && done < totalSteps) {
        stopRequested = false;
        progress?.finish();
        throw new StageInterrupted(name, done, opts.checkpoint?.dir);
      }
    }
  } finally {
    for (const l of window) l.dispose();
    window = [];
  }
  progress?.finish();
  return {
    curve: record.curve,
    steps: record.step,
    samples: record.samples,
    flops: record.flops,
    dispatches: record.dispatches,
    seconds: record.seconds,
    cpuSeconds: record.cpuSeconds,
    resumedFrom,
  };
}
