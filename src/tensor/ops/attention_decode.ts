/**
 * The two ops of generation with a key/value cache, neither differentiable:
 * - `cacheWrite` copies new key or value rows [B, H, S, Dh] into a cache [B, H, L, Dh] at a
 *   per-row position (the cache is generation state, written in place);
 * - `attentionDecode` attends S new query rows over the cache with a valid length per row
 *   (query length ≠ key length), with an online softmax so L is not bounded by private
 *   memory. Its float64 twin is tests/ref/attention_decode.ts.
 * @module
 */

import decodeWgsl from "../../../kernels/attention_decode.wgsl" with { type: "text" };
import cacheWriteWgsl from "../../../kernels/cache_write.wgsl" with { type: "text" };
import { dispatch, grid1d, packParams, specialise } from "../../gpu/kernel.ts";
import { Tensor } from "../tensor.ts";
import { ShapeError } from "../errors.ts";
import { sameShape } from "../shape.ts";

const WG = 8;
const MAX_Y = 65535;
const sources = new Map<number, string>();

/** The decode kernel for head size 4·dh4: `// @unroll` lines repeated per vec4 (cached). */
function decodeKernel(dh4: number): string {
  let code = sources.get(dh4);
  if (!code) {
    const unrolled = decodeWgsl.replace(
      /^(\s*)\/\/ @unroll (.*)$/gm,
      (_, indent: string, line: string) =>
        Array.from({ length: dh4 }, (_, d) => indent + line.replaceAll("{d}", String(d)))
          .join("\n"),
    );
    code = specialise(unrolled, { DH4: String(dh4) });
    sources.set(dh4, code);
  }
  return code;
}

function checkLengths(op: string, lengths: Tensor, b: number): void {
  if (lengths.dtype !== "i32" || !sameShape(lengths.shape, [b])) {
    throw new ShapeError(op, `needs i32 per-row values [${b}]`, [...lengths.shape]);
  }
}

/**
 * Writes x [B, H, S, Dh] into `cache` [B, H, L, Dh] (same B, H, Dh; f32) at rows
 * start[b] … start[b] + S − 1 of each entry b (start: i32 [B]); rows past L are dropped.
 * Modifies `cache` in place; records no gradient.
 */
export function cacheWrite(cache: Tensor, x: Tensor, start: Tensor): void {
  const [b, h, l, dh] = cache.shape;
  const ok = cache.rank === 4 && x.rank === 4 && x.shape[0] === b && x.shape[1] === h &&
    x.shape[3] === dh && cache.dtype === "f32" && x.dtype === "f32";
  if (!ok) {
    throw new ShapeError("cacheWrite", "needs f32 cache [B, H, L, Dh] and x [B, H, S, Dh]", [
      ...cache.shape,
    ], [...x.shape]);
  }
  checkLengths("cacheWrite", start, b);
  dispatch({
    name: "cache_write",
    code: cacheWriteWgsl,
    params: packParams([x.size, h, x.shape[2], l, dh]),
    bindings: [x.buffer, start.buffer, cache.buffer],
    workgroups: grid1d(x.size),
    flops: 0,
  });
}

/**
 * softmax(scale·q·kᵀ)·v for S query rows q [B, H, S, Dh] over a cache k, v [B, H, L, Dh]
 * (Dh a multiple of 4) → [B, H, S, Dh]. `lengths` (i32 [B]) is the number of valid cache
 * rows for the last query row of each entry; query row i sees keys
 * j < lengths[b] − (S − 1 − i) (causal among the new rows, which must already be written
 * to the cache). A row with no visible key gives 0. No gradient is recorded.
 */
export function attentionDecode(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  lengths: Tensor,
  opts: { scale?: number } = {},
): Tensor {
  const [b, h, s, dh] = q.shape;
  const l = k.shape[2];
  const ok = q.rank === 4 && k.rank === 4 && sameShape(k.shape, v.shape) && k.shape[0] === b &&
    k.shape[1] === h && k.shape[3] === dh && dh % 4 === 0 &&
    [q, k, v].every((t) => t.dtype === "f32");
  if (!ok) {
    throw new ShapeError(
      "attentionDecode",
      "needs f32 q [B, H, S, Dh] and k, v [B, H, L, Dh] with Dh a multiple of 4",
      [...q.shape],
      [...k.shape],
      [...v.shape],
    );
  }
  checkLengths("attentionDecode", lengths, b);
  const scale = opts.scale ?? 1 / Math.sqrt(dh);
  const out = Tensor.empty(q.shape);
  const bh = b * h;
  const code = decodeKernel(dh / 4);
  for (let bh0 = 0; bh0 < bh; bh0 += MAX_Y) {
    const n = Math.min(MAX_Y, bh - bh0);
    dispatch({
      name: "attention_decode",
      code,
      params: packParams([s, l, h, bh0], [scale]),
      bindings: [q.buffer, k.buffer, v.buffer, lengths.buffer, out.buffer],
      workgroups: [Math.ceil(s / WG), n],
      flops: 4 * n * s * l * dh, // q·k and p·v over the whole cache (an upper bound)
    });
  }
  return out;
}
