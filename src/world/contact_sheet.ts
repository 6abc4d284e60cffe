/**
 * A contact sheet of question items so a person can look at the world: for each item its
 * image, instance mask and class mask (scaled up), then the question, the chosen and the
 * rejected response. Text is drawn with the stroke font (there are no system fonts).
 */
import sharp from "sharp";
import { CLASS_NAMES } from "./catalog.ts";
import { glyphAdvance, textPolylines } from "./glyphs.ts";
import type { QuestionItem } from "./items.ts";
import type { SceneMasks } from "./masks.ts";

/** One tile of the sheet. */
export interface SheetEntry {
  rgb: Uint8Array;
  masks: SceneMasks;
  item: QuestionItem;
}

const PANEL = 128;
const GAP = 8;
const TEXT_HEIGHT = 7;
const LINE_HEIGHT = 11;
const TEXT_LINES = 7;
const TILE_WIDTH = 3 * PANEL + 2 * GAP;
const TILE_HEIGHT = PANEL + GAP + TEXT_LINES * LINE_HEIGHT;

function hueColour(index: number): [number, number, number] {
  const h = (index * 137.508) % 360;
  const f = (n: number) => {
    const k = (n + h / 60) % 6;
    return Math.round(255 * (0.85 - 0.6 * Math.max(0, Math.min(k, 4 - k, 1))));
  };
  return [f(5), f(3), f(1)];
}

function colourise(labels: Uint8Array): Uint8Array {
  const out = new Uint8Array(labels.length * 3);
  labels.forEach((v, p) => out.set(v === 0 ? [24, 24, 24] : hueColour(v), 3 * p));
  return out;
}

async function panelDataUri(rgb: Uint8Array, size: number): Promise<string> {
  const png = await sharp(rgb, { raw: { width: size, height: size, channels: 3 } })
    .resize(PANEL, PANEL, { kernel: "nearest" })
    .png()
    .toBuffer();
  return `data:image/png;base64,${png.toString("base64")}`;
}

function wrap(text: string, maxChars: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line.length > 0 && line.length + 1 + word.length > maxChars) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

function textSvg(text: string, x: number, y: number, colour: string): string {
  const lines = textPolylines(text, x, y, TEXT_HEIGHT);
  const d = lines.map((l) => {
    const parts = [`M${l[0]} ${l[1]}`];
    for (let i = 2; i < l.length; i += 2) parts.push(`L${l[i]} ${l[i + 1]}`);
    return parts.join("");
  }).join("");
  return `<path d="${d}" fill="none" stroke="${colour}" stroke-width="1.1" stroke-linecap="round" stroke-linejoin="round"/>`;
}

/** Writes a PNG contact sheet of the entries to `path` (`columns` tiles per row). */
export async function writeContactSheet(
  entries: readonly SheetEntry[],
  path: string,
  columns = 4,
): Promise<void> {
  const rows = Math.ceil(entries.length / columns);
  const width = columns * (TILE_WIDTH + 2 * GAP);
  const legendHeight = 3 * LINE_HEIGHT;
  const height = legendHeight + rows * (TILE_HEIGHT + 2 * GAP);
  const maxChars = Math.floor(TILE_WIDTH / glyphAdvance(TEXT_HEIGHT));
  const parts: string[] = [`<rect width="${width}" height="${height}" fill="#ffffff"/>`];
  parts.push(
    textSvg(
      "EACH TILE: IMAGE, INSTANCE MASK, CLASS MASK; Q = QUESTION, + = CHOSEN, - = REJECTED",
      GAP,
      GAP,
      "#000",
    ),
  );
  parts.push(textSvg(`CLASSES: ${CLASS_NAMES.slice(1).join(" ")}`, GAP, GAP + LINE_HEIGHT, "#555"));
  for (let i = 0; i < entries.length; i++) {
    const { rgb, masks, item } = entries[i];
    const x = GAP + (i % columns) * (TILE_WIDTH + 2 * GAP);
    const y = legendHeight + GAP + Math.floor(i / columns) * (TILE_HEIGHT + 2 * GAP);
    const panels = [rgb, colourise(masks.instance), colourise(masks.classes)];
    for (let k = 0; k < 3; k++) {
      const uri = await panelDataUri(panels[k], masks.size);
      parts.push(
        `<image x="${
          x + k * (PANEL + GAP)
        }" y="${y}" width="${PANEL}" height="${PANEL}" href="${uri}"/>`,
      );
    }
    const lines: [string, string][] = [[`${item.group} / ${item.family}`, "#777"]];
    for (const l of wrap(`Q: ${item.question}`, maxChars)) lines.push([l, "#000"]);
    for (const l of wrap(`+ ${item.chosen}`, maxChars)) lines.push([l, "#1a7f1a"]);
    for (const l of wrap(`- ${item.rejected}`, maxChars)) lines.push([l, "#c0282d"]);
    lines.slice(0, TEXT_LINES).forEach(([text, colour], k) => {
      parts.push(textSvg(text, x, y + PANEL + GAP + k * LINE_HEIGHT, colour));
    });
  }
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${
    parts.join("")
  }</svg>`;
  await sharp(new TextEncoder().encode(svg), { limitInputPixels: false }).png().toFile(path);
}
