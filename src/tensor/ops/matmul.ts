/**
 * Batched matrix product C = op(A)·op(B) with optional transposes and numpy broadcasting of
 * the leading batch dims, forward and backward. Numbered kernel versions (llm.c style,
 * kernels/matmul_N.wgsl) share one calling convention; `pickVersion` is the shape heuristic.
 * @module
 */

import matmul1Wgsl from "../../../kernels/matmul_1.wgsl" with { type: "text" };
import matmul2Wgsl from "../../../kernels/matmul_2.wgsl" with { type: "text" };
import matmul3Wgsl from "../../../kernels/matmul_3.wgsl" with { type: "text" };
import toTextureWgsl from "../../../kernels/matmul_to_texture.wgsl" with { type: "text" };
import toTexture4Wgsl from "../../../kernels/matmul_to_texture4.wgsl" with { type: "text" };
import { dispatch, packParams, specialise } from "../../gpu/kernel.ts";
import { gpu } from "../../gpu/device.ts";
import { acquireTexture, releaseTexture } from "../../gpu/pool.ts";
import { currentEncoder } from "../../gpu/batch.ts";
import { Tensor } from "../tensor.ts";
import { record } from "../autograd.ts";
import { ShapeError } from "../errors.ts";
import { broadcastShapes, broadcastStrides } from "../shape.ts";
import { sumToShape } from "./binary.ts";
import { zeros } from "./create.ts";

/** Kernel versions, in rising sophistication (see kernels/matmul_N.wgsl). */
export type MatmulVersion = 1 | 2 | 3 | 4;

