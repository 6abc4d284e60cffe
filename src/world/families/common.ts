/** Helpers shared by the question families. */
import { COLOUR_NAMES, type ColourName, SHAPE_NAMES, type ShapeName } from "../catalog.ts";
import { descriptor } from "../phrases.ts";
import type { Rng } from "../rng.ts";
import type { SampledScene, ShapeDraft } from "../sampler.ts";
import type { BarObject, PlateObject, ShapeObject } from "../scene.ts";

/** Instance ids belonging to the given scene objects. */
export function instancesOfObjects(
  sampled: SampledScene,
  objectIndices: readonly number[],
): number[] {
  const wanted = new Set(objectIndices);
  return sampled.instances.filter((i) => wanted.has(i.objectIndex)).map((i) => i.id);
}

/** Indices of the scene objects matching a predicate. */
export function objectIndicesWhere<T>(
  sampled: SampledScene,
  predicate: (obj: T, index: number) => boolean,
): number[] {
  const out: number[] = [];
  (sampled.scene.objects as T[]).forEach((o, i) => {
    if (predicate(o, i)) out.push(i);
  });
  return out;
}

/** The scene's shapes (object scenes only). */
export function shapesOf(sampled: SampledScene): ShapeObject[] {
  return sampled.scene.objects as ShapeObject[];
}

/** The scene's plates (sign scenes only). */
export function platesOf(sampled: SampledScene): PlateObject[] {
  return sampled.scene.objects as PlateObject[];
}

/** The scene's bars (chart scenes only). */
export function barsOf(sampled: SampledScene): BarObject[] {
  return sampled.scene.objects as BarObject[];
}

/** A template chosen at random. */
export function phrasing(rng: Rng, templates: readonly string[]): string {
  return rng.pick(templates);
}

/** All colours except the given ones. */
export function otherColours(...except: ColourName[]): ColourName[] {
  return COLOUR_NAMES.filter((c) => !except.includes(c));
}

/** All shapes except the given ones. */
export function otherShapes(...except: ShapeName[]): ShapeName[] {
  return SHAPE_NAMES.filter((s) => !except.includes(s));
}

/** Every colour × shape descriptor ("red star"). */
export function allDescriptors(): string[] {
  return COLOUR_NAMES.flatMap((c) => SHAPE_NAMES.map((s) => descriptor(c, s)));
}

/** Draft list with the referent draft placed at a random position; returns its index. */
export function insertAtRandom(
  rng: Rng,
  others: ShapeDraft[],
  referent: ShapeDraft,
): { drafts: ShapeDraft[]; index: number } {
  const index = rng.int(0, others.length);
  const drafts = others.slice();
  drafts.splice(index, 0, referent);
  return { drafts, index };
}
