/**
 * Exact masks by analytic rasterisation: a pixel belongs to a primitive when its centre
 * (x + 0.5, y + 0.5) lies inside the polygon (even-odd rule) or within half the stroke width
 * of a stroked polyline. The RGB image is drawn by sharp from the same vertices, so masks and
 * image agree except for anti-aliased edge pixels.
 */
import { NUM_CLASSES } from "./catalog.ts";
import type { Instance, Primitive } from "./scene.ts";

/** Per-pixel ground truth of one scene (row-major, `size * size` entries). */
export interface SceneMasks {
  size: number;
  /** Instance id per pixel; 0 is background. */
  instance: Uint8Array;
  /** Class id per pixel (see CLASS_NAMES); 0 is background. */
  classes: Uint8Array;
  /** Pixels each instance would cover if nothing were in front of it, indexed by id. */
  ownPixels: number[];
  /** Pixels of each instance left visible in the final image, indexed by id. */
  visiblePixels: number[];
}

function fillPolygon(points: number[], size: number, visit: (pixel: number) => void): void {
  let minY = Infinity;
  let maxY = -Infinity;
  for (let i = 1; i < points.length; i += 2) {
    minY = Math.min(minY, points[i]);
    maxY = Math.max(maxY, points[i]);
  }
  const n = points.length / 2;
  const crossings: number[] = [];
  const y0 = Math.max(0, Math.floor(minY - 0.5));
  const y1 = Math.min(size - 1, Math.ceil(maxY - 0.5));
  for (let row = y0; row <= y1; row++) {
    const y = row + 0.5;
    crossings.length = 0;
    for (let i = 0; i < n; i++) {
      const ax = points[2 * i];
      const ay = points[2 * i + 1];
      const j = (i + 1) % n;
      const bx = points[2 * j];
      const by = points[2 * j + 1];
      // Half-open rule so that a vertex on the scanline is counted once.
      if ((ay <= y && by > y) || (by <= y && ay > y)) {
        crossings.push(ax + ((y - ay) / (by - ay)) * (bx - ax));
      }
    }
    crossings.sort((a, b) => a - b);
    for (let k = 0; k + 1 < crossings.length; k += 2) {
      const from = Math.max(0, Math.ceil(crossings[k] - 0.5));
      const to = Math.min(size - 1, Math.ceil(crossings[k + 1] - 0.5) - 1);
      for (let col = from; col <= to; col++) visit(row * size + col);
    }
  }
}

function strokePolyline(
  points: number[],
  closed: boolean,
  width: number,
  size: number,
  visit: (pixel: number) => void,
): void {
  const half = width / 2;
  const halfSq = half * half;
  const n = points.length / 2;
  const segments = closed ? n : n - 1;
  for (let s = 0; s < segments; s++) {
    const ax = points[2 * s];
    const ay = points[2 * s + 1];
    const e = (s + 1) % n;
    const bx = points[2 * e];
    const by = points[2 * e + 1];
    const dx = bx - ax;
    const dy = by - ay;
    const lenSq = dx * dx + dy * dy;
    const x0 = Math.max(0, Math.floor(Math.min(ax, bx) - half - 0.5));
    const x1 = Math.min(size - 1, Math.ceil(Math.max(ax, bx) + half - 0.5));
    const y0 = Math.max(0, Math.floor(Math.min(ay, by) - half - 0.5));
    const y1 = Math.min(size - 1, Math.ceil(Math.max(ay, by) + half - 0.5));
    for (let row = y0; row <= y1; row++) {
      const py = row + 0.5;
      for (let col = x0; col <= x1; col++) {
        const px = col + 0.5;
        let t = lenSq === 0 ? 0 : ((px - ax) * dx + (py - ay) * dy) / lenSq;
        t = t < 0 ? 0 : t > 1 ? 1 : t;
        const qx = ax + t * dx - px;
        const qy = ay + t * dy - py;
        if (qx * qx + qy * qy <= halfSq) visit(row * size + col);
      }
    }
  }
}

/** Calls `visit` once per pixel covered by a primitive (possibly more than once per pixel). */
export function rasterisePrimitive(
  p: Primitive,
  size: number,
  visit: (pixel: number) => void,
): void {
  if (p.kind === "fill") fillPolygon(p.points, size, visit);
  else strokePolyline(p.points, p.closed, p.width, size, visit);
}

/** Rasterises compiled instances into instance and class masks. */
export function rasteriseMasks(instances: Instance[], size: number): SceneMasks {
  if (instances.length > 255) {
    throw new Error(`too many instances for a u8 mask: ${instances.length}`);
  }
  const instance = new Uint8Array(size * size);
  // stamp[p] = id of the last instance that counted pixel p, so overlapping primitives of one
  // instance count a pixel once.
  const stamp = new Uint8Array(size * size);
  const ownPixels = new Array<number>(instances.length + 1).fill(0);
  for (const inst of instances) {
    const id = inst.id;
    const visit = (pixel: number) => {
      if (stamp[pixel] !== id) {
        stamp[pixel] = id;
        ownPixels[id]++;
      }
      instance[pixel] = id;
    };
    for (const p of inst.primitives) rasterisePrimitive(p, size, visit);
  }
  const classOf = new Uint8Array(256);
  for (const inst of instances) {
    if (inst.classId >= NUM_CLASSES) throw new Error(`bad class id ${inst.classId}`);
    classOf[inst.id] = inst.classId;
  }
  const classes = new Uint8Array(size * size);
  const visiblePixels = new Array<number>(instances.length + 1).fill(0);
  for (let p = 0; p < instance.length; p++) {
    classes[p] = classOf[instance[p]];
    visiblePixels[instance[p]]++;
  }
  visiblePixels[0] = 0;
  return { size, instance, classes, ownPixels, visiblePixels };
}

/** Class mask from an instance mask and an id → class table (used after loading from disk). */
export function classMaskFromInstances(
  instance: Uint8Array,
  classOfInstance: ArrayLike<number>,
): Uint8Array {
  const classes = new Uint8Array(instance.length);
  for (let p = 0; p < instance.length; p++) {
    classes[p] = instance[p] === 0 ? 0 : classOfInstance[instance[p]];
  }
  return classes;
}

/** A 0/1 mask of the pixels whose instance id is in `ids`. */
export function maskOfInstances(instance: Uint8Array, ids: readonly number[]): Uint8Array {
  const wanted = new Uint8Array(256);
  for (const id of ids) wanted[id] = 1;
  const out = new Uint8Array(instance.length);
  for (let p = 0; p < instance.length; p++) out[p] = wanted[instance[p]];
  return out;
}
