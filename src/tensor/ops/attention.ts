/**
 * Multi-head attention on [B, H, T, Dh] tensors, fused: one forward kernel (scores, masks,
 * softmax and the weighted sum of V, one invocation per query row) and three backward
 * kernels (row stats, dQ, dK/dV). Also the masks on their own: `causalMask` and
 * `maskScores` for composed attention over explicit score tensors.
 * @module
 */

import fwdWgsl from "../../../kernels/attention_fwd.wgsl" with { type: "text" };
import prepWgsl from "../../../kernels/attention_bwd_prep.wgsl" with { type: "text" };
import dqWgsl from "../../../kernels/attention_bwd_dq.wgsl" with { type: "text" };
import dkvWgsl from "../../../kernels/attention_bwd_dkv.wgsl" with { type: "text" };
import maskWgsl from "../../../kernels/mask_scores.wgsl" with { type: "text" };
import { dispatch, grid1d, packParams, specialise } from "../../gpu/kernel.ts";
import { acquireTexture, releaseTexture } from "../../gpu/pool.ts";
import { currentEncoder } from "../../gpu/batch.ts";
import { Tensor, tensor } from "../tensor.ts";
import { record } from "../autograd.ts";
import { ShapeError } from "../errors.ts";
import { sameShape } from "../shape.ts";

/** Largest sequence length of the fused kernels (scores of a row live in private memory). */
export const ATTENTION_MAX_T = 1024;

/** Masks of attention. */
export interface MaskOptions {
  /** Query i sees keys j ≤ i only. */
  causal?: boolean;
  /**
   * Key padding: i32 valid lengths [B] (keys j < length[b] are valid) or an f32 0/1 mask
   * [B, T] (1 = valid key). Query rows are never masked; a row with no valid key gives 0.
   */
  keyPadding?: Tensor;
}

/** Options of `attention`. */
export interface AttentionOptions extends MaskOptions {
  /** Score scale; 1/sqrt(Dh) by default. */
  scale?: number;
}

/** The value masked scores get in `maskScores` (exp of it underflows to exactly 0). */
export const MASKED_SCORE = -1e9;

const WG = 32;
/** Query rows per invocation of the forward (each K, V texel load serves that many rows). */
const FWD_ROWS = 4;
/** Rows per invocation of the dQ and dK/dV kernels. */
const BWD_ROWS = 4;

const kernels = new Map<string, string>();

/**
 * A kernel template with DH4, R (rows per invocation) and other placeholders filled, and
 * every `// @unroll(x) <line>` repeated over d = 0 … dh4 − 1 (x = d, or no "(x)"),
 * r = 0 … rows − 1 (x = r) or both (x = rd), with {d} and {r} substituted (cached).
 */
function kernel(
  template: string,
  dh4: number,
  rows = 1,
  values: Record<string, string> = {},
): string {
  const key = `${template.slice(0, 160)}:${template.length}:${dh4}:${rows}:${
    JSON.stringify(values)
  }`;
  let code = kernels.get(key);
  if (!code) {
    const unrolled = template.replace(
      /^(\s*)\/\/ @unroll(?:\((r|d|rd)\))? (.*)$/gm,
      (_, indent: string, over: string | undefined, line: string) => {
        const out: string[] = [];
        const rs = over === "r" || over === "rd" ? rows : 1;
        const ds = over === "r" ? 1 : dh4;
        for (let r = 0; r < rs; r++) {
          for (let d = 0; d < ds; d++) {
            out.push(indent + line.replaceAll("{r}", String(r)).replaceAll("{d}", String(d)));
          }
        }
        return out.join("\n");
      },
    );
    code = specialise(unrolled, { DH4: String(dh4), R: String(rows), ...values });
    kernels.set(key, code);
  }
  return code;
}
const MAX_Y = 65535;

interface Padding {
  mode: 0 | 1 | 2;
  buffer: GPUBuffer;
  dummy: Tensor | null;
}

function padding(
  op: string,
  kp: Tensor | undefined,
  b: number,
  t: number,
  shape: number[],
): Padding {
  if (!kp) {
    const dummy = tensor(new Int32Array(4), [4], "i32");
    return { mode: 0, buffer: dummy.buffer, dummy };
  }
  if (kp.dtype === "i32" && sameShape(kp.shape, [b])) {
    return { mode: 1, buffer: kp.buffer, dummy: null };
  }
  if (kp.dtype === "f32" && sameShape(kp.shape, [b, t])) {
    return { mode: 2, buffer: kp.buffer, dummy: null };
  }
  throw new ShapeError(
    op,
    `keyPadding must be i32 lengths [${b}] or an f32 mask [${b}, ${t}] (got ${kp.dtype})`,
    shape,
    [...kp.shape],
  );
}

