/**
 * Scene → SVG text. Only geometry from {@link compileScene} is drawn (plus the background),
 * with round caps and joins to match the mask rasteriser's stroke rule.
 */
import {
  type Background,
  compileScene,
  type Instance,
  type Primitive,
  type Scene,
} from "./scene.ts";

function pointsAttr(points: number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < points.length; i += 2) parts.push(`${points[i]},${points[i + 1]}`);
  return parts.join(" ");
}

/** SVG markup of one primitive in a given colour. */
export function primitiveSvg(p: Primitive, colour: string): string {
  if (p.kind === "fill") return `<polygon points="${pointsAttr(p.points)}" fill="${colour}"/>`;
  const tag = p.closed ? "polygon" : "polyline";
  return `<${tag} points="${pointsAttr(p.points)}" fill="none" stroke="${colour}" ` +
    `stroke-width="${p.width}" stroke-linejoin="round" stroke-linecap="round"/>`;
}

function backgroundSvg(bg: Background, size: number): string {
  const base = `<rect width="${size}" height="${size}" fill="${bg.base}"/>`;
  const p = bg.period;
  const rotate = `patternTransform="rotate(${bg.angle})"`;
  const pattern = (content: string) =>
    `<defs><pattern id="t" width="${p}" height="${p}" patternUnits="userSpaceOnUse" ${rotate}>` +
    `${content}</pattern></defs><rect width="${size}" height="${size}" fill="url(#t)"/>`;
  switch (bg.texture) {
    case "plain":
      return base;
    case "stripes":
      return base + pattern(`<rect width="${p / 2}" height="${p}" fill="${bg.ink}"/>`);
    case "checks":
      return base + pattern(
        `<rect width="${p / 2}" height="${p / 2}" fill="${bg.ink}"/>` +
          `<rect x="${p / 2}" y="${p / 2}" width="${p / 2}" height="${p / 2}" fill="${bg.ink}"/>`,
      );
    case "dots":
      return base + pattern(`<circle cx="${p / 2}" cy="${p / 2}" r="${p / 4}" fill="${bg.ink}"/>`);
    case "gradient":
      return `<defs><linearGradient id="g" gradientTransform="rotate(${bg.angle} 0.5 0.5)">` +
        `<stop offset="0" stop-color="${bg.base}"/><stop offset="1" stop-color="${bg.ink}"/>` +
        `</linearGradient></defs><rect width="${size}" height="${size}" fill="url(#g)"/>`;
  }
}

/** Markup of compiled instances (no background). */
export function instancesSvg(instances: Instance[]): string {
  return instances.map((inst) => inst.primitives.map((p) => primitiveSvg(p, inst.colour)).join(""))
    .join("");
}

/** The full SVG document of a scene. */
export function sceneSvg(scene: Scene, instances: Instance[] = compileScene(scene)): string {
  const s = scene.size;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${s}" height="${s}" viewBox="0 0 ${s} ${s}">` +
    backgroundSvg(scene.background, s) + instancesSvg(instances) + "</svg>";
}
