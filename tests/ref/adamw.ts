/** Float64 reference twin of src/nn/adamw.ts (torch.optim.AdamW + clip_grad_norm_). */

/** One parameter of the reference: values, state, and a group index. */
export interface RefParam {
  p: Float64Array;
  m: Float64Array;
  v: Float64Array;
  step: number;
  group: number;
  frozen?: boolean;
}

/** Reference hyper-parameters. */
export interface RefOpts {
  groups: { lr: number; weightDecay: number }[];
  betas: [number, number];
  eps: number;
  maxGradNorm?: number;
}

/**
 * One AdamW step; `grads[k]` null means parameter k has no gradient this step.
 * Returns the pre- and post-clip global norms.
 */
export function refAdamWStep(
  params: RefParam[],
  grads: (Float64Array | null)[],
  opts: RefOpts,
  lrFactor: number,
): { pre: number; post: number } {
  const live = params.map((q, k) => (q.frozen ? null : grads[k]));
  let sumsq = 0;
  for (const g of live) if (g) { for (const x of g) sumsq += x * x; }
  const pre = Math.sqrt(sumsq);
  const clip = opts.maxGradNorm ? Math.min(1, opts.maxGradNorm / (pre + 1e-6)) : 1;
  const [b1, b2] = opts.betas;
  params.forEach((q, k) => {
    const g = live[k];
    if (!g) return;
    const { lr: peak, weightDecay } = opts.groups[q.group];
    const lr = peak * lrFactor;
    q.step += 1;
    const bc1 = 1 - b1 ** q.step;
    const bc2 = 1 - b2 ** q.step;
    for (let i = 0; i < q.p.length; i++) {
      const gi = g[i] * clip;
      q.m[i] = b1 * q.m[i] + (1 - b1) * gi;
      q.v[i] = b2 * q.v[i] + (1 - b2) * gi * gi;
      q.p[i] = q.p[i] * (1 - lr * weightDecay) -
        (lr / bc1) * q.m[i] / (Math.sqrt(q.v[i]) / Math.sqrt(bc2) + opts.eps);
    }
  });
  return { pre, post: pre * clip };
}
