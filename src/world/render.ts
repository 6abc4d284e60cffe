/**
 * Rasterises scene SVGs to RGB with sharp (librsvg), then adds the scene's seeded pixel
 * noise. Output is Uint8 RGB, height × width × 3 (HWC).
 */
import sharp from "sharp";
import { Rng } from "./rng.ts";
import type { Scene } from "./scene.ts";
import { sceneSvg } from "./svg.ts";

/** Adds uniform integer noise in [-amplitude, amplitude] per channel, seeded. */
export function addNoise(rgb: Uint8Array, amplitude: number, seed: number): void {
  if (amplitude <= 0) return;
  const rng = new Rng(seed);
  const span = 2 * amplitude + 1;
  for (let i = 0; i < rgb.length; i++) {
    const v = rgb[i] + Math.floor(rng.next() * span) - amplitude;
    rgb[i] = v < 0 ? 0 : v > 255 ? 255 : v;
  }
}

/** Rasterises an SVG string to RGB bytes of a square `size` image. */
export async function rasteriseSvg(svg: string, size: number): Promise<Uint8Array> {
  const { data, info } = await sharp(new TextEncoder().encode(svg))
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.width !== size || info.height !== size || info.channels !== 3) {
    throw new Error(
      `sharp returned ${info.width}x${info.height}x${info.channels}, wanted ${size}x${size}x3`,
    );
  }
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Renders one scene to RGB (HWC, Uint8). */
export async function renderScene(
  scene: Scene,
  svg: string = sceneSvg(scene),
): Promise<Uint8Array> {
  const rgb = await rasteriseSvg(svg, scene.size);
  addNoise(rgb, scene.noise, scene.noiseSeed);
  return rgb;
}

/**
 * Renders many scenes into one contiguous buffer (scene i at offset i × size² × 3), keeping
 * `concurrency` rasterisations in flight so libvips' thread pool stays busy.
 */
export async function renderScenes(scenes: Scene[], concurrency = 16): Promise<Uint8Array> {
  if (scenes.length === 0) return new Uint8Array(0);
  const size = scenes[0].size;
  const stride = size * size * 3;
  const out = new Uint8Array(scenes.length * stride);
  let next = 0;
  const worker = async () => {
    while (next < scenes.length) {
      const i = next++;
      out.set(await renderScene(scenes[i]), i * stride);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, scenes.length) }, worker));
  return out;
}
