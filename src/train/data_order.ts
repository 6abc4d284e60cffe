/**
 * Data order as a pure function of (seed, step): the sample stream is the concatenation of
 * one seeded permutation of [0, n) per epoch, and step s reads stream positions
 * [s·B, (s+1)·B). A run resumed at step s therefore sees exactly the batches an
 * uninterrupted run would have.
 * @module
 */

import { Rng } from "../tensor/random.ts";
import { mixSeed } from "../nn/dropout.ts";

/** A seeded permutation of [0, n) (Fisher–Yates on `Rng`). */
export function permutation(n: number, seed: number): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  const rng = new Rng(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

/** Sample indices of each step for a data set of `n` items, batch `batch`, seed `seed`. */
export class DataOrder {
  #epoch = -1;
  #perm: Int32Array = new Int32Array(0);

  constructor(readonly n: number, readonly batch: number, readonly seed: number) {
    if (!(n > 0 && batch > 0)) throw new Error(`DataOrder: need n > 0 and batch > 0`);
  }

  /** Steps per epoch (the last batch of an epoch continues into the next permutation). */
  get stepsPerEpoch(): number {
    return this.n / this.batch;
  }

  /** The permutation of epoch `e` (a pure function of seed and e). */
  epochPermutation(e: number): Int32Array {
    if (e !== this.#epoch) {
      this.#perm = permutation(this.n, mixSeed(this.seed, e));
      this.#epoch = e;
    }
    return this.#perm;
  }

  /** The indices of step `step`'s batch. */
  indices(step: number): Int32Array {
    const out = new Int32Array(this.batch);
    for (let k = 0; k < this.batch; k++) {
      const pos = step * this.batch + k;
      const e = Math.floor(pos / this.n);
      out[k] = this.epochPermutation(e)[pos - e * this.n];
    }
    return out;
  }
}

/** Steps needed to see `epochs` passes over `n` items at batch `batch` (rounded up). */
export function stepsForEpochs(n: number, batch: number, epochs: number): number {
  return Math.max(1, Math.ceil((n * epochs) / batch));
}
