/**
 * The order in which a training run visits a data set: each epoch is a fresh seeded
 * permutation, and the batch of step s is a pure function of (seed, s), so a run resumed
 * at step s sees exactly the batches the uninterrupted run would have seen.
 * @module
 */

import { Rng } from "../tensor/random.ts";
import { subSeed } from "../world/rng.ts";

/** The permutation of 0 … count−1 used in `epoch` (Fisher–Yates from a seeded stream). */
export function epochPermutation(count: number, seed: number, epoch: number): Int32Array {
  const perm = new Int32Array(count);
  for (let i = 0; i < count; i++) perm[i] = i;
  const rng = new Rng(subSeed(seed, "epoch", epoch));
  for (let i = count - 1; i > 0; i--) {
    const j = rng.uint32() % (i + 1);
    const t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
  return perm;
}

/**
 * Batches of `batchSize` items from an epoch-shuffled order over `count` items. An epoch
 * holds ⌊count / batchSize⌋ full batches; the remainder of each permutation is skipped
 * (different items each epoch), so every batch has the same shape.
 */
export class BatchOrder {
  readonly stepsPerEpoch: number;
  #epoch = -1;
  #perm: Int32Array = new Int32Array(0);

  constructor(readonly count: number, readonly batchSize: number, readonly seed: number) {
    if (!(Number.isInteger(batchSize) && batchSize > 0 && batchSize <= count)) {
      throw new Error(`BatchOrder: batch size ${batchSize} must be in [1, ${count}]`);
    }
    this.stepsPerEpoch = Math.floor(count / batchSize);
  }

  /** The epoch that step `step` falls in. */
  epochOf(step: number): number {
    return Math.floor(step / this.stepsPerEpoch);
  }

  /** Item indices of the batch of `step` (0-based). */
  indices(step: number): Int32Array {
    if (!(Number.isInteger(step) && step >= 0)) throw new Error(`BatchOrder: bad step ${step}`);
    const epoch = this.epochOf(step);
    if (epoch !== this.#epoch) {
      this.#perm = epochPermutation(this.count, this.seed, epoch);
      this.#epoch = epoch;
    }
    const start = (step - epoch * this.stepsPerEpoch) * this.batchSize;
    return this.#perm.slice(start, start + this.batchSize);
  }
}
