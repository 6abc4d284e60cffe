/**
 * Gradient maps: where on the image does a loss pull? For an item, the gradient of its
 * loss w.r.t. the visual tokens at the projector output (the LM's visual prefix, a leaf of
 * its own: `visualTokens` → `logitsFrom`), L1 norm over channels → one number per patch, a
 * map over the patch grid (the paper's Fig. 7, there 24×24).
 *
 * Per-item losses (so each item's map is the gradient of its own loss alone; the LM never
 * mixes rows, so a batch of items gives each item's gradient exactly):
 * - SFT: mean cross-entropy over the chosen response's tokens;
 * - DPO: −log σ(β·[(π_c − ref_c) − (π_r − ref_r)]) with summed response log-probs; the
 *   reference log-probs come from the DPO reference cache (`readReference`: [chosen,
 *   rejected] per preference item) or are computed here from a given reference model.
 *
 * The map is also measured, not only drawn (the paper shows pictures only):
 * - referent share: Σ_p map_p·[p ∈ R] / Σ_p map_p, where R is the set of patches holding at
 *   least `minPixels` pixels of the question's referent objects (`referentMask`);
 * - pointing game: whether the map's largest patch (first on ties) lies in R;
 * - chance levels: |R| / P for both (a uniform map's share; a random patch's hit rate).
 * Items whose referent region is empty are skipped and counted.
 *
 * The model's parameters get no gradient here (they are switched off for the call and
 * restored), and the model is in eval mode (no dropout) during it.
 * @module
 */

import { noGrad, type Tensor, tensor } from "../../tensor/tensor.ts";
import { tidy } from "../../tensor/scope.ts";
import { backward } from "../../tensor/autograd.ts";
import { mul } from "../../tensor/ops/binary.ts";
import { sum, sumAll } from "../../tensor/ops/reduce.ts";
import { scale, sqrt, square } from "../../tensor/ops/unary.ts";
import { sequenceLogProbs } from "../../tensor/ops/loss.ts";
import { dpoFromLogProbs } from "../../train/losses/dpo.ts";
import type { MLLM } from "../../mllm/model.ts";
import { imageTensor } from "../../data/images.ts";
import {
  type EncodedPreference,
  preferenceArrays,
  preferenceExamples,
} from "../../train/mllm/data.ts";
import type { DataCondition } from "../../protocol/posttrain.ts";
import type { QuestionRecord, SplitData } from "../../world/splits.ts";
import { referentMask, splitImage } from "../../world/world.ts";
import { contactSheet, type RgbImage, squareRgb, type Tile } from "../../report/images.ts";

/** Token rows of a batch: ids, labels (−100 outside responses) and the response mask. */
export interface GradRows {
  /** Rows R (= N items for SFT; 2N, chosen then rejected, for DPO). */
  rows: number;
  tokens: number;
  ids: Int32Array;
  labels: Int32Array;
  mask: Float32Array;
}

/** Which loss to differentiate. */
export type GradLoss =
  | { kind: "sft" }
  | {
    kind: "dpo";
    /** Reference summed log-probs [2N]: chosen rows, then rejected rows. */
    reference: Float32Array;
    beta: number;
  };

/** Sets every parameter's requiresGrad to `on`, returning the previous flags. */
function gradFlags(model: MLLM, on: boolean[] | boolean): boolean[] {
  const ps = model.parameters();
  const before = ps.map((p) => p.requiresGrad);
  ps.forEach((p, i) => (p.requiresGrad = typeof on === "boolean" ? on : on[i]));
  return before;
}

/**
 * L1 norms over channels of d loss_i / d visual_i for N images [N, H, W, 3] and their
 * rows → [N, P] (row-major, patch p = row · grid + column). Each item's map is the gradient
 * of its own loss (SFT: its mean response CE; DPO: its −log σ(z)). With `raw`, the gradient
 * itself [N, P, D_lm] instead of its L1 norms (for checks).
 */
