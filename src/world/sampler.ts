/**
 * Samples scenes from a seeded generator. Families describe what a scene must contain
 * (drafts: attributes without positions); the sampler places things, rasterises the masks
 * and resamples the layout until every object is visible enough.
 *
 * Visibility rule: every object keeps at least {@link MIN_VISIBLE_FRACTION} of the pixels it
 * would cover alone and at least {@link MIN_VISIBLE_PIXELS} pixels, so occluded objects stay
 * countable.
 */
import {
  BACKGROUNDS,
  COLOUR_NAMES,
  type ColourName,
  SHAPE_NAMES,
  type ShapeName,
  SIGN_GLYPHS,
  SIZE_NAMES,
  type SizeName,
  sizeRadius,
  TEXTURES,
} from "./catalog.ts";
import { round2 } from "./geometry.ts";
import { rasteriseMasks, type SceneMasks } from "./masks.ts";
import type { Rng } from "./rng.ts";
import {
  type Background,
  type BarObject,
  chartFrame,
  chartLabelHeight,
  compileScene,
  type Domain,
  type Instance,
  outlineWidth,
  type PlateObject,
  type Scene,
  type ShapeObject,
} from "./scene.ts";

/** An object occluded beyond this fraction of its own pixels is not allowed. */
export const MIN_VISIBLE_FRACTION = 0.4;
/** Minimum visible pixels per object. */
export const MIN_VISIBLE_PIXELS = 4;
const MAX_ATTEMPTS = 400;

/** A scene with its compiled instances and exact masks. */
export interface SampledScene {
  scene: Scene;
  instances: Instance[];
  masks: SceneMasks;
}

/** Attributes of a shape before it is placed. */
export interface ShapeDraft {
  shape: ShapeName;
  colour: ColourName;
  size: SizeName;
  filled: boolean;
}

/** Attributes of a sign plate before it is placed. */
export interface PlateDraft {
  colour: ColourName;
  glyph: string;
}

/** A bar before it is laid out. */
export interface BarDraft {
  colour: ColourName;
  value: number;
}

/** Options for object scenes. */
export interface ObjectSceneOptions {
  /** When false, shapes keep a gap between them (relations and sizes stay unambiguous). */
  overlap: boolean;
  /** Extra condition on the placed shapes; the layout is resampled until it holds. */
  accept?: (objects: ShapeObject[]) => boolean;
}

function darken(hex: string, factor: number): string {
  const channel = (i: number) =>
    Math.round(parseInt(hex.slice(i, i + 2), 16) * factor).toString(16).padStart(2, "0");
  return `#${channel(1)}${channel(3)}${channel(5)}`;
}

/** A random pale, textured background. */
export function sampleBackground(rng: Rng, size: number): Background {
  const base = rng.pick(BACKGROUNDS);
  return {
    base,
    texture: rng.pick(TEXTURES),
    ink: darken(base, rng.uniform(0.86, 0.94)),
    angle: Math.round(rng.uniform(0, 180)),
    period: round2(rng.uniform(0.08, 0.2) * size),
  };
}

function emptyScene(rng: Rng, size: number, domain: Domain): Scene {
  return {
    size,
    domain,
    background: sampleBackground(rng, size),
    noise: rng.int(0, 10),
    noiseSeed: rng.nextUint32(),
    objects: [],
  };
}

/** Whether every object of the scene passes the visibility rule. */
export function allVisible(scene: Scene, instances: Instance[], masks: SceneMasks): boolean {
  const own = new Array<number>(scene.objects.length).fill(0);
  const visible = new Array<number>(scene.objects.length).fill(0);
  for (const inst of instances) {
    if (inst.objectIndex < 0) continue;
    own[inst.objectIndex] += masks.ownPixels[inst.id];
    visible[inst.objectIndex] += masks.visiblePixels[inst.id];
  }
  return own.every((o, i) =>
    visible[i] >= MIN_VISIBLE_PIXELS && visible[i] >= MIN_VISIBLE_FRACTION * o
  );
}

/** Centres for disks of the given radii inside the image, optionally without overlap. */
function placeDisks(
  rng: Rng,
  radii: number[],
  size: number,
  gap: number | null,
): [number, number][] | null {
  const out: [number, number][] = [];
  for (const r of radii) {
    let placed = false;
    for (let attempt = 0; attempt < 60 && !placed; attempt++) {
      const cx = rng.uniform(r + 1, size - r - 1);
      const cy = rng.uniform(r + 1, size - r - 1);
      const clear = gap === null ||
        out.every(([x, y], j) => Math.hypot(cx - x, cy - y) >= r + radii[j] + gap);
      if (clear) {
        out.push([round2(cx), round2(cy)]);
        placed = true;
      }
    }
    if (!placed) return null;
  }
  return out;
}

function finish(scene: Scene): SampledScene | null {
  const instances = compileScene(scene);
  const masks = rasteriseMasks(instances, scene.size);
  return allVisible(scene, instances, masks) ? { scene, instances, masks } : null;
}

