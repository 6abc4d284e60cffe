/**
 * Batched matrix product C = op(A)·op(B) with optional transposes and numpy broadcasting of
 * the leading batch dims, forward and backward. Numbered kernel versions (llm.c style,
 * kernels/matmul_N.wgsl) share one calling convention; `pickVersion` is the shape heuristic.
 * @module
 */

import matmul1Wgsl from "../../../kernels/matmul_1.wgsl" with { type: "text" };
import { dispatch, packParams } from "../../gpu/kernel.ts";
import { Tensor } from "../tensor.ts";
import { record } from "../autograd.ts";
import { ShapeError } from "../errors.ts";
import { broadcastShapes, broadcastStrides } from "../shape.ts";
import { sumToShape } from "./binary.ts";

/** Kernel versions, in rising sophistication (see kernels/matmul_N.wgsl). */
export type MatmulVersion = 1;

/** Options of `matmul`. */
export interface MatmulOptions {
  /** Use Aᵀ: A is stored [..., K, M]. */
  transA?: boolean;
  /** Use Bᵀ: B is stored [..., N, K]. */
  transB?: boolean;
  /** Force a kernel version (tests, benchmarks); the shape heuristic picks otherwise. */
  version?: MatmulVersion;
}

/** The resolved geometry of one matmul call. */
export interface MatmulPlan {
  m: number;
  n: number;
  k: number;
  /** Broadcast batch shape (may be empty). */
  batch: number[];
  /** Number of matrices in the batch. */
  count: number;
  outShape: number[];
}

const MAX_BATCH_RANK = 4;
const MAX_Z = 65535;

/** Resolves shapes, or throws a ShapeError naming matmul and both shapes. */
export function planMatmul(
  aShape: readonly number[],
  bShape: readonly number[],
  transA = false,
  transB = false,
): MatmulPlan {
  if (aShape.length < 2 || bShape.length < 2) {
    throw new ShapeError("matmul", "operands need rank ≥ 2", [...aShape], [...bShape]);
  }
  const [ar, ac] = aShape.slice(-2);
  const [br, bc] = bShape.slice(-2);
  const [m, k] = transA ? [ac, ar] : [ar, ac];
  const [kb, n] = transB ? [bc, br] : [br, bc];
  if (k !== kb) {
    throw new ShapeError(
      "matmul",
      `inner dimensions differ (K=${k} of A${transA ? "ᵀ" : ""} vs K=${kb} of B${
        transB ? "ᵀ" : ""
      })`,
      [...aShape],
      [...bShape],
    );
  }
  const batch = broadcastShapes("matmul", aShape.slice(0, -2), bShape.slice(0, -2));
  if (batch.length > MAX_BATCH_RANK) {
    throw new ShapeError("matmul", `more than ${MAX_BATCH_RANK} batch dims`, [...aShape], [
      ...bShape,
    ]);
  }
  const count = batch.reduce((x, y) => x * y, 1);
  return { m, n, k, batch, count, outShape: [...batch, m, n] };
}

function prod(s: readonly number[]): number {
  return s.reduce((x, y) => x * y, 1);
}

/** Batch strides (in elements) of an operand broadcast to `batch`, padded to 4. */
function batchStrides(shape: readonly number[], batch: number[], matSize: number): number[] {
  const s = broadcastStrides(shape.slice(0, -2), batch).map((x) => x * matSize);
  return [...s, 0, 0, 0, 0].slice(0, 4);
}

/** The version the shape heuristic picks. */
export function pickVersion(_plan: MatmulPlan): MatmulVersion {
  return 1;
}

function runV1(
  a: Tensor,
  b: Tensor,
  plan: MatmulPlan,
  transA: boolean,
  transB: boolean,
  c: Tensor,
) {
  const { m, n, k, batch, count } = plan;
  const [sam, sak] = transA ? [1, m] : [k, 1];
  const [sbk, sbn] = transB ? [1, k] : [n, 1];
  const dims = [...batch, 1, 1, 1, 1].slice(0, 4);
  const aBs = batchStrides(a.shape, batch, m * k);
  const bBs = batchStrides(b.shape, batch, k * n);
  for (let z0 = 0; z0 < count; z0 += MAX_Z) {
    const nz = Math.min(MAX_Z, count - z0);
    dispatch({
      name: "matmul_1",
      code: matmul1Wgsl,
      params: packParams([
        m,
        n,
        k,
        z0,
        sam,
        sak,
        sbk,
        sbn,
        batch.length,
        0,
        0,
        0,
        ...dims,
        ...aBs,
        ...bBs,
      ]),
      bindings: [a.buffer, b.buffer, c.buffer],
      workgroups: [Math.ceil(n / 8), Math.ceil(m / 8), nz],
      flops: 2 * m * n * k * nz,
    });
  }
}

