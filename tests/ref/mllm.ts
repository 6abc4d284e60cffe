/**
 * Float64 reference of the MLLM (the oracle of tests/mllm/whole_model.test.ts): ViT
 * features of one layer → projector (Linear → GELU → Linear) → causal LM with the
 * projected tokens as prefix → mean cross-entropy over labelled (response) positions.
 * Parameters by dotted path as `MLLM.namedParameters()` names them (`vit.*`,
 * `projector.*`, `lm.*`); built from the ViT/LM references of tests/ref/transformer.ts.
 */

import { linearRef, mlpRef } from "../nn/ref_layers.ts";
import { patchifyRef } from "./vision.ts";
import {
  blockRefAt,
  causalLMLogitsRef,
  crossEntropyMeanRef,
  type LMRefConfig,
  type RefParams,
} from "./transformer.ts";

/** The MLLM's shape, as the reference needs it. */
export interface MLLMRefConfig {
  batch: number;
  imageSize: number;
  patch: number;
  channels: number;
  vitWidth: number;
  vitHeads: number;
  vitHidden: number;
  /** Number of ViT blocks run (the resolved vision layer: depth − 1 for the penultimate). */
  vitBlocks: number;
  /** The LM (its `prefix` = number of patches, `tokens` = T). */
  lm: Omit<LMRefConfig, "batch" | "prefix">;
}

/** The parameters under `prefix`, renamed without it (sharing the arrays). */
export function subParams(p: RefParams, prefix: string): RefParams {
  const out: RefParams = new Map();
  for (const [n, v] of p) if (n.startsWith(prefix)) out.set(n.slice(prefix.length), v);
  return out;
}

/** Patch tokens [B, N, D] after `vitBlocks` blocks of the ViT (parameters under `vit.`). */
export function vitFeaturesRef(p: RefParams, images: Float64Array, c: MLLMRefConfig): Float64Array {
  const n = (c.imageSize / c.patch) ** 2;
  const pd = c.patch * c.patch * c.channels;
  const patches = patchifyRef([c.batch, c.imageSize, c.imageSize, c.channels], c.patch)([images]);
  let x = linearRef(
    patches,
    p.get("vit.patch_embed.weight")!,
    p.get("vit.patch_embed.bias"),
    pd,
    c.vitWidth,
  );
  const pos = p.get("vit.pos")!;
  x = x.map((v, i) => v + pos[i % (n * c.vitWidth)]);
  const dims = { b: c.batch, t: n, d: c.vitWidth, h: c.vitHeads, hidden: c.vitHidden };
  for (let l = 0; l < c.vitBlocks; l++) x = blockRefAt(x, p, `vit.blocks.${l}.`, dims, {});
  return x;
}

/** The visual tokens [B, N, D_lm] at the projector output. */
export function visualTokensRef(
  p: RefParams,
  images: Float64Array,
  c: MLLMRefConfig,
): Float64Array {
  const d = c.lm.width;
  return mlpRef(vitFeaturesRef(p, images, c), p, "projector.", [c.vitWidth, d, d]);
}

function lmConfig(c: MLLMRefConfig): LMRefConfig {
  return { ...c.lm, batch: c.batch, prefix: (c.imageSize / c.patch) ** 2 };
}

/** Logits [B, T, V] at the text positions, from given visual tokens. */
export function mllmLogitsFromRef(
  p: RefParams,
  visual: Float64Array,
  ids: ArrayLike<number>,
  c: MLLMRefConfig,
): Float64Array {
  return causalLMLogitsRef(subParams(p, "lm."), ids, lmConfig(c), visual);
}

/** Mean cross-entropy over positions with a label ≠ −100, from given visual tokens. */
export function mllmLossFromRef(
  p: RefParams,
  visual: Float64Array,
  ids: ArrayLike<number>,
  labels: ArrayLike<number>,
  c: MLLMRefConfig,
): number {
  return crossEntropyMeanRef(mllmLogitsFromRef(p, visual, ids, c), labels, c.lm.vocab);
}

/** The MLLM's response-only loss for images [B, H, W, C], ids and labels [B, T]. */
export function mllmLossRef(
  p: RefParams,
  images: Float64Array,
  ids: ArrayLike<number>,
  labels: ArrayLike<number>,
  c: MLLMRefConfig,
): number {
  return mllmLossFromRef(p, visualTokensRef(p, images, c), ids, labels, c);
}

// ---------------------------------------------------------------------------------------
// A fast, staged float64 twin of the same model, for central differences of ~10⁴
// parameters: tight typed-array loops, and every stage's input cached, so perturbing a
// parameter re-runs only the stages from its own onward. It is checked against the
// reference above (built from the shared layer references) before it is trusted.

const GELU_K = Math.sqrt(2 / Math.PI);

