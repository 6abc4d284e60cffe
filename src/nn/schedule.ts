/**
 * Learning-rate schedule: linear warm-up, then cosine decay to a floor. A pure function of
 * the step, returning a multiplier of each parameter group's own learning rate, so groups
 * with different rates (e.g. the ViT at 1/5 of the LM's) follow the same curve.
 * @module
 */

/** Cosine decay with linear warm-up. */
export interface CosineSchedule {
  /** Total optimizer steps of the run (the decay ends here). */
  totalSteps: number;
  /** Warm-up length in steps; takes precedence over `warmupFraction`. */
  warmupSteps?: number;
  /** Warm-up length as a fraction of `totalSteps` (rounded to whole steps); default 0. */
  warmupFraction?: number;
  /** Floor of the multiplier at the end of the decay, in [0, 1]; default 0. */
  minLrRatio?: number;
}

/** The warm-up length in whole steps. */
export function warmupStepsOf(s: CosineSchedule): number {
  const w = s.warmupSteps ?? Math.round((s.warmupFraction ?? 0) * s.totalSteps);
  return Math.max(0, Math.min(w, s.totalSteps));
}

/**
 * The learning-rate multiplier for optimizer step `step` (0-based: the first update uses
 * step 0). Warm-up rises linearly as (step+1)/warmup so the first update is not wasted at
 * lr 0; then cos-decays from 1 to `minLrRatio` at `totalSteps`, and stays there after.
 */
export function cosineWarmup(step: number, s: CosineSchedule): number {
  if (!Number.isInteger(step) || step < 0) throw new Error(`cosineWarmup: bad step ${step}`);
  if (!(s.totalSteps > 0)) throw new Error(`cosineWarmup: totalSteps must be > 0`);
  const floor = s.minLrRatio ?? 0;
  if (floor < 0 || floor > 1) throw new Error(`cosineWarmup: minLrRatio ${floor} outside [0, 1]`);
  const warm = warmupStepsOf(s);
  if (step < warm) return (step + 1) / warm;
  const decaySteps = s.totalSteps - warm;
  if (decaySteps <= 0) return 1;
  const t = Math.min(1, (step - warm) / decaySteps);
  return floor + (1 - floor) * 0.5 * (1 + Math.cos(Math.PI * t));
}
