/**
 * Float64 references of the whole models (the oracle of tests/nn/whole_step.test.ts): the
 * ViT classifier and the causal LM, computed from parameters given by their dotted paths
 * (as `namedParameters()` names them), built from the layer references of
 * tests/nn/ref_layers.ts and tests/ref/vision.ts.
 */

import { layerNormRef, linearRef, mhaRef, mlpRef, type RefMask } from "../nn/ref_layers.ts";
import { patchifyRef, poolRef } from "./vision.ts";

/** Parameters by dotted path, in float64. */
export type RefParams = Map<string, Float64Array>;

function get(p: RefParams, name: string): Float64Array {
  const v = p.get(name);
  if (!v) throw new Error(`reference: no parameter ${name}`);
  return v;
}

/** The pre-LN block (no dropout) with its parameters under `prefix` (e.g. `blocks.0.`). */
export function blockRefAt(
  x: Float64Array,
  p: RefParams,
  prefix: string,
  dims: { b: number; t: number; d: number; h: number; hidden: number },
  mask: RefMask,
): Float64Array {
  const { d, hidden } = dims;
  const ln = (v: Float64Array, name: string) =>
    layerNormRef(v, get(p, `${prefix}${name}.weight`), get(p, `${prefix}${name}.bias`), d);
  const a = mhaRef(ln(x, "ln1"), p, `${prefix}attn.`, dims, mask);
  const h1 = x.map((v, i) => v + a[i]);
  const m = mlpRef(ln(h1, "ln2"), p, `${prefix}mlp.`, [d, hidden, d]);
  return h1.map((v, i) => v + m[i]);
}

/** Mean over rows of −log softmax(logits)[target], rows with target = ignore skipped. */
export function crossEntropyMeanRef(
  logits: Float64Array,
  targets: ArrayLike<number>,
  v: number,
  ignore = -100,
): number {
  let total = 0;
  let count = 0;
  for (let r = 0; r < targets.length; r++) {
    const t = targets[r];
    if (t === ignore || t < 0 || t >= v) continue;
    let m = -Infinity;
    for (let j = 0; j < v; j++) m = Math.max(m, logits[r * v + j]);
    let s = 0;
    for (let j = 0; j < v; j++) s += Math.exp(logits[r * v + j] - m);
    total -= logits[r * v + t] - m - Math.log(s);
    count += 1;
  }
  return count > 0 ? total / count : 0;
}

/** The ViT classifier's shape, as the reference needs it. */
export interface VitRefConfig {
  batch: number;
  imageSize: number;
  patch: number;
  channels: number;
  width: number;
  depth: number;
  heads: number;
  hidden: number;
  classes: number;
}

/** ViT patch tokens [B, N, D] after `layer` blocks (0 = embeddings; no final LayerNorm). */
export function vitFeaturesRef(
  p: RefParams,
  images: Float64Array,
  c: VitRefConfig,
  layer: number,
  prefix = "vit.",
): Float64Array {
  const n = (c.imageSize / c.patch) ** 2;
  const pd = c.patch * c.patch * c.channels;
  const patches = patchifyRef([c.batch, c.imageSize, c.imageSize, c.channels], c.patch)([images]);
  let x = linearRef(
    patches,
    get(p, `${prefix}patch_embed.weight`),
    get(p, `${prefix}patch_embed.bias`),
    pd,
    c.width,
  );
  const pos = get(p, `${prefix}pos`);
  x = x.map((v, i) => v + pos[i % (n * c.width)]);
  const dims = { b: c.batch, t: n, d: c.width, h: c.heads, hidden: c.hidden };
  for (let l = 0; l < layer; l++) x = blockRefAt(x, p, `${prefix}blocks.${l}.`, dims, {});
  return x;
}