/** Options of `matmul`. */
export interface MatmulOptions {
  /** Use Aᵀ: A is stored [..., K, M]. */
  transA?: boolean;
  /** Use Bᵀ: B is stored [..., N, K]. */
  transB?: boolean;
  /** Force a kernel version (tests, benchmarks); the shape heuristic picks otherwise. */
  version?: MatmulVersion;
  /** Workgroup shape of the texture kernels [x, y] (benchmark sweeps). */
  workgroup?: [number, number];
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

/**
 * The version the shape heuristic picks (measured on lavapipe, see src/bench/matmul_bench.ts):
 * tiny products skip the texture conversion (matmul_1, one dispatch); large M and N use the
 * 16×16 tile, everything else the 8×8 tile, which keeps more invocations busy.
 */
export function pickVersion(plan: MatmulPlan): MatmulVersion {
  const { m, n, k, count } = plan;
  if (2 * m * n * k * count <= 65536) return 1;
  if (m >= 128 && n >= 64) return 4;
  return 3;
}

/** The storage-buffer kernels (versions 1 and 2): any strides, no conversion. */
function runV1(
  a: Tensor,
  b: Tensor,
  plan: MatmulPlan,
  transA: boolean,
  transB: boolean,
  c: Tensor,
  version: 1 | 2 = 1,
) {
  const { m, n, k, batch, count } = plan;
  const [sam, sak] = transA ? [1, m] : [k, 1];
  const [sbk, sbn] = transB ? [1, k] : [n, 1];
  const dims = [...batch, 1, 1, 1, 1].slice(0, 4);
  const tile = version === 1 ? 1 : 4;
  const aBs = batchStrides(a.shape, batch, m * k);
  const bBs = batchStrides(b.shape, batch, k * n);
  for (let z0 = 0; z0 < count; z0 += MAX_Z) {
    const nz = Math.min(MAX_Z, count - z0);
    dispatch({
      name: `matmul_${version}`,
      code: version === 1 ? matmul1Wgsl : matmul2Wgsl,
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
      workgroups: [Math.ceil(n / (8 * tile)), Math.ceil(m / (8 * tile)), nz],
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
  if (plan.k === 0) return zeros(plan.outShape); // an empty sum
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
    case 2:
      runV1(aa, bb, plan, transA, transB, out, version);
      break;
    case 3:
    case 4:
      if (!runTextured(aa, bb, plan, transA, transB, out, version === 4 ? 16 : 8, opts.workgroup)) {
        runV1(aa, bb, plan, transA, transB, out, 2);
      }
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

/**
 * Records only the buffer→texture conversions the texture path (version 3 or 4) would do
 * for this call, and returns the output tensor (left unfilled): for benchmarks that report
 * the conversion cost separately.
 */
export function matmulConversionOnly(a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
  const transA = opts.transA ?? false;
  const transB = opts.transB ?? false;
  const plan = planMatmul(a.shape, b.shape, transA, transB);
  const out = Tensor.empty(plan.outShape);
  const tile = opts.version === 3 ? 8 : 16;
  if (!transA && plan.count > 1 && prod(b.shape.slice(0, -2)) === 1) {
    const a2 = a.view([plan.count * plan.m, plan.k]);
    const b2 = b.view(b.shape.slice(-2));
    runTextured(
      a2,
      b2,
      planMatmul(a2.shape, b2.shape, false, transB),
      false,
      transB,
      out,
      tile,
      undefined,
      true,
    );
    a2.dispose();
    b2.dispose();
  } else {
    runTextured(a, b, plan, transA, transB, out, tile, undefined, true);
  }
  return out;
}

/** Geometry of one operand converted to a texture: the logical matrix rows × cols. */
interface TexOperand {
  t: Tensor;
  rows: number;
  cols: number;
  /** Padded rows per batch block and texels per row. */
  rowsP: number;
  cols4: number;
  /** Source element strides along the logical rows and columns. */
  sr: number;
  sc: number;
  /** Batch strides of the operand in elements, padded to 4; all 0 when shared. */
  bs: number[];
  shared: boolean;
  /** Whether the rows are output rows (A: M), so stale padding rows are harmless. */
  rowsAreOutput: boolean;
  /** Batch blocks lie one after another in the source (its batch shape is the matmul's). */
  contiguous: boolean;
}

function roundUp(x: number, m: number): number {
  return Math.ceil(x / m) * m;
}

/**
 * Records the conversion of `nz` batch blocks (from z0) of an operand into a texture: a
 * plain copy when the layout already matches (not transposed, rows of a multiple of 64
 * floats as copyBufferToTexture needs, batch blocks contiguous), else the conversion shader.
 */
function toTexture(
  op: TexOperand,
  plan: MatmulPlan,
  z0: number,
  nz: number,
  off: number,
  rows: number,
): GPUTexture {
  const blocks = op.shared ? 1 : nz;
  const tex = acquireTexture(op.cols4, blocks * op.rowsP);
  const padOk = op.rowsAreOutput || op.rowsP === op.rows;
  if (op.sc === 1 && op.cols % 64 === 0 && padOk && (op.shared || op.contiguous)) {
    // Padding rows of A (rowsP > rows) keep stale values: they only feed rows of C that are
    // never stored. K is never padded here (cols4·4 = cols, and B only when rowsP = rows).
    const enc = currentEncoder();
    const oneCopy = op.shared || op.rowsP === rows;
    for (let z = 0; z < (oneCopy ? 1 : blocks); z++) {
      const start = off + (op.shared ? 0 : (z0 + z) * op.rows * op.cols);
      enc.copyBufferToTexture(
        { buffer: op.t.buffer, offset: start * 4, bytesPerRow: op.cols * 4 },
        { texture: tex, origin: { x: 0, y: z * op.rowsP } },
        { width: op.cols4, height: oneCopy ? rows * blocks : rows },
      );
    }
    return tex;
  }
  const dims = [...plan.batch, 1, 1, 1, 1].slice(0, 4);
  const params = packParams([
    rows,
    op.cols,
    op.rowsP,
    op.cols4,
    op.sr,
    op.sc,
    plan.batch.length,
    op.shared ? 0 : z0,
    off,
    0,
    0,
    0,
    ...dims,
    ...op.bs,
  ]);
  const bindings = [op.t.buffer, tex.createView()];
  // vec4 loads need every source row to start on a multiple of 4 floats.
  const aligned = (x: number) => x % 4 === 0;
  const bsAligned = op.bs.every(aligned) && aligned(off);
  if (op.sc === 1 && aligned(op.sr) && bsAligned) {
    dispatch({
      name: "matmul_to_texture4",
      code: toTexture4Wgsl,
      entry: "rows4",
      params,
      bindings,
      workgroups: [Math.ceil(op.cols4 / 16), Math.ceil(op.rowsP / 4), blocks],
    });
  } else if (op.sr === 1 && aligned(op.sc) && bsAligned) {
    dispatch({
      name: "matmul_to_texture4",
      code: toTexture4Wgsl,
      entry: "cols4",
      params,
      bindings,
      workgroups: [Math.ceil(op.cols4 / 16), Math.ceil(op.rowsP / 16), blocks],
    });
  } else {
    dispatch({
      name: "matmul_to_texture",
      code: toTextureWgsl,
      params,
      bindings,
      workgroups: [Math.ceil(op.cols4 / 16), Math.ceil(op.rowsP / 4), blocks],
    });
  }
  return tex;
}

/**
 * Texture path (versions 3 and 4): converts A and B into textures (transposing and
 * zero-padding on the way) and runs the tiled kernel; splits the batch, or the rows of a
 * single big A, so every texture fits maxTextureDimension2D. Returns false when a single
 * matrix cannot fit (the caller falls back to a buffer kernel).
 */
function runTextured(
  a: Tensor,
  b: Tensor,
  plan: MatmulPlan,
  transA: boolean,
  transB: boolean,
  c: Tensor,
  tile: 8 | 16,
  workgroup?: [number, number],
  convertOnly = false,
): boolean {
  const { m, n, k, batch, count } = plan;
  const maxTex = gpu().limits.maxTextureDimension2D;
  const kP = roundUp(k, 4);
  const nP = roundUp(n, tile);
  const aShared = prod(a.shape.slice(0, -2)) === 1;
  const bShared = prod(b.shape.slice(0, -2)) === 1;
  if (kP > maxTex || kP / 4 > maxTex || nP / 4 > maxTex) return false;
  // Rows of A per texture: whole batch blocks, or row chunks of one big matrix.
  const mP = roundUp(m, tile);
  let rowChunk = m;
  if (mP > maxTex) {
    if (count > 1) return false;
    rowChunk = Math.floor(maxTex / tile) * tile;
  }
  const A: TexOperand = {
    t: a,
    rows: m,
    cols: k,
    rowsP: roundUp(Math.min(rowChunk, m), tile),
    cols4: kP / 4,
    sr: transA ? 1 : k,
    sc: transA ? m : 1,
    bs: aShared ? [0, 0, 0, 0] : batchStrides(a.shape, batch, m * k),
    shared: aShared,
    contiguous: prod(a.shape.slice(0, -2)) === count,
    rowsAreOutput: true,
  };
  const B: TexOperand = {
    t: b,
    rows: k,
    cols: n,
    rowsP: kP,
    cols4: nP / 4,
    sr: transB ? 1 : n,
    sc: transB ? k : 1,
    bs: bShared ? [0, 0, 0, 0] : batchStrides(b.shape, batch, k * n),
    shared: bShared,
    contiguous: prod(b.shape.slice(0, -2)) === count,
    rowsAreOutput: false,
  };
  let perChunk = Math.min(count, MAX_Z);
  if (!aShared) perChunk = Math.min(perChunk, Math.floor(maxTex / A.rowsP));
  if (!bShared) perChunk = Math.min(perChunk, Math.floor(maxTex / B.rowsP));
  const code = tileKernel(tile, n % 4 === 0);
  const tilesX = Math.ceil(n / tile);
  for (let z0 = 0; z0 < count; z0 += perChunk) {
    const nz = Math.min(perChunk, count - z0);
    const bTex = toTexture(B, plan, z0, nz, 0, k);
    for (let r0 = 0; r0 < m; r0 += rowChunk) {
      const rows = Math.min(rowChunk, m - r0);
      const aTex = toTexture(A, plan, z0, nz, r0 * A.sr, rows);
      const tilesY = Math.ceil(rows / tile);
      const [wx, wy] = workgroup ?? defaultWorkgroup(tilesX, tilesY * nz);
      if (!convertOnly) {
        dispatch({
          name: `matmul_${tile === 16 ? 4 : 3}`,
          code,
          constants: { WX: wx, WY: wy },
          params: packParams([
            rows,
            n,
            kP / 4,
            z0,
            A.rowsP,
            B.rowsP,
            aShared ? 0 : 1,
            bShared ? 0 : 1,
            r0 * n,
          ]),
          bindings: [aTex.createView(), bTex.createView(), c.buffer],
          workgroups: [Math.ceil(tilesX / wx), Math.ceil(tilesY / wy), nz],
          flops: 2 * rows * n * k * nz,
        });
      }
      releaseTexture(aTex);
    }
    releaseTexture(bTex);
  }
  return true;
}

/** Workgroups of ≥ 16 invocations, x a multiple of 8 when the grid allows (llvmpipe lanes). */
function defaultWorkgroup(tilesX: number, tilesY: number): [number, number] {
  const wx = tilesX >= 8 ? 8 : tilesX >= 4 ? 4 : tilesX >= 2 ? 2 : 1;
  const wy = tilesY >= 64 ? 8 : tilesY >= 16 ? 2 : 1;
  return [wx, wy];
}

/**
 * Unrolled pieces of the TM×TN tile for kernels/matmul_3.wgsl: accumulators c{i}_{j}
 * (vec4, columns 4j..4j+3 of row i), one k-step of 4 (TN/4·4 B texels, TM A texels, tree
 * sums), and the bounds-checked store (vec4 when N is a multiple of 4, else scalar).
 */
function tileSource(tile: number, vecStore: boolean): string {
  const tn4 = tile / 4;
  const decl: string[] = [];
  const step: string[] = [];
  const store: string[] = [];
  for (let i = 0; i < tile; i++) {
    for (let j = 0; j < tn4; j++) decl.push(`  var c${i}_${j} = vec4f(0.0);`);
  }
  for (let j = 0; j < tn4; j++) {
    for (let q = 0; q < 4; q++) {
      step.push(`    let b${q}_${j} = textureLoad(bt, vec2u(col4 + ${j}u, kr + ${q}u));`);
    }
  }
  for (let i = 0; i < tile; i++) {
    step.push(`    let a${i} = textureLoad(at, vec2u(k, arow + ${i}u));`);
    for (let j = 0; j < tn4; j++) {
      step.push(
        `    c${i}_${j} += (a${i}.x * b0_${j} + a${i}.y * b1_${j}) + ` +
          `(a${i}.z * b2_${j} + a${i}.w * b3_${j});`,
      );
    }
  }
  for (let i = 0; i < tile; i++) {
    store.push(`  if (row0 + ${i}u < p.m) {`);
    store.push(`    let o = p.c_off + (cz + row0 + ${i}u) * p.n;`);
    for (let j = 0; j < tn4; j++) {
      if (vecStore) {
        store.push(`    if (col4 + ${j}u < p.n / 4u) { c[o / 4u + col4 + ${j}u] = c${i}_${j}; }`);
      } else {
        for (let e = 0; e < 4; e++) {
          const col = `(col4 + ${j}u) * 4u + ${e}u`;
          store.push(`    if (${col} < p.n) { c[o + ${col}] = c${i}_${j}[${e}]; }`);
        }
      }
    }
    store.push(`  }`);
  }
  return specialise(matmul3Wgsl, {
    TM: String(tile),
    TN4: String(tn4),
    CTYPE: vecStore ? "vec4f" : "f32",
    DECL: decl.join("\n"),
    STEP: step.join("\n"),
    STORE: store.join("\n"),
  });
}

const tileSources = new Map<string, string>();

function tileKernel(tile: number, vecStore: boolean): string {
  const key = `${tile}/${vecStore}`;
  let code = tileSources.get(key);
  if (!code) tileSources.set(key, code = tileSource(tile, vecStore));
  return code;
}