function linearF(
  x: Float64Array,
  rows: number,
  inDim: number,
  outDim: number,
  w: Float64Array,
  b?: Float64Array,
): Float64Array {
  const y = new Float64Array(rows * outDim);
  for (let r = 0; r < rows; r++) {
    const yo = r * outDim;
    if (b) { for (let o = 0; o < outDim; o++) y[yo + o] = b[o]; }
    for (let i = 0; i < inDim; i++) {
      const xv = x[r * inDim + i];
      const wo = i * outDim;
      for (let o = 0; o < outDim; o++) y[yo + o] += xv * w[wo + o];
    }
  }
  return y;
}

function layerNormF(x: Float64Array, d: number, w: Float64Array, b: Float64Array): Float64Array {
  const y = new Float64Array(x.length);
  for (let r = 0; r < x.length / d; r++) {
    let mean = 0;
    for (let i = 0; i < d; i++) mean += x[r * d + i];
    mean /= d;
    let v = 0;
    for (let i = 0; i < d; i++) v += (x[r * d + i] - mean) ** 2;
    const rstd = 1 / Math.sqrt(v / d + 1e-5);
    for (let i = 0; i < d; i++) y[r * d + i] = (x[r * d + i] - mean) * rstd * w[i] + b[i];
  }
  return y;
}

/** Multi-head attention of qkv [B, T, 3D] (q, k, v each [T, H, Dh] per row) → [B, T, D]. */
function attentionF(
  qkv: Float64Array,
  b: number,
  t: number,
  d: number,
  h: number,
  causal: boolean,
): Float64Array {
  const dh = d / h;
  const scale = 1 / Math.sqrt(dh);
  const o = new Float64Array(b * t * d);
  const s = new Float64Array(t);
  for (let bi = 0; bi < b; bi++) {
    for (let hi = 0; hi < h; hi++) {
      for (let i = 0; i < t; i++) {
        const qo = (bi * t + i) * 3 * d + hi * dh;
        const end = causal ? i + 1 : t;
        let m = -Infinity;
        for (let j = 0; j < end; j++) {
          const ko = (bi * t + j) * 3 * d + d + hi * dh;
          let dot = 0;
          for (let e = 0; e < dh; e++) dot += qkv[qo + e] * qkv[ko + e];
          s[j] = dot * scale;
          if (s[j] > m) m = s[j];
        }
        let z = 0;
        for (let j = 0; j < end; j++) z += s[j] = Math.exp(s[j] - m);
        const oo = (bi * t + i) * d + hi * dh;
        for (let j = 0; j < end; j++) {
          const vo = (bi * t + j) * 3 * d + 2 * d + hi * dh;
          const w = s[j] / z;
          for (let e = 0; e < dh; e++) o[oo + e] += w * qkv[vo + e];
        }
      }
    }
  }
  return o;
}

function mlpF(
  x: Float64Array,
  rows: number,
  dims: [number, number, number],
  p: RefParams,
  prefix: string,
): Float64Array {
  const [i, hd, o] = dims;
  const hid = linearF(x, rows, i, hd, p.get(`${prefix}fc1.weight`)!, p.get(`${prefix}fc1.bias`));
  for (let k = 0; k < hid.length; k++) {
    const v = hid[k];
    hid[k] = 0.5 * v * (1 + Math.tanh(GELU_K * (v + 0.044715 * v * v * v)));
  }
  return linearF(hid, rows, hd, o, p.get(`${prefix}fc2.weight`)!, p.get(`${prefix}fc2.bias`));
}

function blockF(
  x: Float64Array,
  p: RefParams,
  prefix: string,
  dims: { b: number; t: number; d: number; h: number; hidden: number },
  causal: boolean,
): Float64Array {
  const { b, t, d, h, hidden } = dims;
  const rows = b * t;
  const g = (n: string) => p.get(prefix + n)!;
  const qkv = linearF(
    layerNormF(x, d, g("ln1.weight"), g("ln1.bias")),
    rows,
    d,
    3 * d,
    g("attn.qkv.weight"),
    g("attn.qkv.bias"),
  );
  const a = linearF(
    attentionF(qkv, b, t, d, h, causal),
    rows,
    d,
    d,
    g("attn.proj.weight"),
    g("attn.proj.bias"),
  );
  const h1 = new Float64Array(x.length);
  for (let k = 0; k < x.length; k++) h1[k] = x[k] + a[k];
  const m = mlpF(
    layerNormF(h1, d, g("ln2.weight"), g("ln2.bias")),
    rows,
    [d, hidden, d],
    p,
    `${prefix}mlp.`,
  );
  for (let k = 0; k < x.length; k++) h1[k] += m[k];
  return h1;
}

/** A stage of the staged reference: which parameters it owns and how it maps its input. */
interface Stage {
  owns: (name: string) => boolean;
  run: (x: Float64Array) => Float64Array;
}

