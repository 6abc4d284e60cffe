/**
 * AdamW with parameter groups and global-norm gradient clipping, entirely on the GPU.
 * Per step: one sum-of-squares kernel per gradient writes partial sums, one kernel turns
 * them into the global norm and a clip factor (a small GPU buffer), and one fused kernel
 * per parameter updates param, m and v in place, reading that factor. Nothing is read
 * back; the pre- and post-clip norms stay in `gradNorms` for whoever reads them every N
 * steps.
 * @module
 */

import adamwWgsl from "../../kernels/adamw.wgsl" with { type: "text" };
import sumsqWgsl from "../../kernels/grad_sumsq.wgsl" with { type: "text" };
import clipWgsl from "../../kernels/grad_clip.wgsl" with { type: "text" };
import { dispatch, grid1d, packParams } from "../gpu/kernel.ts";
import { type Tensor } from "../tensor/tensor.ts";
import { keep } from "../tensor/scope.ts";
import { zeros } from "../tensor/ops/create.ts";
import { wantsDecay } from "./module.ts";

/** A set of parameters sharing a learning rate and a weight decay. */
export interface ParamGroup {
  /** The parameters of the group. */
  params: Tensor[];
  /** Peak learning rate; each step uses `lr · lrFactor`. */
  lr: number;
  /** Decoupled weight decay coefficient; defaults to the optimizer's `weightDecay`. */
  weightDecay?: number;
  /** A label for messages and checkpoints. */
  name?: string;
}

/** Hyper-parameters shared by all groups. */
export interface AdamWOptions {
  /** (β1, β2); default (0.9, 0.999). */
  betas?: [number, number];
  /** Default 1e-8. */
  eps?: number;
  /** Default decay for groups that do not set one; default 0. */
  weightDecay?: number;
  /** Clip the global gradient norm (over all groups) to this; unset = no clipping. */
  maxGradNorm?: number;
  /** Measure the global norm even without clipping (costs one kernel per parameter). */
  trackGradNorm?: boolean;
}

/** Per-parameter optimizer state. */
export interface AdamState {
  /** First-moment estimate. */
  m: Tensor;
  /** Second-moment estimate. */
  v: Tensor;
  /** Updates this parameter has received (its bias correction uses step + 1). */
  step: number;
}

/** Norm values as read from the GPU. */
export interface GradNorms {
  /** Global gradient norm before clipping. */
  preClip: number;
  /** Global gradient norm after clipping. */
  postClip: number;
  /** The factor gradients were multiplied by (1 when not clipped). */
  clipFactor: number;
}

const SUMSQ_CHUNK = 4096; // elements per workgroup before adding another (up to 64)

/**
 * Splits parameters into a decayed and a non-decayed group following `wantsDecay`
 * (linear-map matrices decay; biases, LayerNorm, embeddings do not). Empty groups are
 * dropped.
 */
export function decayGroups(
  params: Tensor[],
  opts: { lr: number; weightDecay: number; name?: string },
): ParamGroup[] {
  const name = opts.name ?? "params";
  const groups: ParamGroup[] = [
    { name: `${name}.decay`, lr: opts.lr, weightDecay: opts.weightDecay, params: [] },
    { name: `${name}.no_decay`, lr: opts.lr, weightDecay: 0, params: [] },
  ];
  for (const p of params) groups[wantsDecay(p) ? 0 : 1].params.push(p);
  return groups.filter((g) => g.params.length > 0);
}

/** The AdamW optimizer (decoupled weight decay, bias correction, as torch.optim.AdamW). */
export class AdamW {
  /** Parameter groups with their own learning rates. */
  readonly groups: ParamGroup[];
  /** Adam's (β1, β2). */
  readonly betas: [number, number];
  /** Adam's ε. */
  readonly eps: number;
  /** Global-norm clipping threshold (none when undefined). */
  maxGradNorm: number | undefined;
  /** Whether the gradient norm is computed even without clipping. */
  trackGradNorm: boolean;
  /** Optimizer steps taken (the schedule position). */
  stepCount = 0;
  /**
   * GPU scalars of the latest step that measured the norm: [pre-clip norm, post-clip norm,
   * clip factor, sum of squares]. Read with `readGradNorms()` every N steps.
   */
  readonly gradNorms: Tensor;
  #state = new Map<Tensor, AdamState>();
  #members: Set<Tensor>;
  #partials: Tensor | null = null;
  /** Parameters and partial-sum counts of the latest norm measurement (for diagnostics). */
  #lastMeasured: { params: Tensor[]; counts: number[] } | null = null;

  /** An optimizer over `groups`. */
  constructor(groups: ParamGroup[], opts: AdamWOptions = {}) {
    const seen = new Set<Tensor>();
    for (const g of groups) {
      for (const p of g.params) {
        if (seen.has(p)) throw new Error(`AdamW: parameter ${p} is in two groups`);
        if (p.dtype !== "f32") throw new Error(`AdamW: parameter ${p} is not f32`);
        seen.add(p);
      }
    }
    this.groups = groups.map((g) => ({
      ...g,
      weightDecay: g.weightDecay ?? opts.weightDecay ?? 0,
    }));
    this.betas = opts.betas ?? [0.9, 0.999];
    this.eps = opts.eps ?? 1e-8;
    this.maxGradNorm = opts.maxGradNorm;
    this.trackGradNorm = opts.trackGradNorm ?? false;
    this.gradNorms = keep(zeros([4]));
    this.#members = seen;
  }

