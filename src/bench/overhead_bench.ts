/**
 * Fixed costs of the WebGPU path: one dispatch inside a batch, and one readback. They
 * decide how work must be batched (see docs/ENGINE.md).
 * @module
 */

import { sync } from "../gpu/batch.ts";
import { full } from "../tensor/ops/create.ts";
import { tensor } from "../tensor/tensor.ts";
import { tidy } from "../tensor/scope.ts";
import { median } from "./timing.ts";

/** One overhead measurement. */
export interface OverheadResult {
  name: string;
  /** Microseconds per operation (median over repeats). */
  us: number;
  repeats: number;
}

/** Cost of one tiny dispatch recorded in a batch of `n`, including its share of the submit. */
export async function dispatchOverhead(n = 2000, repeats = 5): Promise<OverheadResult> {
  const times: number[] = [];
  for (let r = 0; r < repeats + 1; r++) {
    await tidy(async () => {
      const t0 = performance.now();
      for (let i = 0; i < n; i++) full([64], i);
      await sync();
      if (r > 0) times.push(((performance.now() - t0) * 1000) / n);
    });
  }
  return { name: "dispatch (64-element fill, in a batch)", us: median(times), repeats };
}

/** Cost of reading 16 bytes back to the CPU (mapAsync round trip). */
export async function readbackCost(repeats = 10): Promise<OverheadResult> {
  const times: number[] = [];
  await tidy(async () => {
    const t = tensor([1, 2, 3, 4]);
    await t.read();
    for (let r = 0; r < repeats; r++) {
      const t0 = performance.now();
      await t.read();
      times.push((performance.now() - t0) * 1000);
    }
  });
  return { name: "readback of 16 bytes (mapAsync)", us: median(times), repeats };
}
