/**
 * The sigmoid image–text loss of SigLIP (Zhai et al. 2023), composed from existing ops:
 *
 *   x̂ = x / ‖x‖,  ŷ = y / ‖y‖                       (rows L2-normalised)
 *   logits_ij = exp(t′) · x̂_i·ŷ_j + b                 (t′ = log-temperature, b = bias)
 *   loss = −(1/B) Σ_i Σ_j log σ(z_ij · logits_ij),   z = +1 on the diagonal, −1 elsewhere
 *
 * Normalisation: the sum over all B² pairs is divided by B, as in the SigLIP paper, so
 * the loss is "per image" (its positive part does not shrink with the batch). With t′ =
 * log 10 and b = −10 at initialisation, the loss starts near 10·(1 − cos) + B·e^(−10) ≈ 10.
 * @module
 */

import type { Rng } from "../../tensor/random.ts";
import { type Tensor, tensor } from "../../tensor/tensor.ts";
import { add, div, mul } from "../../tensor/ops/binary.ts";
import { matmul } from "../../tensor/ops/matmul.ts";
import { sum, sumAll } from "../../tensor/ops/reduce.ts";
import { addScalar, exp, logSigmoid, scale, sqrt, square } from "../../tensor/ops/unary.ts";
import { ShapeError } from "../../tensor/errors.ts";
import { constInit, Module } from "../../nn/module.ts";

/** Added to ‖x‖² before the square root, so a zero row gives a zero vector, not NaN. */
export const NORM_EPS = 1e-12;

/** SigLIP's initial log-temperature (t = 10) and bias. */
export const SIGLIP_INIT = { logScale: Math.log(10), bias: -10 } as const;

/** Rows of x [N, D] divided by their L2 norm (√(‖x‖² + ε)). */
export function l2Normalize(x: Tensor): Tensor {
  if (x.rank !== 2) throw new ShapeError("l2Normalize", "expects [N, D]", [...x.shape]);
  return div(x, sqrt(addScalar(sum(square(x), 1, true), NORM_EPS)));
}

/** ±1 labels [B, B]: +1 on the diagonal (matching pairs), −1 elsewhere. */
export function pairSigns(b: number): Tensor {
  const z = new Float32Array(b * b).fill(-1);
  for (let i = 0; i < b; i++) z[i * b + i] = 1;
  return tensor(z, [b, b]);
}

/** logits [B, B] = exp(logScale)·x̂·ŷᵀ + bias, from unnormalised embeddings. */
export function siglipLogits(img: Tensor, txt: Tensor, logScale: Tensor, bias: Tensor): Tensor {
  if (img.rank !== 2 || txt.rank !== 2 || img.shape[1] !== txt.shape[1]) {
    throw new ShapeError("siglip", "needs image and text embeddings [B, D] and [B′, D]", [
      ...img.shape,
    ], [...txt.shape]);
  }
  if (logScale.size !== 1 || bias.size !== 1) {
    throw new ShapeError("siglip", "logScale and bias must hold one value each", [
      ...logScale.shape,
    ], [...bias.shape]);
  }
  const cos = matmul(l2Normalize(img), l2Normalize(txt), { transB: true });
  return add(mul(cos, exp(logScale)), bias);
}

/**
 * The SigLIP loss of a batch of B matching (image, text) pairs: img, txt [B, D]; logScale
 * and bias one element each (learnable). Returns a scalar: −(1/B) Σ_ij log σ(z_ij·logits_ij).
 */
export function siglipLoss(img: Tensor, txt: Tensor, logScale: Tensor, bias: Tensor): Tensor {
  const b = img.shape[0];
  if (txt.shape[0] !== b) {
    throw new ShapeError("siglipLoss", "needs as many texts as images", [...img.shape], [
      ...txt.shape,
    ]);
  }
  const logits = siglipLogits(img, txt, logScale, bias);
  return scale(sumAll(logSigmoid(mul(logits, pairSigns(b)))), -1 / b);
}

/** The loss's two learnable scalars: log-temperature t′ and bias b (neither decays). */
export class SigLIPScale extends Module {
  /** [1], initialised to log 10. */
  readonly logScale: Tensor;
  /** [1], initialised to −10. */
  readonly bias: Tensor;

  constructor(rng: Rng, init: { logScale?: number; bias?: number } = {}) {
    super();
    const ls = init.logScale ?? SIGLIP_INIT.logScale;
    const bias = init.bias ?? SIGLIP_INIT.bias;
    this.logScale = this.param("log_scale", [1], constInit(ls), rng, { decay: false });
    this.bias = this.param("bias", [1], constInit(bias), rng, { decay: false });
  }

  /** The loss of matching embeddings img, txt [B, D]. */
  loss(img: Tensor, txt: Tensor): Tensor {
    return siglipLoss(img, txt, this.logScale, this.bias);
  }
}