  /** Every parameter, group by group. */
  parameters(): Tensor[] {
    return this.groups.flatMap((g) => g.params);
  }

  /**
   * Records one update of every parameter that has a gradient and requires grad (frozen or
   * unused parameters are skipped: no decay, no state change). Each group uses learning
   * rate `group.lr · lrFactor` (the schedule's multiplier). Does not clear gradients.
   */
  step(lrFactor = 1): void {
    const live = this.parameters().filter((p) => p.requiresGrad && p.grad);
    const clipping = this.maxGradNorm !== undefined && this.maxGradNorm > 0;
    if (live.length > 0 && (clipping || this.trackGradNorm)) this.#measureNorm(live, clipping);
    const [b1, b2] = this.betas;
    for (const group of this.groups) {
      const lr = group.lr * lrFactor;
      for (const p of group.params) {
        if (!p.requiresGrad || !p.grad) continue;
        const s = this.#stateFor(p);
        s.step += 1;
        const bc1 = 1 - Math.pow(b1, s.step);
        const bc2 = 1 - Math.pow(b2, s.step);
        dispatch({
          name: "adamw",
          code: adamwWgsl,
          params: packParams([p.size, clipping ? 1 : 0, 0, 0], [
            lr / bc1,
            b1,
            b2,
            this.eps,
            1 - lr * group.weightDecay!,
            Math.sqrt(bc2),
          ]),
          bindings: [p.buffer, p.grad.buffer, s.m.buffer, s.v.buffer, this.gradNorms.buffer],
          workgroups: grid1d(p.size),
          flops: 14 * p.size,
        });
      }
    }
    this.stepCount += 1;
  }

  #measureNorm(live: Tensor[], clipping: boolean): void {
    const counts = live.map((p) => Math.min(64, Math.max(1, Math.ceil(p.size / SUMSQ_CHUNK))));
    const total = counts.reduce((a, b) => a + b, 0);
    if (!this.#partials || this.#partials.size < total) {
      this.#partials?.dispose(); // released after the pending batch is submitted
      this.#partials = keep(zeros([total]));
    }
    this.#lastMeasured = { params: live, counts };
    let offset = 0;
    live.forEach((p, k) => {
      dispatch({
        name: "grad_sumsq",
        code: sumsqWgsl,
        params: packParams([p.size, offset, counts[k]]),
        bindings: [p.grad!.buffer, this.#partials!.buffer],
        workgroups: [counts[k]],
        flops: 2 * p.size,
      });
      offset += counts[k];
    });
    dispatch({
      name: "grad_clip",
      code: clipWgsl,
      params: packParams([total, 0, 0, 0], [clipping ? this.maxGradNorm! : 0]),
      bindings: [this.#partials!.buffer, this.gradNorms.buffer],
      workgroups: [1],
      flops: total,
    });
  }

  #stateFor(p: Tensor): AdamState {
    let s = this.#state.get(p);
    if (!s) {
      s = { m: keep(zeros([...p.shape])), v: keep(zeros([...p.shape])), step: 0 };
      this.#state.set(p, s);
    }
    return s;
  }

  /** Reads the latest norms (one readback: call every N steps, not every step). */
  async readGradNorms(): Promise<GradNorms> {
    const [preClip, postClip, clipFactor] = await this.gradNorms.data();
    return { preClip, postClip, clipFactor };
  }

  /**
   * Diagnostics (one readback; call only when the norm is non-finite): the sum of squares of
   * each parameter's gradient at the latest step that measured the norm, in update order.
   */
  async readGradSumsq(): Promise<{ param: Tensor; sumsq: number }[]> {
    const last = this.#lastMeasured;
    if (!last || !this.#partials) return [];
    const partials = await this.#partials.data();
    let offset = 0;
    return last.params.map((param, k) => {
      let sumsq = 0;
      for (let i = 0; i < last.counts[k]; i++) sumsq += partials[offset + i];
      offset += last.counts[k];
      return { param, sumsq };
    });
  }

  /** The state of `p`, or undefined before its first update. */
  stateOf(p: Tensor): AdamState | undefined {
    return this.#state.get(p);
  }

  /** Restores the state of `p` (checkpoint loading); values are copied to the GPU. */
  setState(p: Tensor, s: { m: ArrayLike<number>; v: ArrayLike<number>; step: number }): void {
    if (!this.#members.has(p)) {
      throw new Error(`AdamW.setState: ${p} is not optimised here`);
    }
    const state = this.#stateFor(p);
    state.m.write(s.m);
    state.v.write(s.v);
    state.step = s.step;
  }

  /** Forgets all per-parameter state (m, v, step counts); the step count is kept. */
  clearState(): void {
    for (const s of this.#state.values()) {
      s.m.dispose();
      s.v.dispose();
    }
    this.#state.clear();
  }

  /** Drops the gradients of every optimised parameter. */
  zeroGrad(): void {
    for (const p of this.parameters()) {
      p.grad?.dispose();
      p.grad = null;
    }
  }

  /** Releases the optimizer's GPU state. */
  dispose(): void {
    this.clearState();
    this.#partials?.dispose();
    this.#partials = null;
    this.#lastMeasured = null;
    this.gradNorms.dispose();
  }
}
