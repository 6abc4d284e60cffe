/**
 * Bandwidth of the memory-bound kernels: softmax and layerNorm on 4096×128, element-wise
 * exp and add on 16M floats. GB/s counts the minimal traffic (each input read once, the
 * output written once), as bandwidth figures for PyTorch are usually quoted.
 * @module
 */

import { sync } from "../gpu/batch.ts";
import { type Tensor, tensor } from "../tensor/tensor.ts";
import { tidy } from "../tensor/scope.ts";
import { noGrad } from "../tensor/tensor.ts";
import { add } from "../tensor/ops/binary.ts";
import { exp } from "../tensor/ops/unary.ts";
import { layerNorm, softmax } from "../tensor/ops/norm.ts";
import { Rng } from "../tensor/random.ts";
import { median } from "./timing.ts";

/** One bandwidth measurement. */
export interface BandwidthResult {
  name: string;
  shape: number[];
  /** Milliseconds per op (median over repeats). */
  ms: number;
  gbPerS: number;
}

/**
 * Times `op` dispatched `k` times in one batch, then `sync()`, over `repeats` batches after
 * one warm-up batch (pipeline compile). Each output is disposed right away, but its buffer
 * is only recycled after the submit, so `k` outputs are live at once: keep k·size modest.
 * The ≥ 10 ms wait of `sync()` on Deno is included: choose k so a batch takes ≫ 10 ms.
 */
async function timeBatch(
  name: string,
  shape: number[],
  bytes: number,
  k: number,
  op: () => Tensor,
  repeats = 5,
): Promise<BandwidthResult> {
  const times: number[] = [];
  for (let r = 0; r <= repeats; r++) {
    const t0 = performance.now();
    noGrad(() => {
      for (let i = 0; i < k; i++) tidy(() => void op());
    });
    await sync();
    if (r > 0) times.push((performance.now() - t0) / k);
  }
  const ms = median(times);
  return { name, shape, ms, gbPerS: bytes / (ms * 1e6) };
}

function randomTensor(shape: number[], seed: number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tensor(new Rng(seed).normals(n), shape);
}

/** Softmax over rows of 128 on 4096×128. */
export function benchSoftmax(k = 100): Promise<BandwidthResult> {
  const shape = [4096, 128];
  return tidy(() => {
    const x = randomTensor(shape, 1);
    return timeBatch("softmax", shape, 2 * x.size * 4, k, () => softmax(x));
  });
}

/** LayerNorm (affine) over rows of 128 on 4096×128. */
export function benchLayerNorm(k = 100): Promise<BandwidthResult> {
  const shape = [4096, 128];
  return tidy(() => {
    const x = randomTensor(shape, 2);
    const w = randomTensor([128], 3);
    const b = randomTensor([128], 4);
    return timeBatch("layerNorm", shape, 2 * x.size * 4, k, () => layerNorm(x, w, b));
  });
}

/** Unary exp on 16M floats (vec4 kernel). */
export function benchExp(k = 8): Promise<BandwidthResult> {
  const shape = [16 << 20];
  return tidy(() => {
    const x = randomTensor(shape, 5);
    return timeBatch("exp", shape, 2 * x.size * 4, k, () => exp(x));
  });
}

/** Binary add of two 16M-float tensors of the same shape (vec4 kernel). */
export function benchAdd(k = 8): Promise<BandwidthResult> {
  const shape = [16 << 20];
  return tidy(() => {
    const a = randomTensor(shape, 6);
    const b = randomTensor(shape, 7);
    return timeBatch("add", shape, 3 * a.size * 4, k, () => add(a, b));
  });
}

/** All four, in order. */
export async function normBenchmarks(): Promise<BandwidthResult[]> {
  return [await benchSoftmax(), await benchLayerNorm(), await benchExp(), await benchAdd()];
}

if (import.meta.main) {
  const { getGpu } = await import("../gpu/device.ts");
  console.log((await getGpu()).adapterName);
  for (const r of await normBenchmarks()) {
    console.log(
      `${r.name.padEnd(10)} [${r.shape.join("×")}]  ${r.ms.toFixed(3)} ms  ${
        r.gbPerS.toFixed(2)
      } GB/s`,
    );
  }
}
