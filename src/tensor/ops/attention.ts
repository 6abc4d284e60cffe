/**
 * Multi-head attention, fused: one forward kernel (scores, masks, softmax and the weighted
 * sum of V, R query rows per invocation) and three backward kernels (row stats, dQ, dK/dV),
 * on [B, H, T, Dh] tensors (`attention`) or straight on a fused projection's packed
 * [B, T, 3·D] output (`attentionPacked`, writing [B, T, D]); the kernels take the layout
 * as parameters. Also the masks on their own: `causalMask` and
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
import { gpu } from "../../gpu/device.ts";
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
}

let noPaddingBuffer: { device: GPUDevice; buffer: GPUBuffer } | null = null;

/**
 * The placeholder bound as `pad` when there is no key padding (never read: mode 0). One
 * zeroed buffer per device, made once outside the pool instead of an upload per call.
 */
function noPadding(): GPUBuffer {
  const { device } = gpu();
  if (noPaddingBuffer?.device !== device) {
    noPaddingBuffer = {
      device,
      buffer: device.createBuffer({ size: 16, usage: GPUBufferUsage.STORAGE }),
    };
  }
  return noPaddingBuffer.buffer;
}

function padding(
  op: string,
  kp: Tensor | undefined,
  b: number,
  t: number,
  shape: number[],
): Padding {
  if (!kp) return { mode: 0, buffer: noPadding() };
  if (kp.dtype === "i32" && sameShape(kp.shape, [b])) {
    return { mode: 1, buffer: kp.buffer };
  }
  if (kp.dtype === "f32" && sameShape(kp.shape, [b, t])) {
    return { mode: 2, buffer: kp.buffer };
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
 * Where the attention kernels find their rows, in texels (4 floats): row i of head h of
 * batch entry b of Q starts at qOff + b·xB + h·xH + i·xI (K, V likewise with kOff, vOff),
 * in the texture(s) of the inputs and in the gradient buffer(s). The output, dO and the row
 * statistics are in "stat" order: row index b·stB + h·stH + i·stI, O's row at that index
 * times Dh/4.
 */
interface Layout {
  xB: number;
  xH: number;
  xI: number;
  qOff: number;
  kOff: number;
  vOff: number;
  stB: number;
  stH: number;
  stI: number;
}

/** The fused attention over inputs already checked; see `attention` / `attentionPacked`. */
function attentionCore(
  op: string,
  inputs: Tensor[],
  layout: Layout,
  d: { b: number; h: number; t: number; dh: number },
  outShape: number[],
  opts: AttentionOptions,
): Tensor {
  const { b, h, t, dh } = d;
  const packed = inputs.length === 1;
  const scale = opts.scale ?? 1 / Math.sqrt(dh);
  const causal = opts.causal ? 1 : 0;
  const pad = padding(op, opts.keyPadding, b, t, [...inputs[0].shape]);
  const bh = b * h;
  const rows = bh * t;
  // The row log-sum-exps the backward needs live in the output's own buffer, after the
  // values: they then live exactly as long as the output, whatever scopes do.
  const storage = Tensor.empty([rows * dh + rows]);
  const out = storage.view(outShape);
  storage.dispose();
  const dh4 = dh / 4;
  const tmax = String(Math.max(16, Math.ceil(t / 16) * 16));
  const attnFlops = 4 * rows * t * dh; // QKᵀ and P·V (causal counted in full)
  const shift = texWidthShift((packed ? 3 : 1) * rows * dh4);
  const L = layout;
  const params = (bh0: number, lseOff: number) =>
    packParams([
      t,
      h,
      pad.mode,
      causal,
      bh0,
      lseOff,
      shift,
      L.xB,
      L.xH,
      L.xI,
      L.qOff,
      L.kOff,
      L.vOff,
      L.stB,
      L.stH,
      L.stI,
    ], [scale]);
  // Packed: one texture of the whole qkv tensor, bound as Q, K and V.
  const texs = inputs.map((x) => flatTexture(x, shift));
  const views = texs.map((x) => x.createView());
  const [qv, kv, vv] = packed ? [views[0], views[0], views[0]] : views;
  perHead(
    "attention_fwd",
    kernel(fwdWgsl, dh4, FWD_ROWS, { TMAX: tmax }),
    bh,
    t,
    (bh0) => params(bh0, rows * dh),
    [qv, kv, vv, pad.buffer, out.buffer, out.buffer],
    attnFlops,
  );
  for (const x of texs) releaseTexture(x);
  const keepPad = opts.keyPadding;
  return record(out, op, inputs, (g) => {
    const p2 = padding(op, keepPad, b, t, [...inputs[0].shape]);
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
    const bt = [...inputs, g].map((x) => flatTexture(x, shift));
    const bv = bt.map((x) => x.createView());
    const gv = bv[bv.length - 1];
    const [q2, k2, v2] = packed ? [bv[0], bv[0], bv[0]] : bv;
    const grads: (Tensor | null)[] = inputs.map(() => null);
    let dq: Tensor | null = null;
    let dk: Tensor | null = null;
    let dv: Tensor | null = null;
    if (packed) {
      dq =
        dk =
        dv =
        grads[0] =
          Tensor.empty(inputs[0].shape);
    } else {
      const [q, k, v] = inputs;
      if (q.requiresGrad) dq = grads[0] = Tensor.empty(q.shape);
      if (k.requiresGrad || v.requiresGrad) {
        dk = Tensor.empty(k.shape);
        dv = Tensor.empty(v.shape);
        grads[1] = k.requiresGrad ? dk : null;
        grads[2] = v.requiresGrad ? dv : null;
      }
    }
    const p0 = (bh0: number) => params(bh0, 0);
    if (dq) {
      perHead("attention_bwd_dq", kernel(dqWgsl, dh4, BWD_ROWS), bh, t, p0, [
        q2,
        k2,
        v2,
        p2.buffer,
        gv,
        stats.buffer,
        dq.buffer,
      ], 1.5 * attnFlops);
    }
    if (dk && dv) {
      perHead("attention_bwd_dkv", kernel(dkvWgsl, dh4, BWD_ROWS), bh, t, p0, [
        q2,
        k2,
        v2,
        p2.buffer,
        gv,
        statsTex.createView(),
        dk.buffer,
        dv.buffer,
      ], 2 * attnFlops);
    }
    for (const x of [...bt, statsTex]) releaseTexture(x);
    stats.dispose();
    if (!packed) {
      // Unused gradient buffers (k needs none but v does, …) are dropped here.
      if (dk && !grads[1]) dk.dispose();
      if (dv && !grads[2]) dv.dispose();
    }
    return grads;
  });
}

/**
 * Multi-head scaled dot-product attention: softmax(scale·Q·Kᵀ + masks)·V on [B, H, T, Dh]
 * (Dh a multiple of 4), returning [B, H, T, Dh]. Differentiable in q, k and v.
 */
export function attention(q: Tensor, k: Tensor, v: Tensor, opts: AttentionOptions = {}): Tensor {
  const d = dims("attention", q, k, v);
  const { h, t, dh } = d;
  const dh4 = dh / 4;
  const layout: Layout = {
    xB: h * t * dh4,
    xH: t * dh4,
    xI: dh4,
    qOff: 0,
    kOff: 0,
    vOff: 0,
    stB: h * t,
    stH: t,
    stI: 1,
  };
  return attentionCore("attention", [q, k, v], layout, d, [...q.shape], opts);
}

/**
 * Multi-head self-attention reading q, k, v straight from the fused projection's output
 * qkv [B, T, 3·D] (= [B, T, 3, H, Dh]: q, k, v, each heads × Dh; D = heads·Dh, Dh a
 * multiple of 4) and writing [B, T, D] (= [B, T, H, Dh], heads merged, ready for the output
 * projection): no permute, slice or concat. The gradient comes back packed as [B, T, 3·D].
 * Same masks, scale and kernels as `attention`.
 */
export function attentionPacked(qkv: Tensor, heads: number, opts: AttentionOptions = {}): Tensor {
  const shape = [...qkv.shape];
  if (qkv.rank !== 3 || qkv.dtype !== "f32") {
    throw new ShapeError("attentionPacked", "needs f32 qkv [B, T, 3·D]", shape);
  }
  const [b, t, d3] = shape;
  const dim = d3 / 3;
  const dh = dim / heads;
  if (!Number.isInteger(heads) || heads < 1 || !Number.isInteger(dh) || dh % 4 !== 0) {
    throw new ShapeError(
      "attentionPacked",
      `last dim must be 3·heads·Dh with Dh a multiple of 4 (heads ${heads})`,
      shape,
    );
  }
  if (t > ATTENTION_MAX_T) {
    throw new ShapeError("attentionPacked", `T above ${ATTENTION_MAX_T}`, shape);
  }
  const dh4 = dh / 4;
  const h = heads;
  const layout: Layout = {
    xB: t * 3 * h * dh4,
    xH: dh4,
    xI: 3 * h * dh4,
    qOff: 0,
    kOff: h * dh4,
    vOff: 2 * h * dh4,
    stB: t * h,
    stH: 1,
    stI: h,
  };
  return attentionCore("attention_packed", [qkv], layout, { b, h, t, dh }, [b, t, dim], opts);
}