/** A [T, T] f32 0/1 tensor with 1 where key j ≤ query i (the causal mask). */
export function causalMask(t: number): Tensor {
  const ones = tensor(new Float32Array(t * t).fill(1), [t, t]);
  const out = maskScoresNoGrad(ones, { causal: true }, 0);
  ones.dispose();
  return out;
}

function maskScoresNoGrad(scores: Tensor, opts: MaskOptions, fill: number): Tensor {
  const shape = [...scores.shape];
  if (scores.rank < 2 || scores.dtype !== "f32") {
    throw new ShapeError("maskScores", "needs f32 scores [..., Tq, Tk]", shape);
  }
  const [tq, tk] = shape.slice(-2);
  if (opts.causal && tq !== tk) throw new ShapeError("maskScores", "causal needs Tq = Tk", shape);
  const b = scores.rank >= 3 ? shape[0] : 1;
  const pad = padding("maskScores", opts.keyPadding, b, tk, shape);
  const out = Tensor.empty(shape);
  dispatch({
    name: "mask_scores",
    code: maskWgsl,
    params: packParams(
      [scores.size, tq, tk, scores.size / b, opts.causal ? 1 : 0, pad.mode],
      [fill],
    ),
    bindings: [scores.buffer, pad.buffer, out.buffer],
    workgroups: grid1d(scores.size),
  });
  pad.dummy?.dispose();
  return out;
}

/**
 * Scores [B, (H,) Tq, Tk] with masked positions (causal: j > i; padding: invalid keys of
 * batch entry b) set to MASKED_SCORE, ready for a softmax; the gradient there is 0.
 */
export function maskScores(scores: Tensor, opts: MaskOptions): Tensor {
  return record(maskScoresNoGrad(scores, opts, MASKED_SCORE), "maskScores", [scores], (g) => [
    maskScoresNoGrad(g, opts, 0),
  ]);
}

function dims(op: string, q: Tensor, k: Tensor, v: Tensor) {
  const shape = [...q.shape];
  if (q.rank !== 4 || !sameShape(q.shape, k.shape) || !sameShape(q.shape, v.shape)) {
    throw new ShapeError(op, "q, k, v must share one shape [B, H, T, Dh]", shape, [...k.shape], [
      ...v.shape,
    ]);
  }
  const [b, h, t, dh] = shape;
  if (dh % 4 !== 0) throw new ShapeError(op, "head dim Dh must be a multiple of 4", shape);
  if (t > ATTENTION_MAX_T) throw new ShapeError(op, `T above ${ATTENTION_MAX_T}`, shape);
  for (const x of [q, k, v]) if (x.dtype !== "f32") throw new ShapeError(op, "needs f32", shape);
  return { b, h, t, dh };
}

/** Texels per texture row (a power of two ≥ 16, so rows are 256-byte multiples). */
function texWidthShift(texels: number): number {
  let shift = 4;
  while (Math.ceil(texels / (1 << shift)) > 16384) shift++;
  return shift;
}

/** A copy of `t` in an rgba32float texture, texels in order, 2^shift per row. */
function flatTexture(t: Tensor, shift: number): GPUTexture {
  const n = t.size / 4;
  const w = 1 << shift;
  const full = Math.floor(n / w);
  const rest = n - full * w;
  const tex = acquireTexture(w, Math.max(1, Math.ceil(n / w)));
  const enc = currentEncoder();
  if (full > 0) {
    enc.copyBufferToTexture({ buffer: t.buffer, bytesPerRow: w * 16 }, { texture: tex }, {
      width: w,
      height: full,
    });
  }
  if (rest > 0) {
    enc.copyBufferToTexture(
      { buffer: t.buffer, offset: full * w * 16, bytesPerRow: w * 16 },
      { texture: tex, origin: { x: 0, y: full } },
      { width: rest, height: 1 },
    );
  }
  return tex;
}

