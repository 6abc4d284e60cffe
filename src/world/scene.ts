/**
 * Scene types and their compilation into drawable instances. A scene is pure data (what is
 * where); {@link compileScene} turns it into the list of instances, each a set of filled or
 * stroked primitives, that both the SVG writer and the mask rasteriser consume.
 */
import {
  colourHex,
  type ColourName,
  partClassId,
  shapeClassId,
  type ShapeName,
  type SizeName,
  type TextureName,
} from "./catalog.ts";
import { type Points, rect, round2, roundedRect, shapeOutline } from "./geometry.ts";
import { glyphPolylines } from "./glyphs.ts";

/** The three domains: plain objects, signs (the OCR analogue), charts (the Chart analogue). */
export type Domain = "objects" | "signs" | "charts";
/** All domains, in a fixed order. */
export const DOMAINS: readonly Domain[] = ["objects", "signs", "charts"];

/** A coloured shape, filled or hollow, anywhere in the image. */
export interface ShapeObject {
  kind: "shape";
  shape: ShapeName;
  colour: ColourName;
  size: SizeName;
  filled: boolean;
  cx: number;
  cy: number;
  radius: number;
  rotation: number;
}

/** A plate (sign) carrying one glyph. */
export interface PlateObject {
  kind: "plate";
  plateShape: "rounded" | "circle" | "hexagon";
  colour: ColourName;
  glyph: string;
  glyphInk: "white" | "black";
  cx: number;
  cy: number;
  radius: number;
}

/** One bar of a bar chart, with its value written above it. */
export interface BarObject {
  kind: "bar";
  colour: ColourName;
  value: number;
  x0: number;
  x1: number;
  baseY: number;
  unit: number;
}

/** Anything a scene contains. */
export type SceneObject = ShapeObject | PlateObject | BarObject;

/** The background: a pale base colour with a low-contrast texture. */
export interface Background {
  base: string;
  texture: TextureName;
  ink: string;
  angle: number;
  period: number;
}

/** A complete scene: rendering it and rasterising its masks needs nothing else. */
export interface Scene {
  size: number;
  domain: Domain;
  background: Background;
  /** Amplitude of the per-pixel noise added after rasterisation (0–255 scale). */
  noise: number;
  noiseSeed: number;
  objects: SceneObject[];
}

/** A filled polygon or a stroked polyline (round caps and joins). */
export type Primitive =
  | { kind: "fill"; points: Points }
  | { kind: "stroke"; points: Points; closed: boolean; width: number };

/** One entry of the instance mask: id ≥ 1, its class, the object it belongs to. */
export interface Instance {
  id: number;
  classId: number;
  /** Index into `scene.objects`, or -1 for scene furniture (the chart axis). */
  objectIndex: number;
  colour: string;
  primitives: Primitive[];
}

const INK = { white: "#f7f7f7", black: "#141414" } as const;

/** Stroke width of a hollow shape's outline at a given image size. */
export function outlineWidth(size: number): number {
  return Math.max(1.6, size * 0.045);
}

/** Stroke width of a glyph of a given height. */
export function glyphStrokeWidth(height: number): number {
  return round2(Math.max(1.1, height * 0.16));
}

function glyphPrimitives(glyph: string, cx: number, cy: number, height: number): Primitive[] {
  const width = (height / 6) * 4;
  const strokeWidth = glyphStrokeWidth(height);
  return glyphPolylines(glyph, cx - width / 2, cy - height / 2, height).map((points) => ({
    kind: "stroke" as const,
    points,
    closed: false,
    width: strokeWidth,
  }));
}

function plateOutline(p: PlateObject): Points {
  if (p.plateShape === "circle") return shapeOutline("circle", p.cx, p.cy, p.radius, 0);
  if (p.plateShape === "hexagon") return shapeOutline("hexagon", p.cx, p.cy, p.radius, 0);
  const r = p.radius * 0.9;
  return roundedRect(p.cx - r, p.cy - r, p.cx + r, p.cy + r, r * 0.3);
}

/** Height of the value label above a bar, for an image of `size` px. */
export function chartLabelHeight(size: number): number {
  return size * 0.11;
}

/** The chart axis geometry for an image of `size` px. */
export function chartFrame(size: number): { left: number; right: number; base: number } {
  return { left: round2(size * 0.1), right: round2(size * 0.96), base: round2(size * 0.9) };
}

/**
 * Turns a scene into instances, in drawing order (later instances cover earlier ones).
 * Instance ids are 1, 2, 3... in that order.
 */
export function compileScene(scene: Scene): Instance[] {
  const out: Instance[] = [];
  const add = (classId: number, objectIndex: number, colour: string, primitives: Primitive[]) =>
    out.push({ id: out.length + 1, classId, objectIndex, colour, primitives });

  if (scene.domain === "charts") {
    const { left, right, base } = chartFrame(scene.size);
    const axis = [left, round2(scene.size * 0.06), left, base, right, base];
    const width = round2(Math.max(1, scene.size * 0.02));
    add(partClassId("axis"), -1, "#333333", [{
      kind: "stroke",
      points: axis,
      closed: false,
      width,
    }]);
  }
  scene.objects.forEach((obj, index) => {
    if (obj.kind === "shape") {
      const points = shapeOutline(obj.shape, obj.cx, obj.cy, obj.radius, obj.rotation);
      const primitive: Primitive = obj.filled
        ? { kind: "fill", points }
        : { kind: "stroke", points, closed: true, width: round2(outlineWidth(scene.size)) };
      add(shapeClassId(obj.shape), index, colourHex(obj.colour), [primitive]);
    } else if (obj.kind === "plate") {
      add(partClassId("plate"), index, colourHex(obj.colour), [{
        kind: "fill",
        points: plateOutline(obj),
      }]);
      const height = obj.radius * 1.15;
      add(
        partClassId("glyph"),
        index,
        INK[obj.glyphInk],
        glyphPrimitives(obj.glyph, obj.cx, obj.cy, height),
      );
    } else {
      const top = obj.baseY - obj.value * obj.unit;
      add(partClassId("bar"), index, colourHex(obj.colour), [{
        kind: "fill",
        points: rect(obj.x0, top, obj.x1, obj.baseY),
      }]);
      const height = chartLabelHeight(scene.size);
      const labelCy = top - height * 0.5 - Math.max(1.5, scene.size * 0.03);
      add(
        partClassId("glyph"),
        index,
        INK.black,
        glyphPrimitives(String(obj.value), (obj.x0 + obj.x1) / 2, labelCy, height),
      );
    }
  });
  return out;
}
