/**
 * Shape outlines as polygons. Both the SVG (what sharp draws) and the masks (what the
 * ground truth says) are built from these same rounded vertex lists, so the two can only
 * differ by anti-aliasing at the edges.
 */
import type { ShapeName } from "./catalog.ts";

/** A flat list of vertices: [x0, y0, x1, y1, ...]. */
export type Points = number[];

function regularPolygon(sides: number, startAngle: number): Points {
  const out: Points = [];
  for (let i = 0; i < sides; i++) {
    const a = startAngle + (2 * Math.PI * i) / sides;
    out.push(Math.cos(a), Math.sin(a));
  }
  return out;
}

function starPolygon(points: number, inner: number): Points {
  const out: Points = [];
  for (let i = 0; i < points * 2; i++) {
    const a = -Math.PI / 2 + (Math.PI * i) / points;
    const r = i % 2 === 0 ? 1 : inner;
    out.push(r * Math.cos(a), r * Math.sin(a));
  }
  return out;
}

function heartPolygon(): Points {
  const out: Points = [];
  for (let i = 0; i < 36; i++) {
    const t = (2 * Math.PI * i) / 36;
    const x = 16 * Math.sin(t) ** 3;
    const y = -(13 * Math.cos(t) - 5 * Math.cos(2 * t) - 2 * Math.cos(3 * t) - Math.cos(4 * t));
    out.push(x / 16.5, (y + 2.5) / 15);
  }
  return out;
}

/** Unit outlines (radius about 1, centred on the origin, y pointing down). */
const UNIT_SHAPES: Record<ShapeName, Points> = {
  circle: regularPolygon(36, 0),
  square: [-0.82, -0.82, 0.82, -0.82, 0.82, 0.82, -0.82, 0.82],
  // Shifted down so that its bounding box is centred like the others'.
  triangle: regularPolygon(3, -Math.PI / 2).map((v, i) => (i % 2 === 1 ? v + 0.2 : v * 1.08)),
  diamond: [0, -1, 0.72, 0, 0, 1, -0.72, 0],
  pentagon: regularPolygon(5, -Math.PI / 2),
  hexagon: regularPolygon(6, 0),
  star: starPolygon(5, 0.45),
  cross: [
    -0.32,
    -1,
    0.32,
    -1,
    0.32,
    -0.32,
    1,
    -0.32,
    1,
    0.32,
    0.32,
    0.32,
    0.32,
    1,
    -0.32,
    1,
    -0.32,
    0.32,
    -1,
    0.32,
    -1,
    -0.32,
    -0.32,
    -0.32,
  ],
  heart: heartPolygon(),
  arrow: [-1, -0.3, 0.1, -0.3, 0.1, -0.75, 1, 0, 0.1, 0.75, 0.1, 0.3, -1, 0.3],
};

/** Rounds to 1/100 px, the precision written into the SVG. */
export function round2(v: number): number {
  return Math.round(v * 100) / 100;
}

/** Transforms unit points: scale by `radius`, rotate by `rotation` (radians), translate. */
export function placePoints(
  unit: Points,
  cx: number,
  cy: number,
  radius: number,
  rotation: number,
): Points {
  const cos = Math.cos(rotation);
  const sin = Math.sin(rotation);
  const out: Points = new Array(unit.length);
  for (let i = 0; i < unit.length; i += 2) {
    const x = unit[i] * radius;
    const y = unit[i + 1] * radius;
    out[i] = round2(cx + x * cos - y * sin);
    out[i + 1] = round2(cy + x * sin + y * cos);
  }
  return out;
}

/** The outline of a placed shape. */
export function shapeOutline(
  shape: ShapeName,
  cx: number,
  cy: number,
  radius: number,
  rotation: number,
): Points {
  return placePoints(UNIT_SHAPES[shape], cx, cy, radius, rotation);
}

/** A rectangle with its corners cut (a cheap rounded rectangle), as an outline. */
export function roundedRect(x0: number, y0: number, x1: number, y1: number, cut: number): Points {
  return [
    x0 + cut,
    y0,
    x1 - cut,
    y0,
    x1,
    y0 + cut,
    x1,
    y1 - cut,
    x1 - cut,
    y1,
    x0 + cut,
    y1,
    x0,
    y1 - cut,
    x0,
    y0 + cut,
  ].map(round2);
}

/** An axis-aligned rectangle outline. */
export function rect(x0: number, y0: number, x1: number, y1: number): Points {
  return [x0, y0, x1, y0, x1, y1, x0, y1].map(round2);
}
