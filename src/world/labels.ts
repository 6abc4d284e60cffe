/**
 * Labels for the probe sets: image-level classes for the classification set (the ImageNet
 * analogue) and per-patch multi-hot classes for the segmentation set (the ADE20K analogue).
 */
import { COLOUR_NAMES, NUM_CLASSES, SHAPE_NAMES } from "./catalog.ts";
import type { ShapeObject } from "./scene.ts";

/** Image-level labels of a classification scene (its main object is the large one). */
export interface ClassificationLabels {
  /** Fine-grained class: shape × colour of the main object, in [0, 100). */
  fine: number;
  /** Number of shapes minus one, in [0, 6): aligned with the counting family. */
  count: number;
  /** 3 × 3 grid cell of the main object's centre, row-major in [0, 9): aligned with relations. */
  position: number;
}

/** Number of classes of each classification label. */
export const CLASSIFICATION_CLASSES = {
  fine: SHAPE_NAMES.length * COLOUR_NAMES.length,
  count: 6,
  position: 9,
} as const;

/** Name of a fine-grained class id ("red star"). */
export function fineClassName(fine: number): string {
  return `${COLOUR_NAMES[fine % COLOUR_NAMES.length]} ${
    SHAPE_NAMES[Math.floor(fine / COLOUR_NAMES.length)]
  }`;
}

/** Labels of a classification scene whose main object is `objects[mainIndex]`. */
export function classificationLabels(
  objects: readonly ShapeObject[],
  mainIndex: number,
  size: number,
): ClassificationLabels {
  const main = objects[mainIndex];
  const cell = (v: number) => Math.min(2, Math.floor((3 * v) / size));
  return {
    fine: SHAPE_NAMES.indexOf(main.shape) * COLOUR_NAMES.length + COLOUR_NAMES.indexOf(main.colour),
    count: objects.length - 1,
    position: cell(main.cy) * 3 + cell(main.cx),
  };
}

/**
 * Multi-hot class labels per patch: entry [patch * NUM_CLASSES + c] is 1 when at least
 * `minPixels` pixels of the patch have class c. Patches are row-major; `patchSize` must divide
 * the image size.
 */
export function patchLabels(
  classes: Uint8Array,
  size: number,
  patchSize: number,
  minPixels = 1,
): Uint8Array {
  if (size % patchSize !== 0) {
    throw new Error(`patch size ${patchSize} does not divide image size ${size}`);
  }
  const perSide = size / patchSize;
  const counts = new Uint32Array(perSide * perSide * NUM_CLASSES);
  for (let y = 0; y < size; y++) {
    const patchRow = Math.floor(y / patchSize) * perSide;
    for (let x = 0; x < size; x++) {
      counts[(patchRow + Math.floor(x / patchSize)) * NUM_CLASSES + classes[y * size + x]]++;
    }
  }
  const out = new Uint8Array(counts.length);
  for (let i = 0; i < counts.length; i++) out[i] = counts[i] >= minPixels ? 1 : 0;
  return out;
}
