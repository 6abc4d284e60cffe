/**
 * The MLLM, LLaVA style: a ViT, a 2-layer MLP projector (Linear → GELU → Linear) and a
 * causal LM. The patch tokens of one ViT layer (the penultimate by default, as the paper)
 * go through the projector and are prepended to the text tokens as the LM's prefix; logits
 * come only at the text positions, and the training loss is the mean cross-entropy over
 * response tokens (labels −100 elsewhere; see chat.ts for the format and the label shift).
 *
 * Parameters are named `vit.*`, `projector.*` and `lm.*`, so a stage can load the ViT from
 * an E0 checkpoint and the LM from an L0 checkpoint with `loadPart`, and freeze parts
 * (`mllm.vit.freeze()`). ViT blocks above `visionLayer` and the ViT's final LayerNorm are
 * never run, so they get no gradient and AdamW leaves them untouched.
 *
 * The visual tokens at the projector output are a tensor of their own
 * (`visualTokens(images)` → `logitsFrom(visual, ids)`), so d loss / d visual tokens (the
 * gradient maps) is the gradient of a leaf made from them.
 * @module
 */

import type { Tensor } from "../tensor/tensor.ts";
import type { Rng } from "../tensor/random.ts";
import { ShapeError } from "../tensor/errors.ts";
import { concat } from "../tensor/ops/shape_ops.ts";
import { Module } from "../nn/module.ts";
import { MLP } from "../nn/layers.ts";
import { mixSeed } from "../nn/dropout.ts";
import { patchCount, ViT, type ViTConfig } from "../nn/vit.ts";
import { CausalLM, type CausalLMConfig, lmLoss } from "../nn/causal_lm.ts";
import { CHECKPOINT_FILES, CheckpointError, type CheckpointMeta } from "../nn/checkpoint.ts";
import { decodeSafetensors } from "../nn/safetensors.ts";

/** The shape of an MLLM, as plain data. */
export interface MLLMConfig {
  vit: ViTConfig;
  /** The LM; `maxLen` must cover the visual tokens plus the longest text. */
  lm: CausalLMConfig;
  /** ViT layer whose patch tokens are projected (as `ViT.features`; default −2). */
  visionLayer?: number;
}

/** What a forward call accepts besides images and ids. */
export interface MLLMCall {
  /** The training step's dropout seed (needed when dropout is active in training mode). */
  seed?: number;
}

/** Dropout sites of the two towers get decorrelated seeds. */
const VIT_SEED_SITE = 1000;
const LM_SEED_SITE = 2000;

/** ViT + projector + causal LM: images [B, H, W, C] and ids [B, T] → logits [B, T, V]. */
export class MLLM extends Module {
  readonly vit: ViT;
  readonly projector: MLP;
  readonly lm: CausalLM;
  /** Visual tokens per image (the LM prefix length P). */
  readonly visualCount: number;
  readonly visionLayer: number;

  constructor(readonly config: MLLMConfig, rng: Rng) {
    super();
    this.visualCount = patchCount(config.vit);
    this.visionLayer = config.visionLayer ?? -2;
    if (config.lm.maxLen <= this.visualCount) {
      throw new Error(
        `MLLM: LM maxLen ${config.lm.maxLen} leaves no room for text after ` +
          `${this.visualCount} visual tokens`,
      );
    }
    this.vit = this.child("vit", new ViT(config.vit, rng));
    const d = config.lm.width;
    this.projector = this.child("projector", new MLP(config.vit.width, d, d, rng));
    this.lm = this.child("lm", new CausalLM(config.lm, rng));
  }

  /** Text positions left after the visual prefix. */
  get maxTextLength(): number {
    return this.config.lm.maxLen - this.visualCount;
  }

  /** images [B, H, W, C] → visual tokens [B, P, D_lm] at the projector output. */
  visualTokens(images: Tensor, call: MLLMCall = {}): Tensor {
    const seed = call.seed === undefined ? undefined : mixSeed(call.seed, VIT_SEED_SITE);
    return this.projector.forward(this.vit.features(images, this.visionLayer, { seed }));
  }