/**
 * The MLLM loss as a chain of stages (ViT embedding, ViT blocks, projector, LM embedding,
 * LM blocks, head + loss) over fixed data, caching each stage's input. `lossFor(name)`
 * re-runs from the stage that owns parameter `name`; `lossFromVisual(v)` from the visual
 * tokens. Parameters are read from `p` at every call (perturb them in place).
 */
export class StagedMLLMRef {
  readonly stages: Stage[] = [];
  #inputs: Float64Array[] = [];
  readonly visualStage: number;

  constructor(
    readonly p: RefParams,
    readonly c: MLLMRefConfig,
    images: Float64Array,
    readonly ids: ArrayLike<number>,
    readonly labels: ArrayLike<number>,
  ) {
    const n = (c.imageSize / c.patch) ** 2;
    const { batch: b, vitWidth: dv } = c;
    const { width: d, tokens: t, vocab } = c.lm;
    const l = n + t;
    const pd = c.patch * c.patch * c.channels;
    const vitDims = { b, t: n, d: dv, h: c.vitHeads, hidden: c.vitHidden };
    const lmDims = { b, t: l, d, h: c.lm.heads, hidden: c.lm.hidden };
    const patches = patchifyRef([b, c.imageSize, c.imageSize, c.channels], c.patch)([images]);
    this.stages.push({
      owns: (s) => s === "vit.pos" || s.startsWith("vit.patch_embed."),
      run: (x) => {
        const y = linearF(
          x,
          b * n,
          pd,
          dv,
          p.get("vit.patch_embed.weight")!,
          p.get("vit.patch_embed.bias"),
        );
        const pos = p.get("vit.pos")!;
        for (let k = 0; k < y.length; k++) y[k] += pos[k % (n * dv)];
        return y;
      },
    });
    for (let i = 0; i < c.vitBlocks; i++) {
      const prefix = `vit.blocks.${i}.`;
      this.stages.push({
        owns: (s) => s.startsWith(prefix),
        run: (x) => blockF(x, p, prefix, vitDims, false),
      });
    }
    this.stages.push({
      owns: (s) => s.startsWith("projector."),
      run: (x) => mlpF(x, b * n, [dv, d, d], p, "projector."),
    });
    this.visualStage = this.stages.length;
    this.stages.push({
      owns: (s) => s === "lm.pos" || s.startsWith("lm.tok_embed."),
      run: (visual) => {
        const table = p.get("lm.tok_embed.weight")!;
        const pos = p.get("lm.pos")!;
        const x = new Float64Array(b * l * d);
        for (let bi = 0; bi < b; bi++) {
          for (let s = 0; s < l; s++) {
            const id = s < n ? -1 : ids[bi * t + s - n];
            for (let k = 0; k < d; k++) {
              const v = s < n
                ? visual[(bi * n + s) * d + k]
                : id >= 0 && id < vocab
                ? table[id * d + k]
                : 0;
              x[(bi * l + s) * d + k] = v + pos[s * d + k];
            }
          }
        }
        return x;
      },
    });
    for (let i = 0; i < c.lm.depth; i++) {
      const prefix = `lm.blocks.${i}.`;
      this.stages.push({
        owns: (s) => s.startsWith(prefix),
        run: (x) => blockF(x, p, prefix, lmDims, true),
      });
    }
    this.stages.push({
      owns: (s) => s.startsWith("lm.norm.") || s.startsWith("lm.head."),
      run: (x) => {
        const h = new Float64Array(b * t * d);
        for (let bi = 0; bi < b; bi++) {
          h.set(x.subarray((bi * l + n) * d, (bi * l + l) * d), bi * t * d);
        }
        const normed = layerNormF(h, d, p.get("lm.norm.weight")!, p.get("lm.norm.bias")!);
        const logits = linearF(normed, b * t, d, vocab, p.get("lm.head.weight")!);
        return Float64Array.of(crossEntropyMeanRef(logits, labels, vocab));
      },
    });
    let x = patches;
    for (const s of this.stages) {
      this.#inputs.push(x);
      x = s.run(x);
    }
  }

  #from(k: number, x: Float64Array): number {
    for (let s = k; s < this.stages.length; s++) x = this.stages[s].run(x);
    return x[0];
  }

  /** The loss, re-running from the stage that owns parameter `name`. */
  lossFor(name: string): () => number {
    const k = this.stages.findIndex((s) => s.owns(name));
    if (k < 0) throw new Error(`staged reference: no stage owns ${name}`);
    return () => this.#from(k, this.#inputs[k]);
  }

  /** The visual tokens of the cached forward (a copy to perturb). */
  visual(): Float64Array {
    return Float64Array.from(this.#inputs[this.visualStage]);
  }

  /** The loss with the given visual tokens [B, N, D_lm]. */
  lossFromVisual(v: Float64Array): number {
    return this.#from(this.visualStage, v);
  }

  /** The loss of a full run. */
  loss(): number {
    return this.#from(0, this.#inputs[0]);
  }
}