export async function visualGradientMaps(
  model: MLLM,
  images: Tensor,
  rows: GradRows,
  loss: GradLoss,
  opts: { raw?: boolean } = {},
): Promise<Float32Array> {
  const n = images.shape[0];
  const expected = loss.kind === "sft" ? n : 2 * n;
  if (rows.rows !== expected) {
    throw new Error(`visualGradientMaps: ${rows.rows} token rows for ${n} images (${loss.kind})`);
  }
  const flags = gradFlags(model, false);
  const wasTraining = model.training;
  model.eval();
  try {
    return await tidy(async () => {
      const visual = noGrad(() => model.visualTokens(images));
      visual.requiresGrad = true;
      const shape = [rows.rows, rows.tokens];
      const logp = sequenceLogProbs(
        model.logitsFrom(visual, tensor(rows.ids, shape, "i32")),
        tensor(rows.labels, shape, "i32"),
        tensor(rows.mask, shape),
      ); // [R]
      let total: Tensor;
      if (loss.kind === "sft") {
        const w = new Float32Array(n);
        for (let r = 0; r < n; r++) {
          let c = 0;
          for (let t = 0; t < rows.tokens; t++) c += rows.mask[r * rows.tokens + t];
          w[r] = c > 0 ? -1 / c : 0;
        }
        total = sumAll(mul(logp, tensor(w, [n])));
      } else {
        if (loss.reference.length !== 2 * n) {
          throw new Error(`visualGradientMaps: ${loss.reference.length} reference log-probs`);
        }
        // dpoFromLogProbs averages over items: × N makes it the sum of per-item losses.
        total = scale(dpoFromLogProbs(logp, tensor(loss.reference, [2 * n]), loss.beta).loss, n);
      }
      backward(total);
      const g = visual.grad!;
      // |g| summed over channels: [N, P] (√(g²) = |g|; g² underflows only below ~1e-19).
      const maps = opts.raw ? g : noGrad(() => sum(sqrt(square(g)), 2));
      const values = Float32Array.from(await maps.data());
      g.dispose();
      visual.grad = null;
      return values;
    });
  } finally {
    gradFlags(model, flags);
    model.train(wasTraining);
  }
}

// ---------------------------------------------------------------------------------------
// Measuring a map

/**
 * Referent pixels per patch of a 0/1 pixel mask (size × size) and the region: patches with
 * at least `minPixels` of them.
 */
export function patchRegion(
  mask: Uint8Array,
  size: number,
  patch: number,
  minPixels = 1,
): { coverage: Float32Array; region: Uint8Array } {
  if (size % patch !== 0 || mask.length !== size * size) {
    throw new Error(`patchRegion: mask of ${mask.length} pixels, size ${size}, patch ${patch}`);
  }
  const g = size / patch;
  const counts = new Float32Array(g * g);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      if (mask[y * size + x]) counts[Math.floor(y / patch) * g + Math.floor(x / patch)]++;
    }
  }
  const coverage = counts.map((c) => c / (patch * patch));
  const region = Uint8Array.from(counts, (c) => (c >= minPixels ? 1 : 0));
  return { coverage, region };
}

/** Σ map·[region] / Σ map (NaN for an all-zero map). */
export function referentShare(map: ArrayLike<number>, region: ArrayLike<number>): number {
  let inside = 0;
  let all = 0;
  for (let p = 0; p < map.length; p++) {
    all += map[p];
    if (region[p]) inside += map[p];
  }
  return all > 0 ? inside / all : NaN;
}

/** Whether the map's largest patch (the first on ties) is in the region. */
export function pointingHit(map: ArrayLike<number>, region: ArrayLike<number>): boolean {
  let best = 0;
  for (let p = 1; p < map.length; p++) if (map[p] > map[best]) best = p;
  return region[best] === 1;
}

/** Averages of the two numbers over items, with their chance levels. */
export interface Localisation {
  /** Items measured (non-empty region and non-zero map). */
  n: number;
  /** Items skipped for an empty referent region or an all-zero map. */
  skipped: number;
  /** Mean referent share and its chance level (mean |R|/P). */
  share: number;
  chanceShare: number;
  /** Pointing-game hit rate and its chance level (mean |R|/P). */
  pointing: number;
  chancePointing: number;
  /** Per measured item: share and hit. */
  perItem: { share: number; hit: boolean }[];
}

/** The localisation numbers of maps [P] against regions [P] (paired by index). */
export function localisation(
  maps: readonly ArrayLike<number>[],
  regions: readonly ArrayLike<number>[],
): Localisation {
  const perItem: { share: number; hit: boolean }[] = [];
  let chance = 0;
  let skipped = 0;
  maps.forEach((map, i) => {
    const region = regions[i];
    let size = 0;
    for (let p = 0; p < region.length; p++) size += region[p] ? 1 : 0;
    const share = referentShare(map, region);
    if (size === 0 || Number.isNaN(share)) {
      skipped++;
      return;
    }
    perItem.push({ share, hit: pointingHit(map, region) });
    chance += size / region.length;
  });
  const n = perItem.length;
  const m = (f: (x: { share: number; hit: boolean }) => number) =>
    n ? perItem.reduce((s, x) => s + f(x), 0) / n : NaN;
  return {
    n,
    skipped,
    share: m((x) => x.share),
    chanceShare: n ? chance / n : NaN,
    pointing: m((x) => (x.hit ? 1 : 0)),
    chancePointing: n ? chance / n : NaN,
    perItem,
  };
}

// ---------------------------------------------------------------------------------------
// Items of a question split

