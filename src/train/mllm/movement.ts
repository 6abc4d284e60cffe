/**
 * Did training move the vision encoder? Two numbers per stage, both relative to the ViT the
 * stage started from (for Stage 2: the Stage-1b ViT):
 *
 * - weights: ‖θ − θ₀‖ / ‖θ₀‖ over the ViT parameters the MLLM runs (the patch embedding,
 *   positions and the blocks up to the vision layer; the blocks above it and the final
 *   LayerNorm never run, so they are left out rather than diluting the ratio);
 * - features: ‖F − F₀‖ / ‖F₀‖ of the vision-layer patch tokens on a fixed held-out batch.
 * @module
 */

import { noGrad, type Tensor } from "../../tensor/tensor.ts";
import type { MLLM } from "../../mllm/model.ts";

/** The ViT's state at the start of a stage, on the CPU. */
export interface VitSnapshot {
  params: Map<string, Float32Array>;
  features: Float32Array;
}

/** Relative change of the encoder's weights and features. */
export interface EncoderMovement {
  weights: number;
  features: number;
  /** Parameters counted in `weights`. */
  params: number;
}

/** Whether ViT parameter `name` runs when features of `layer` are taken. */
function runs(name: string, depth: number, layer: number): boolean {
  const k = layer < 0 ? depth + 1 + layer : layer;
  if (name.startsWith("norm.")) return false;
  const m = /^blocks\.(\d+)\./.exec(name);
  return !m || Number(m[1]) < k;
}

/** The vision-layer features of `images` (eval mode, no gradient), read to the CPU. */
export async function vitFeatures(model: MLLM, images: Tensor): Promise<Float32Array> {
  const was = model.vit.training;
  model.vit.eval();
  try {
    const f = noGrad(() => model.vit.features(images, model.visionLayer));
    const values = await f.data();
    f.dispose();
    return Float32Array.from(values);
  } finally {
    model.vit.train(was);
  }
}

/** Reads the running ViT parameters and the probe features. */
export async function snapshotVit(model: MLLM, probe: Tensor): Promise<VitSnapshot> {
  const params = new Map<string, Float32Array>();
  const depth = model.vit.blocks.length;
  for (const [n, p] of model.vit.namedParameters()) {
    if (runs(n, depth, model.visionLayer)) params.set(n, Float32Array.from(await p.data()));
  }
  return { params, features: await vitFeatures(model, probe) };
}

function relative(a: ArrayLike<number>[], b: ArrayLike<number>[]): number {
  let diff = 0;
  let base = 0;
  a.forEach((x, j) => {
    const y = b[j];
    for (let i = 0; i < x.length; i++) {
      diff += (x[i] - y[i]) ** 2;
      base += y[i] ** 2;
    }
  });
  return base > 0 ? Math.sqrt(diff / base) : 0;
}

/** Movement of the model's ViT since `before`. */
export async function encoderMovement(
  model: MLLM,
  probe: Tensor,
  before: VitSnapshot,
): Promise<EncoderMovement> {
  const now = await snapshotVit(model, probe);
  const names = [...before.params.keys()];
  return {
    weights: relative(
      names.map((n) => now.params.get(n)!),
      names.map((n) => before.params.get(n)!),
    ),
    features: relative([now.features], [before.features]),
    params: names.reduce((s, n) => s + before.params.get(n)!.length, 0),
  };
}