/**
 * op(A)·op(B) on the GPU without recording autograd (the backward uses it too). Folds the
 * batch of A into M when B is a single matrix, so a Linear layer on [B, T, K] is one
 * [B·T, K]·[K, N] product.
 */
export function matmulNoGrad(a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
  const transA = opts.transA ?? false;
  const transB = opts.transB ?? false;
  for (const t of [a, b]) {
    if (t.dtype !== "f32") {
      throw new ShapeError("matmul", "needs f32 operands", [...a.shape], [...b.shape]);
    }
  }
  let plan = planMatmul(a.shape, b.shape, transA, transB);
  const out = Tensor.empty(plan.outShape);
  if (plan.count === 0 || plan.m === 0 || plan.n === 0) return out;
  let aa = a;
  let bb = b;
  const views: Tensor[] = [];
  if (!transA && plan.count > 1 && prod(b.shape.slice(0, -2)) === 1) {
    aa = a.view([plan.count * plan.m, plan.k]);
    bb = b.rank === 2 ? b : b.view(b.shape.slice(-2));
    views.push(aa, bb);
    plan = planMatmul(aa.shape, bb.shape, false, transB);
  }
  const version = opts.version ?? pickVersion(plan);
  switch (version) {
    case 1:
      runV1(aa, bb, plan, transA, transB, out);
      break;
  }
  for (const v of views) if (v !== a && v !== b) v.dispose();
  return out;
}

/**
 * Batched matrix product op(A)·op(B) over the last two dims; leading batch dims broadcast
 * (e.g. [B, T, K]·[K, N] → [B, T, N]). Gradients: dA = dC·op(B)ᵀ, dB = op(A)ᵀ·dC through
 * the same kernels with transpose flags; broadcast batch dims are summed in a fixed order.
 */
export function matmul(a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
  const transA = opts.transA ?? false;
  const transB = opts.transB ?? false;
  const out = matmulNoGrad(a, b, opts);
  return record(out, "matmul", [a, b], (g) => [
    a.requiresGrad ? gradA(a, b, g, transA, transB) : null,
    b.requiresGrad ? gradB(a, b, g, transA, transB) : null,
  ]);
}

function gradA(a: Tensor, b: Tensor, g: Tensor, transA: boolean, transB: boolean): Tensor {
  // C = op(A)·op(B): d op(A) = dC·op(B)ᵀ; for A stored transposed, dA = op(B)·dCᵀ.
  const full = transA
    ? matmulNoGrad(b, g, { transA: transB, transB: true })
    : matmulNoGrad(g, b, { transB: !transB });
  return sumToShape(full, a.shape);
}

function gradB(a: Tensor, b: Tensor, g: Tensor, transA: boolean, transB: boolean): Tensor {
  const plan = planMatmul(a.shape, b.shape, transA, transB);
  if (!transA && plan.count > 1 && prod(b.shape.slice(0, -2)) === 1) {
    // B shared across the batch: fold the batch into the reduction (one product, no sum).
    const a2 = a.view([plan.count * plan.m, plan.k]);
    const g2 = g.view([plan.count * plan.m, plan.n]);
    const d = transB
      ? matmulNoGrad(g2, a2, { transA: true })
      : matmulNoGrad(a2, g2, { transA: true });
    a2.dispose();
    g2.dispose();
    return b.rank === 2 ? d : d.view(b.shape);
  }
  // d op(B) = op(A)ᵀ·dC; for B stored transposed, dB = dCᵀ·op(A).
  const full = transB
    ? matmulNoGrad(g, a, { transA: true, transB: transA })
    : matmulNoGrad(a, g, { transA: !transA });
  return sumToShape(full, b.shape);
}