/** Where DPO's reference log-probs come from. */
export type ReferenceSource =
  /** Per split item: [2·item] chosen, [2·item + 1] rejected (the `mllm-dpo-ref` file layout). */
  | { logps: Float32Array }
  /** A frozen reference model (the Stage-1b MLLM), scored here. */
  | { model: MLLM };

/** Options of `gradientMaps`. */
export interface GradMapOptions {
  /** Items: the first `n` of the split (default 64), or explicit indices. */
  n?: number;
  indices?: readonly number[];
  /** Losses to map (default both; "dpo" needs `reference`). */
  losses?: readonly ("sft" | "dpo")[];
  reference?: ReferenceSource;
  /** DPO β (default 0.1, the paper's). */
  beta?: number;
  /** Response form (default "full"). */
  condition?: DataCondition;
  /** Items per backward (default 8). */
  batch?: number;
  /** Referent pixels a patch needs to count as the referent's (default 1). */
  minPixels?: number;
}

/** One item's maps and region. */
export interface GradMapItem {
  index: number;
  /** Maps [P] (L1 of the gradient per patch) per loss. */
  maps: Partial<Record<"sft" | "dpo", Float32Array>>;
  /** Referent patches [P] (0/1) and their pixel coverage [P] in [0, 1]. */
  region: Uint8Array;
  coverage: Float32Array;
}

/** Maps of a split's items, their localisation per loss, and what was skipped. */
export interface GradMapResult {
  split: string;
  /** Patches per side. */
  grid: number;
  items: GradMapItem[];
  /** Items dropped because prompt + response exceed the LM's text positions. */
  tooLong: number;
  localisation: Partial<Record<"sft" | "dpo", Localisation>>;
}

async function referenceOf(
  src: ReferenceSource,
  split: SplitData,
  rows: readonly EncodedPreference[],
  arrays: ReturnType<typeof preferenceArrays>,
): Promise<Float32Array> {
  const n = rows.length;
  if ("logps" in src) {
    const out = new Float32Array(2 * n);
    rows.forEach((r, k) => {
      out[k] = src.logps[2 * r.item];
      out[n + k] = src.logps[2 * r.item + 1];
    });
    if (out.some((v) => !Number.isFinite(v))) {
      throw new Error(`gradientMaps: the reference cache has no log-probs for some items`);
    }
    return out;
  }
  const ref = src.model;
  const was = ref.training;
  ref.eval();
  try {
    const shape = [2 * n, arrays.tokens];
    const lp = noGrad(() =>
      tidy(() =>
        sequenceLogProbs(
          ref.forward(
            imageTensor(split, rows.map((r) => r.item)),
            tensor(arrays.ids, shape, "i32"),
          ),
          tensor(arrays.labels, shape, "i32"),
          tensor(arrays.responseMask, shape),
        )
      )
    );
    const v = Float32Array.from(await lp.data());
    lp.dispose();
    return v;
  } finally {
    ref.train(was);
  }
}

/**
 * Gradient maps of the SFT and/or DPO loss for items of a question split (chosen and
 * rejected responses from the items, in `condition`'s form), with each item's referent
 * region and the localisation numbers per loss.
 */
export async function gradientMaps(
  model: MLLM,
  split: SplitData,
  opts: GradMapOptions = {},
): Promise<GradMapResult> {
  if (split.kind !== "questions") {
    throw new Error(`gradientMaps: ${split.name} is not a question split`);
  }
  const losses = opts.losses ?? ["sft", "dpo"];
  if (losses.includes("dpo") && !opts.reference) {
    throw new Error("gradientMaps: the DPO map needs reference log-probs (cache or model)");
  }
  const patch = model.config.vit.patch;
  const grid = split.imageSize / patch;
  const wanted = opts.indices ??
    Array.from({ length: Math.min(opts.n ?? 64, split.count) }, (_, i) => i);
  const encoded = preferenceExamples(split, opts.condition ?? "full", Math.max(...wanted) + 1);
  const fits = (e: EncodedPreference) =>
    e.prompt.length + Math.max(e.chosen.length, e.rejected.length) <= model.maxTextLength;
  const rows = wanted.map((i) => encoded[i]).filter(fits);
  const batch = opts.batch ?? 8;
  const items: GradMapItem[] = [];
  for (let s = 0; s < rows.length; s += batch) {
    const part = rows.slice(s, s + batch);
    const n = part.length;
    const arrays = preferenceArrays(part);
    const t = arrays.tokens;
    const images = imageTensor(split, part.map((r) => r.item));
    try {
      const maps: Partial<Record<"sft" | "dpo", Float32Array>> = {};
      if (losses.includes("sft")) {
        maps.sft = await visualGradientMaps(model, images, {
          rows: n,
          tokens: t,
          ids: arrays.ids.slice(0, n * t),
          labels: arrays.labels.slice(0, n * t),
          mask: arrays.responseMask.slice(0, n * t),
        }, { kind: "sft" });
      }
      if (losses.includes("dpo")) {
        const reference = await referenceOf(opts.reference!, split, part, arrays);
        maps.dpo = await visualGradientMaps(
          model,
          images,
          {
            rows: 2 * n,
            tokens: t,
            ids: arrays.ids,
            labels: arrays.labels,
            mask: arrays.responseMask,
          },
          { kind: "dpo", reference, beta: opts.beta ?? 0.1 },
        );
      }
      part.forEach((r, k) => {
        const { coverage, region } = patchRegion(
          referentMask(split, r.item),
          split.imageSize,
          patch,
          opts.minPixels ?? 1,
        );
        const p = grid * grid;
        const own: GradMapItem["maps"] = {};
        for (const [name, m] of Object.entries(maps)) {
          own[name as "sft" | "dpo"] = m.slice(k * p, (k + 1) * p);
        }
        items.push({ index: r.item, maps: own, region, coverage });
      });
    } finally {
      images.dispose();
    }
  }
  const loc: GradMapResult["localisation"] = {};
  for (const name of losses) {
    loc[name] = localisation(items.map((it) => it.maps[name]!), items.map((it) => it.region));
  }
  return {
    split: split.name,
    grid,
    items,
    tooLong: wanted.length - rows.length,
    localisation: loc,
  };
}

