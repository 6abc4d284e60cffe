/**
 * Alt-text-like captions for encoder pretraining and alignment. A caption names what is in
 * the scene; with controlled rates it is partial (names only some of it, or nothing
 * specific) or noisy (one attribute is wrong), as web alt-text is.
 */
import { COLOUR_NAMES, glyphKind, SIGN_GLYPHS, type TextureName } from "./catalog.ts";
import { listAnd, withArticle } from "./phrases.ts";
import type { Rng } from "./rng.ts";
import type { BarObject, PlateObject, Scene, ShapeObject } from "./scene.ts";
import { CAPTION_TEMPLATES as C, fill } from "./templates.ts";

/** A caption and how it was degraded. */
export interface CaptionEntry {
  text: string;
  /** Names only part of the scene. */
  partial: boolean;
  /** Has one wrong attribute. */
  noisy: boolean;
}

/** How often captions are degraded. */
export interface CaptionNoise {
  partialRate: number;
  noiseRate: number;
}

const TEXTURE_WORDS: Record<TextureName, string> = {
  plain: "plain",
  stripes: "striped",
  checks: "checked",
  dots: "dotted",
  gradient: "shaded",
};

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function shapePhrase(o: ShapeObject): string {
  return withArticle(`${o.filled ? "" : "hollow "}${o.colour} ${o.shape}`);
}

function platePhrase(p: PlateObject): string {
  return fill(C.sign, { colour: p.colour, kind: glyphKind(p.glyph), glyph: p.glyph });
}

function barPhrase(b: BarObject): string {
  return fill(C.bar, { colour: b.colour, value: b.value });
}

/** Replaces one attribute of one object with a wrong one (the caption's label noise). */
function corrupt(scene: Scene, rng: Rng): Scene {
  const objects = scene.objects.slice();
  const k = rng.int(0, objects.length - 1);
  const o = objects[k];
  if (o.kind === "plate" && rng.chance(0.5)) {
    objects[k] = { ...o, glyph: rng.pick(SIGN_GLYPHS.filter((g) => g !== o.glyph)) };
  } else if (o.kind === "bar" && rng.chance(0.5)) {
    objects[k] = { ...o, value: o.value === 9 ? 8 : o.value + 1 };
  } else {
    objects[k] = { ...o, colour: rng.pick(COLOUR_NAMES.filter((c) => c !== o.colour)) };
  }
  return { ...scene, objects };
}

/** The full caption of a scene, with a randomly chosen phrasing. */
export function fullCaption(scene: Scene, rng: Rng): string {
  if (scene.domain === "objects") {
    const shapes = (scene.objects as ShapeObject[]).slice().sort((a, b) => a.cx - b.cx);
    const things = listAnd(shapes.map(shapePhrase));
    return capitalise(
      fill(rng.pick(C.objects), { things, texture: TEXTURE_WORDS[scene.background.texture] }),
    );
  }
  if (scene.domain === "signs") {
    const plates = (scene.objects as PlateObject[]).slice().sort((a, b) => a.cx - b.cx);
    return capitalise(fill(rng.pick(C.signs), { things: listAnd(plates.map(platePhrase)) }));
  }
  const bars = scene.objects as BarObject[];
  return capitalise(
    fill(rng.pick(C.charts), { count: bars.length, bars: listAnd(bars.map(barPhrase)) }),
  );
}

/** A caption for the caption corpus: full, partial or noisy at the given rates. */
export function sampleCaption(scene: Scene, rng: Rng, noise: CaptionNoise): CaptionEntry {
  if (rng.chance(noise.partialRate)) {
    if (scene.objects.length >= 2 && scene.domain !== "charts") {
      const keep = rng.sample(scene.objects, rng.int(1, scene.objects.length - 1));
      return { text: fullCaption({ ...scene, objects: keep }, rng), partial: true, noisy: false };
    }
    return { text: rng.pick(C.partial), partial: true, noisy: false };
  }
  if (rng.chance(noise.noiseRate)) {
    return { text: fullCaption(corrupt(scene, rng), rng), partial: false, noisy: true };
  }
  return { text: fullCaption(scene, rng), partial: false, noisy: false };
}
