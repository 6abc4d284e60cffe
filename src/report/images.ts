/**
 * Pictures of scenes and masks for notebooks and reports: RGB → PNG (nearest-neighbour
 * upscaling, so 32-pixel scenes stay crisp), masks coloured by id, a mask overlaid on a
 * scene, and labelled contact sheets. Labels use the stroke font (no system fonts needed).
 * @module
 */
import { Buffer } from "node:buffer";
import sharp from "sharp";
import { strokeText, strokeTextWidth } from "./png.ts";

/** An RGB image, height × width × 3 bytes (HWC). */
export interface RgbImage {
  rgb: Uint8Array;
  width: number;
  height: number;
}

/** A square RGB image from HWC bytes. */
export function squareRgb(rgb: Uint8Array): RgbImage {
  const side = Math.round(Math.sqrt(rgb.length / 3));
  if (side * side * 3 !== rgb.length) {
    throw new Error(`${rgb.length} bytes are not a square RGB image`);
  }
  return { rgb, width: side, height: side };
}

function bytesOf(
  buffer: { buffer: ArrayBufferLike; byteOffset: number; byteLength: number },
): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/** PNG bytes of an RGB image, upscaled `scale` times with nearest-neighbour. */
export async function rgbToPng(image: RgbImage, scale = 1): Promise<Uint8Array> {
  if (image.rgb.length !== image.width * image.height * 3) {
    throw new Error(`rgbToPng: ${image.rgb.length} bytes for ${image.width}×${image.height}×3`);
  }
  let pipeline = sharp(image.rgb, {
    raw: { width: image.width, height: image.height, channels: 3 },
  });
  if (scale !== 1) {
    pipeline = pipeline.resize(Math.round(image.width * scale), Math.round(image.height * scale), {
      kernel: "nearest",
    });
  }
  return bytesOf(await pipeline.png().toBuffer());
}

/** A distinct colour per id (0 = black), stable across images. */
export function idColor(id: number): [number, number, number] {
  if (id === 0) return [0, 0, 0];
  const hue = (id * 0.618033988749895) % 1;
  const [s, v] = [0.65 + 0.25 * ((id * 7) % 3) / 2, 0.95 - 0.2 * ((id * 5) % 2)];
  const i = Math.floor(hue * 6);
  const f = hue * 6 - i;
  const p = v * (1 - s);
  const q = v * (1 - f * s);
  const t = v * (1 - (1 - f) * s);
  const rgb = [[v, t, p], [q, v, p], [p, v, t], [p, q, v], [t, p, v], [v, p, q]][i % 6];
  return rgb.map((c) => Math.round(c * 255)) as [number, number, number];
}

/** A mask of ids (H × W) as an RGB image, one colour per id. */
export function maskToRgb(mask: Uint8Array, width: number, height = width): RgbImage {
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) rgb.set(idColor(mask[i]), i * 3);
  return { rgb, width, height };
}

/** The image with non-zero mask pixels tinted `color` at opacity `alpha`, the rest dimmed. */
export function overlayMask(
  image: RgbImage,
  mask: Uint8Array,
  color: [number, number, number] = [255, 40, 40],
  alpha = 0.55,
  dim = 0.45,
): RgbImage {
  const rgb = new Uint8Array(image.rgb.length);
  for (let i = 0; i < image.width * image.height; i++) {
    for (let c = 0; c < 3; c++) {
      const v = image.rgb[i * 3 + c];
      rgb[i * 3 + c] = mask[i]
        ? Math.round(v * (1 - alpha) + color[c] * alpha)
        : Math.round(v * dim);
    }
  }
  return { rgb, width: image.width, height: image.height };
}

/** One tile of a contact sheet. */
export interface Tile {
  image: RgbImage;
  label?: string;
}

/**
 * A contact sheet: tiles in rows of `columns`, each upscaled `scale` times, with its label
 * underneath (and optional column headers), as PNG bytes.
 */
export async function contactSheet(
  tiles: Tile[],
  opts: { columns: number; scale?: number; gap?: number; headers?: string[]; labelSize?: number },
): Promise<Uint8Array> {
  if (tiles.length === 0) throw new Error("contactSheet: no tiles");
  const scale = opts.scale ?? 4;
  const gap = opts.gap ?? 8;
  const labelSize = opts.labelSize ?? 9;
  const tw = Math.max(...tiles.map((t) => t.image.width)) * scale;
  const th = Math.max(...tiles.map((t) => t.image.height)) * scale;
  const hasLabels = tiles.some((t) => t.label);
  const labelH = hasLabels ? labelSize + 10 : 0;
  const headerH = opts.headers ? labelSize + 14 : 0;
  const cols = Math.min(opts.columns, tiles.length);
  const rows = Math.ceil(tiles.length / opts.columns);
  const width = gap + cols * (tw + gap);
  const height = headerH + gap + rows * (th + labelH + gap);
  let overlay = "";
  const composites: sharp.OverlayOptions[] = [];
  for (const [i, tile] of tiles.entries()) {
    const left = gap + (i % opts.columns) * (tw + gap);
    const top = headerH + gap + Math.floor(i / opts.columns) * (th + labelH + gap);
    composites.push({ input: Buffer.from(await rgbToPng(tile.image, scale)), left, top });
    if (tile.label) {
      // Shrink long labels to the tile width.
      const size = Math.min(
        labelSize,
        (labelSize * (tw - 4)) / Math.max(1, strokeTextWidth(tile.label, labelSize)),
      );
      overlay += strokeText(tile.label, left + tw / 2, top + th + 4 + labelSize / 2, size, {
        anchor: "middle",
        color: "#222",
      });
    }
  }
  for (const [c, header] of (opts.headers ?? []).entries()) {
    // Headers shrink to the tile width like the labels (long ones would run into the next).
    const size = Math.min(
      labelSize + 1,
      (labelSize + 1) * (tw - 4) / Math.max(1, strokeTextWidth(header, labelSize + 1)),
    );
    overlay += strokeText(header, gap + c * (tw + gap) + tw / 2, gap + labelSize / 2 + 2, size, {
      anchor: "middle",
      color: "#111",
    });
  }
  if (overlay) {
    const svg =
      `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${overlay}</svg>`;
    composites.push({ input: Buffer.from(svg), left: 0, top: 0 });
  }
  const png = await sharp({ create: { width, height, channels: 3, background: "#ffffff" } })
    .composite(composites)
    .png()
    .toBuffer();
  return bytesOf(png);
}