/** Dispatches a per-row attention kernel over (row blocks, batch·head chunks). */
function perHead(
  name: string,
  code: string,
  bh: number,
  t: number,
  params: (bh0: number) => ArrayBuffer,
  bindings: (GPUBuffer | GPUTextureView)[],
  flops: number,
) {
  for (let bh0 = 0; bh0 < bh; bh0 += MAX_Y) {
    const n = Math.min(MAX_Y, bh - bh0);
    dispatch({
      name,
      code,
      params: params(bh0),
      bindings,
      workgroups: [Math.ceil(t / WG), n],
      flops: (flops * n) / bh,
    });
  }
}

/**
 * Multi-head scaled dot-product attention: softmax(scale·Q·Kᵀ + masks)·V on [B, H, T, Dh]
 * (Dh a multiple of 4), returning [B, H, T, Dh]. Differentiable in q, k and v.
 */
export function attention(q: Tensor, k: Tensor, v: Tensor, opts: AttentionOptions = {}): Tensor {
  const { b, h, t, dh } = dims("attention", q, k, v);
  const scale = opts.scale ?? 1 / Math.sqrt(dh);
  const causal = opts.causal ? 1 : 0;
  const pad = padding("attention", opts.keyPadding, b, t, [...q.shape]);
  const bh = b * h;
  const rows = bh * t;
  // The row log-sum-exps the backward needs live in the output's own buffer, after the
  // values: they then live exactly as long as the output, whatever scopes do.
  const storage = Tensor.empty([rows * dh + rows]);
  const out = storage.view([b, h, t, dh]);
  storage.dispose();
  const dh4 = dh / 4;
  const tmax = String(Math.max(16, Math.ceil(t / 16) * 16));
  const attnFlops = 4 * rows * t * dh; // QKᵀ and P·V (causal counted in full)
  const shift = texWidthShift(rows * dh4);
  const [qt, kt, vt] = [q, k, v].map((x) => flatTexture(x, shift));
  perHead(
    "attention_fwd",
    kernel(fwdWgsl, dh4, FWD_ROWS, { TMAX: tmax }),
    bh,
    t,
    (bh0) => packParams([t, h, pad.mode, causal, bh0, rows * dh, shift], [scale]),
    [qt.createView(), kt.createView(), vt.createView(), pad.buffer, out.buffer, out.buffer],
    attnFlops,
  );
  for (const x of [qt, kt, vt]) releaseTexture(x);
  const keepPad = opts.keyPadding;
  pad.dummy?.dispose();
  return record(out, "attention", [q, k, v], (g) => {
    const p2 = padding("attention", keepPad, b, t, [...q.shape]);
    const stats = Tensor.empty([rows * 2]);
    const statsTex = acquireTexture(1 << shift, Math.ceil(rows / (1 << shift)));
    dispatch({
      name: "attention_bwd_prep",
      code: kernel(prepWgsl, dh4),
      params: packParams([rows, rows * dh, shift]),
      bindings: [out.buffer, out.buffer, g.buffer, stats.buffer, statsTex.createView()],
      workgroups: grid1d(rows),
      flops: 2 * rows * dh,
    });
    const texs = [q, k, v, g].map((x) => flatTexture(x, shift));
    const [qv, kv, vv, gv] = texs.map((x) => x.createView());
    const params = (bh0: number) => packParams([t, h, p2.mode, causal, bh0, 0, shift], [scale]);
    let dq: Tensor | null = null;
    if (q.requiresGrad) {
      dq = Tensor.empty(q.shape);
      perHead("attention_bwd_dq", kernel(dqWgsl, dh4, BWD_ROWS), bh, t, params, [
        qv,
        kv,
        vv,
        p2.buffer,
        gv,
        stats.buffer,
        dq.buffer,
      ], 1.5 * attnFlops);
    }
    let dk: Tensor | null = null;
    let dv: Tensor | null = null;
    if (k.requiresGrad || v.requiresGrad) {
      dk = Tensor.empty(k.shape);
      dv = Tensor.empty(v.shape);
      perHead("attention_bwd_dkv", kernel(dkvWgsl, dh4, BWD_ROWS), bh, t, params, [
        qv,
        kv,
        vv,
        p2.buffer,
        gv,
        statsTex.createView(),
        dk.buffer,
        dv.buffer,
      ], 2 * attnFlops);
    }
    for (const x of [...texs, statsTex]) releaseTexture(x);
    stats.dispose();
    p2.dummy?.dispose();
    return [dq, k.requiresGrad ? dk : null, v.requiresGrad ? dv : null];
  });
}