/** A scene of shapes with the given attributes, placed at random. */
export function sampleObjectScene(
  rng: Rng,
  size: number,
  drafts: ShapeDraft[],
  options: ObjectSceneOptions,
): SampledScene {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const scene = emptyScene(rng, size, "objects");
    const pad = outlineWidth(size) / 2;
    const radii = drafts.map((d) => round2(sizeRadius(d.size) * size * rng.uniform(0.92, 1.08)));
    // Crowded layouts that keep failing may touch (gap 0) but still never overlap.
    const gap = attempt < MAX_ATTEMPTS / 2 ? size * 0.04 : 0;
    const centres = placeDisks(rng, radii.map((r) => r + pad), size, options.overlap ? null : gap);
    if (!centres) continue;
    scene.objects = drafts.map((d, i) => ({
      kind: "shape",
      ...d,
      cx: centres[i][0],
      cy: centres[i][1],
      radius: radii[i],
      rotation: d.shape === "circle" ? 0 : round2(rng.uniform(-0.26, 0.26)),
    }));
    if (options.accept && !options.accept(scene.objects as ShapeObject[])) continue;
    const done = finish(scene);
    if (done) return done;
  }
  throw new Error(
    `could not place ${drafts.length} shapes in ${size}px after ${MAX_ATTEMPTS} tries`,
  );
}

/** Ink colour with enough contrast against a plate colour. */
export function glyphInkFor(colour: ColourName): "white" | "black" {
  return ["yellow", "cyan", "orange", "pink"].includes(colour) ? "black" : "white";
}

/** A scene of 1–3 sign plates, each carrying one glyph. */
export function sampleSignScene(rng: Rng, size: number, drafts: PlateDraft[]): SampledScene {
  const radiusFraction = [0.3, 0.23, 0.18][drafts.length - 1];
  if (radiusFraction === undefined) throw new Error(`signs need 1–3 plates, got ${drafts.length}`);
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const scene = emptyScene(rng, size, "signs");
    const radii = drafts.map(() => round2(radiusFraction * size * rng.uniform(0.9, 1.05)));
    const centres = placeDisks(rng, radii, size, size * 0.02);
    if (!centres) continue;
    scene.objects = drafts.map((d, i): PlateObject => ({
      kind: "plate",
      plateShape: rng.pick(["rounded", "circle", "hexagon"] as const),
      colour: d.colour,
      glyph: d.glyph,
      glyphInk: glyphInkFor(d.colour),
      cx: centres[i][0],
      cy: centres[i][1],
      radius: radii[i],
    }));
    const done = finish(scene);
    if (done) return done;
  }
  throw new Error(`could not place ${drafts.length} plates in ${size}px`);
}

/** A bar chart with the given bars, left to right. */
export function sampleChartScene(rng: Rng, size: number, bars: BarDraft[]): SampledScene {
  const scene = emptyScene(rng, size, "charts");
  scene.noise = rng.int(0, 6);
  const { left, right, base } = chartFrame(size);
  const top = size * 0.06 + chartLabelHeight(size) + Math.max(1.5, size * 0.03);
  const unit = round2((base - top) / 9);
  const slot = (right - left - size * 0.02) / bars.length;
  const width = slot * rng.uniform(0.55, 0.7);
  scene.objects = bars.map((b, i): BarObject => {
    const centre = left + size * 0.02 + slot * (i + 0.5);
    return {
      kind: "bar",
      colour: b.colour,
      value: b.value,
      x0: round2(centre - width / 2),
      x1: round2(centre + width / 2),
      baseY: base,
      unit,
    };
  });
  const done = finish(scene);
  if (!done) throw new Error("chart layout left a bar invisible");
  return done;
}

/**
 * A size class suited to a scene of `crowd` shapes: large shapes get rarer as scenes fill
 * up, so that crowded scenes still fit and stay visible.
 */
export function sizeForCrowd(rng: Rng, crowd: number): SizeName {
  const weights = crowd <= 2 ? [1, 1, 1] : crowd <= 4 ? [1, 1, 0.35] : [1, 0.6, 0.1];
  return SIZE_NAMES[rng.weighted(weights)];
}

/** A random shape draft for a scene of `crowd` shapes; fields given in `fixed` are kept. */
export function randomShapeDraft(
  rng: Rng,
  crowd: number,
  fixed: Partial<ShapeDraft> = {},
): ShapeDraft {
  return {
    shape: fixed.shape ?? rng.pick(SHAPE_NAMES),
    colour: fixed.colour ?? rng.pick(COLOUR_NAMES),
    size: fixed.size ?? sizeForCrowd(rng, crowd),
    filled: fixed.filled ?? rng.chance(0.7),
  };
}

/** `count` distinct colours. */
export function distinctColours(rng: Rng, count: number): ColourName[] {
  return rng.sample(COLOUR_NAMES, count);
}

/** Sampling weights of the three domains in the unconditioned splits (captions, probes). */
export const DOMAIN_PROPORTIONS: Readonly<Record<Domain, number>> = {
  objects: 0.6,
  signs: 0.2,
  charts: 0.2,
};

/** An unconditioned scene of a given domain, as used for captions and probes. */
export function sampleFreeScene(rng: Rng, size: number, domain: Domain): SampledScene {
  if (domain === "objects") {
    const count = rng.int(1, 6);
    const drafts = Array.from({ length: count }, () => randomShapeDraft(rng, count));
    return sampleObjectScene(rng, size, drafts, { overlap: count >= 5 || rng.chance(0.6) });
  }
  if (domain === "signs") {
    const colours = distinctColours(rng, rng.int(1, 3));
    return sampleSignScene(
      rng,
      size,
      colours.map((colour) => ({ colour, glyph: rng.pick(SIGN_GLYPHS) })),
    );
  }
  const colours = distinctColours(rng, rng.int(3, 6));
  return sampleChartScene(rng, size, colours.map((colour) => ({ colour, value: rng.int(1, 9) })));
}

/** A domain drawn with {@link DOMAIN_PROPORTIONS}. */
export function sampleDomain(rng: Rng): Domain {
  const domains: Domain[] = ["objects", "signs", "charts"];
  return domains[rng.weighted(domains.map((d) => DOMAIN_PROPORTIONS[d]))];
}