/** ViT classifier logits [B, classes] for images [B, H, W, C] (parameters under `vit.`, `head.`). */
export function vitClassifierLogitsRef(
  p: RefParams,
  images: Float64Array,
  c: VitRefConfig,
): Float64Array {
  const n = (c.imageSize / c.patch) ** 2;
  let x = vitFeaturesRef(p, images, c, c.depth);
  x = layerNormRef(x, get(p, "vit.norm.weight"), get(p, "vit.norm.bias"), c.width);
  const pooled = poolRef([c.batch, n, c.width], true)([x]);
  return linearRef(pooled, get(p, "head.weight"), get(p, "head.bias"), c.width, c.classes);
}

/** Mean cross-entropy of the ViT classifier on labels [B]. */
export function vitClassifierLossRef(
  p: RefParams,
  images: Float64Array,
  labels: ArrayLike<number>,
  c: VitRefConfig,
): number {
  return crossEntropyMeanRef(vitClassifierLogitsRef(p, images, c), labels, c.classes);
}

/** The causal LM's shape, as the reference needs it. */
export interface LMRefConfig {
  batch: number;
  /** Token positions T. */
  tokens: number;
  /** Prefix positions P (0 without a prefix). */
  prefix: number;
  vocab: number;
  maxLen: number;
  width: number;
  depth: number;
  heads: number;
  hidden: number;
}

/**
 * Causal LM logits [B, T, V] at the token positions, with an optional prefix [B, P, D]
 * placed before the token embeddings (parameters under `tok_embed.`, `pos`, `blocks.N.`,
 * `norm.`, `head.`). Ids outside the vocabulary embed to zeros, as the embedding op.
 */
export function causalLMLogitsRef(
  p: RefParams,
  ids: ArrayLike<number>,
  c: LMRefConfig,
  prefix?: Float64Array,
): Float64Array {
  const { batch: b, tokens: t, prefix: pl, width: d } = c;
  const l = pl + t;
  const table = get(p, "tok_embed.weight");
  const pos = get(p, "pos");
  let x: Float64Array = new Float64Array(b * l * d);
  for (let bi = 0; bi < b; bi++) {
    for (let s = 0; s < l; s++) {
      for (let k = 0; k < d; k++) {
        let v: number;
        if (s < pl) v = prefix![(bi * pl + s) * d + k];
        else {
          const id = ids[bi * t + s - pl];
          v = id >= 0 && id < c.vocab ? table[id * d + k] : 0;
        }
        x[(bi * l + s) * d + k] = v + pos[s * d + k];
      }
    }
  }
  const dims = { b, t: l, d, h: c.heads, hidden: c.hidden };
  for (let k = 0; k < c.depth; k++) x = blockRefAt(x, p, `blocks.${k}.`, dims, { causal: true });
  x = layerNormRef(x, get(p, "norm.weight"), get(p, "norm.bias"), d);
  const h = new Float64Array(b * t * d);
  for (let bi = 0; bi < b; bi++) {
    h.set(x.subarray((bi * l + pl) * d, (bi * l + l) * d), bi * t * d);
  }
  return linearRef(h, get(p, "head.weight"), undefined, d, c.vocab);
}

/** Mean next-token cross-entropy of the causal LM (targets [B, T], −100 skipped). */
export function causalLMLossRef(
  p: RefParams,
  ids: ArrayLike<number>,
  targets: ArrayLike<number>,
  c: LMRefConfig,
  prefix?: Float64Array,
): number {
  return crossEntropyMeanRef(causalLMLogitsRef(p, ids, c, prefix), targets, c.vocab);
}

/**
 * Central differences of a scalar float64 function of `values` (perturbed in place and
 * restored), one element at a time: (f(x + ε) − f(x − ε)) / 2ε.
 */
export function centralDifferences(
  values: Float64Array,
  f: () => number,
  eps: number,
): Float64Array {
  const g = new Float64Array(values.length);
  for (let j = 0; j < values.length; j++) {
    const saved = values[j];
    values[j] = saved + eps;
    const up = f();
    values[j] = saved - eps;
    const down = f();
    values[j] = saved;
    g[j] = (up - down) / (2 * eps);
  }
  return g;
}