/**
 * Localisation per evaluation split (e.g. `test_<group>` for each group): one
 * `gradientMaps` call each, returning only the numbers (maps dropped).
 */
export async function localisationBySplit(
  model: MLLM,
  splits: readonly SplitData[],
  opts: GradMapOptions = {},
): Promise<Record<string, GradMapResult["localisation"] & { tooLong: number }>> {
  const out: Record<string, GradMapResult["localisation"] & { tooLong: number }> = {};
  for (const split of splits) {
    const r = await gradientMaps(model, split, opts);
    out[split.name] = { ...r.localisation, tooLong: r.tooLong };
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Pictures

/** A black → red → yellow → white ramp of t ∈ [0, 1]. */
function heat(t: number): [number, number, number] {
  const c = Math.max(0, Math.min(1, t)) * 3;
  return [
    Math.round(255 * Math.min(1, c)),
    Math.round(255 * Math.max(0, Math.min(1, c - 1))),
    Math.round(255 * Math.max(0, Math.min(1, c - 2))),
  ];
}

/**
 * The image with a map over its patch grid (`grid` per side) blended in: each pixel takes
 * its patch's value / the map's maximum through a heat ramp, at opacity `alpha`.
 */
export function heatmapOverlay(
  image: RgbImage,
  map: ArrayLike<number>,
  grid: number,
  alpha = 0.65,
): RgbImage {
  let top = 0;
  for (let p = 0; p < map.length; p++) top = Math.max(top, map[p]);
  const { width, height } = image;
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = Math.floor((y * grid) / height) * grid + Math.floor((x * grid) / width);
      const h = heat(top > 0 ? map[p] / top : 0);
      for (let c = 0; c < 3; c++) {
        const i = (y * width + x) * 3 + c;
        rgb[i] = Math.round(image.rgb[i] * (1 - alpha) + h[c] * alpha);
      }
    }
  }
  return { rgb, width, height };
}

/**
 * A contact sheet (PNG): per item, the image with its referent region outlined in the
 * label, then one heat map per loss; the question and the referent share under each.
 */
export async function gradMapSheet(
  split: SplitData,
  result: GradMapResult,
  opts: { items?: number; scale?: number } = {},
): Promise<Uint8Array> {
  const losses = Object.keys(result.localisation) as ("sft" | "dpo")[];
  const tiles: Tile[] = [];
  for (const it of result.items.slice(0, opts.items ?? 8)) {
    const image = squareRgb(Uint8Array.from(splitImage(split, it.index)));
    const q = (split.records[it.index] as QuestionRecord).item.question;
    tiles.push({ image, label: q.length > 40 ? q.slice(0, 37) + "..." : q });
    for (const name of losses) {
      const map = it.maps[name]!;
      const share = referentShare(map, it.region);
      tiles.push({
        image: heatmapOverlay(image, map, result.grid),
        label: `${name}: share ${share.toFixed(2)}${pointingHit(map, it.region) ? ", hit" : ""}`,
      });
    }
  }
  return await contactSheet(tiles, {
    columns: 1 + losses.length,
    scale: opts.scale ?? 4,
    headers: ["image", ...losses.map((l) => `d ${l} / d visual`)],
  });
}
