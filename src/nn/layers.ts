/**
 * Basic layers: Linear, LayerNorm, Embedding, MLP. Initialisation (GPT-2 style):
 * - Linear weight ~ N(0, 0.02²) unless `std` is given (residual output projections use
 *   0.02/√(2·layers), set by the block); biases zeros. Weight decays, bias does not.
 * - LayerNorm weight ones, bias zeros; neither decays.
 * - Embedding table ~ N(0, 0.02²); does not decay.
 * @module
 */

import type { Tensor } from "../tensor/tensor.ts";
import type { Rng } from "../tensor/random.ts";
import { add } from "../tensor/ops/binary.ts";
import { matmul } from "../tensor/ops/matmul.ts";
import { layerNorm } from "../tensor/ops/norm.ts";
import { embedding } from "../tensor/ops/gather.ts";
import { gelu } from "../tensor/ops/unary.ts";
import { reshape } from "../tensor/ops/shape_ops.ts";
import { ShapeError } from "../tensor/errors.ts";
import { constInit, Module, normalInit } from "./module.ts";

/** Standard deviation of the default normal initialisation. */
export const INIT_STD = 0.02;

/** Options of `Linear`. */
export interface LinearOptions {
  /** Add a bias (default true). */
  bias?: boolean;
  /** Standard deviation of the weight initialisation (default 0.02). */
  std?: number;
}

/**
 * y = x·W + b with W stored [in, out] (so the forward is one matmul without transpose) on
 * inputs [..., in] → [..., out].
 */
export class Linear extends Module {
  /** [in, out]. */
  readonly weight: Tensor;
  /** [out], or null without bias. */
  readonly bias: Tensor | null;

  /** A layer mapping `inFeatures` to `outFeatures`, initialised from `rng`. */
  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    rng: Rng,
    opts: LinearOptions = {},
  ) {
    super();
    this.weight = this.param(
      "weight",
      [inFeatures, outFeatures],
      normalInit(opts.std ?? INIT_STD),
      rng,
    );
    this.bias = opts.bias === false
      ? null
      : this.param("bias", [outFeatures], constInit(0), rng, { decay: false });
  }

  /** [..., in] → [..., out]. */
  forward(x: Tensor): Tensor {
    if (x.rank === 0 || x.shape[x.rank - 1] !== this.inFeatures) {
      throw new ShapeError("Linear", `expects [..., ${this.inFeatures}] input`, [...x.shape], [
        ...this.weight.shape,
      ]);
    }
    const y = x.rank === 1
      ? reshape(matmul(reshape(x, [1, -1]), this.weight), [-1])
      : matmul(x, this.weight);
    return this.bias ? add(y, this.bias) : y;
  }
}

/** LayerNorm over the last axis with a learned gain (ones) and shift (zeros). */
export class LayerNorm extends Module {
  /** Scale, initialised to ones. */
  readonly weight: Tensor;
  /** Shift, initialised to zeros. */
  readonly bias: Tensor;

  /** Normalises the last axis of size `dim`. */
  constructor(readonly dim: number, rng: Rng, readonly eps = 1e-5) {
    super();
    this.weight = this.param("weight", [dim], constInit(1), rng, { decay: false });
    this.bias = this.param("bias", [dim], constInit(0), rng, { decay: false });
  }

  /** [..., dim] → [..., dim]. */
  forward(x: Tensor): Tensor {
    return layerNorm(x, this.weight, this.bias, this.eps);
  }
}

/** A lookup table [count, dim] indexed by i32 ids; ids outside the table give zeros. */
export class Embedding extends Module {
  /** The table, [count, dim]. */
  readonly weight: Tensor;

  /** A table of `count` vectors of size `dim`. */
  constructor(readonly count: number, readonly dim: number, rng: Rng, std = INIT_STD) {
    super();
    this.weight = this.param("weight", [count, dim], normalInit(std), rng, { decay: false });
  }

  /** ids (i32, any shape) → [...ids.shape, dim]. */
  forward(ids: Tensor): Tensor {
    return embedding(this.weight, ids);
  }
}

/** Options of `MLP`. */
export interface MLPOptions {
  /** Initialisation std of the first layer (default 0.02). */
  std?: number;
  /** Initialisation std of the output layer (default `std`; smaller for residual branches). */
  outStd?: number;
  /** Biases on both layers (default true). */
  bias?: boolean;
}

/** Linear → GELU (tanh form) → Linear; the transformer MLP and the vision–language projector. */
export class MLP extends Module {
  /** First layer (input → hidden). */
  readonly fc1: Linear;
  /** Second layer (hidden → output). */
  readonly fc2: Linear;

  /** Linear → GELU → Linear. */
  constructor(inDim: number, hidden: number, outDim: number, rng: Rng, opts: MLPOptions = {}) {
    super();
    const std = opts.std ?? INIT_STD;
    this.fc1 = this.child("fc1", new Linear(inDim, hidden, rng, { std, bias: opts.bias }));
    this.fc2 = this.child(
      "fc2",
      new Linear(hidden, outDim, rng, { std: opts.outStd ?? std, bias: opts.bias }),
    );
  }

  /** [..., in] → [..., out]. */
  forward(x: Tensor): Tensor {
    return this.fc2.forward(gelu(this.fc1.forward(x)));
  }
}