  /**
   * Logits [R, T, V] at the text positions, with `visual` [B, P, D_lm] as the prefix. R may
   * be a multiple k·B of B: row r then uses the visual tokens of image r mod B (the layout
   * of `preferenceBatch`, whose chosen and rejected rows share an image), so the ViT runs
   * once per image and its gradient sums over the k uses.
   */
  logitsFrom(visual: Tensor, ids: Tensor, call: MLLMCall = {}): Tensor {
    if (visual.rank !== 3 || visual.shape[1] !== this.visualCount) {
      throw new ShapeError("MLLM", `visual tokens must be [B, ${this.visualCount}, D]`, [
        ...visual.shape,
      ]);
    }
    const [b, r] = [visual.shape[0], ids.shape[0]];
    if (ids.rank !== 2 || r % b !== 0) {
      throw new ShapeError("MLLM", `ids must be [k·${b}, T] for ${b} images`, [...ids.shape]);
    }
    const prefix = r === b ? visual : concat(new Array<Tensor>(r / b).fill(visual), 0);
    const seed = call.seed === undefined ? undefined : mixSeed(call.seed, LM_SEED_SITE);
    return this.lm.forward(ids, { prefix, seed });
  }

  /**
   * images f32 [B, H, W, C], ids i32 [R, T] (right-padded; see chat.ts; R = B, or k·B with
   * row r on image r mod B) → logits [R, T, V] at the text positions; logits[:, t] predicts
   * the token after ids[:, t].
   */
  forward(images: Tensor, ids: Tensor, call: MLLMCall = {}): Tensor {
    return this.logitsFrom(this.visualTokens(images, call), ids, call);
  }

  /** Mean cross-entropy over the positions whose label is not −100 (the response tokens). */
  loss(images: Tensor, ids: Tensor, labels: Tensor, call: MLLMCall = {}): Tensor {
    return lmLoss(this.forward(images, ids, call), labels);
  }
}

/**
 * Loads the parameters of `module` (e.g. `mllm.vit`, `mllm.lm`) from the model file of the
 * checkpoint folder `dir` (src/nn/checkpoint.ts format), where each parameter `n` is stored
 * as `prefix + n`: an E0 checkpoint of a two-tower model holds the ViT under `vit.`, an L0
 * checkpoint of a bare LM holds it under "". Tensors of the file outside the module are
 * ignored (e.g. a text tower). Every name and shape is checked before anything is written;
 * a mismatch throws a CheckpointError naming each tensor. Returns the checkpoint metadata.
 */
export async function loadPart(
  module: Module,
  dir: string,
  opts: { prefix?: string } = {},
): Promise<CheckpointMeta> {
  const prefix = opts.prefix ?? "";
  const metaPath = `${dir}/${CHECKPOINT_FILES.meta}`;
  const modelPath = `${dir}/${CHECKPOINT_FILES.model}`;
  let meta: CheckpointMeta;
  let bytes: Uint8Array;
  try {
    meta = JSON.parse(await Deno.readTextFile(metaPath));
    bytes = await Deno.readFile(modelPath);
  } catch (e) {
    throw new CheckpointError(`cannot read ${dir}: ${(e as Error).message}`);
  }
  if (meta.format !== "pivotlab-checkpoint-1") {
    throw new CheckpointError(`${metaPath}: unknown format ${JSON.stringify(meta.format)}`);
  }
  let file;
  try {
    file = decodeSafetensors(bytes);
  } catch (e) {
    throw new CheckpointError(`${modelPath}: ${(e as Error).message}`);
  }
  const named = module.namedParameters();
  const problems: string[] = [];
  for (const [n, p] of named) {
    const t = file.tensors.get(prefix + n);
    const shape = `[${p.shape.join(", ")}]`;
    if (!t) problems.push(`missing tensor ${prefix + n} (expected ${shape})`);
    else if (t.dtype !== "F32") problems.push(`tensor ${prefix + n} is ${t.dtype}, expected F32`);
    else if (t.shape.length !== p.rank || t.shape.some((d, i) => d !== p.shape[i])) {
      problems.push(`tensor ${prefix + n} has shape [${t.shape.join(", ")}], expected ${shape}`);
    }
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, 12).join("\n  ");
    const more = problems.length > 12 ? `\n  … and ${problems.length - 12} more` : "";
    throw new CheckpointError(`${modelPath} does not fit (prefix "${prefix}"):\n  ${shown}${more}`);
  }
  for (const [n, p] of named) p.write(file.tensors.get(prefix + n)!.data);
  return meta;
}
