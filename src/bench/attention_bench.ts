/**
 * Attention benchmarks at the model's shapes: the fused forward, forward + backward, and,
 * for comparison, the two batched matmuls a composed attention would need (Q·Kᵀ and P·V,
 * without mask or softmax: a lower bound of the composed path).
 * Run: `deno run -A src/bench/attention_bench.ts`.
 * @module
 */

import { getGpu } from "../gpu/device.ts";
import { tensor } from "../tensor/tensor.ts";
import { Rng } from "../tensor/random.ts";
import { attention } from "../tensor/ops/attention.ts";
import { matmulNoGrad } from "../tensor/ops/matmul.ts";
import { backward } from "../tensor/autograd.ts";
import { timeRecorded } from "./matmul_bench.ts";

/** One attention shape [B, H, T, Dh] and its masks. */
export interface AttentionShape {
  b: number;
  h: number;
  t: number;
  dh: number;
  causal: boolean;
}

/** One measurement: median ms and GFLOP/s (4·B·H·T²·Dh forward, full T² even if causal). */
export interface AttentionBenchResult {
  name: string;
  shape: string;
  ms: number;
  msRange: [number, number];
  gflops: number;
}

export const ATTENTION_SHAPES: AttentionShape[] = [
  { b: 32, h: 4, t: 96, dh: 32, causal: false },
  { b: 32, h: 4, t: 96, dh: 32, causal: true },
  { b: 32, h: 4, t: 80, dh: 32, causal: true },
];

export async function benchAttention(
  shapes: AttentionShape[] = ATTENTION_SHAPES,
): Promise<AttentionBenchResult[]> {
  await getGpu();
  const rng = new Rng(9);
  const results: AttentionBenchResult[] = [];
  for (const s of shapes) {
    const shape = [s.b, s.h, s.t, s.dh];
    const n = s.b * s.h * s.t * s.dh;
    const [q, k, v] = [0, 1, 2].map(() => tensor(rng.normals(n), shape));
    const g = tensor(rng.normals(n), shape);
    const fwdFlops = 4 * s.b * s.h * s.t * s.t * s.dh;
    const name = `[${shape.join(",")}]${s.causal ? " causal" : ""}`;
    const push = (what: string, flops: number, t: { ms: number; min: number; max: number }) =>
      results.push({
        name: what,
        shape: name,
        ms: t.ms,
        msRange: [t.min, t.max],
        gflops: flops / t.ms / 1e6,
      });
    push(
      "attention fwd",
      fwdFlops,
      await timeRecorded(() => attention(q, k, v, { causal: s.causal })),
    );
    for (const x of [q, k, v]) x.requiresGrad = true;
    // Backward counted as 2× the forward (dQ, dK, dV: 4 products against the forward's 2).
    push(
      "attention fwd+bwd",
      3 * fwdFlops,
      await timeRecorded(() => {
        const o = attention(q, k, v, { causal: s.causal });
        backward(o, g);
        for (const x of [q, k, v]) {
          x.grad?.dispose();
          x.grad = null;
        }
      }),
    );
    for (const x of [q, k, v]) x.requiresGrad = false;
    push(
      "matmul QKᵀ + PV (composed, no softmax)",
      fwdFlops,
      await timeRecorded(() => {
        const sc = matmulNoGrad(q, k, { transB: true });
        matmulNoGrad(sc, v);
      }),
    );
    for (const x of [q, k, v, g]) x.dispose();
  }
  return results;
}

if (import.meta.main) {
  console.log(`LP_NUM_THREADS=${Deno.env.get("LP_NUM_THREADS") ?? "(default)"}`);
  for (const r of await benchAttention()) {
    console.log(
      `${r.name.padEnd(40)} ${r.shape.padEnd(22)} ${r.ms.toFixed(3)} ms ` +
        `[${r.msRange[0].toFixed(3)}–${r.msRange[1].toFixed(3)}]  ${r.gflops.toFixed(1)} GFLOP/s`,
    );
  }
}
