/**
 * The world's fixed vocabulary of things: colours, shapes, sizes, segmentation classes and
 * the glyphs that signs carry. Every table here is small, ordered and committed, because the
 * tokenizer, the class ids and the answer spaces are all derived from it.
 */

/** Object colours: names are single words so each answer is one token. */
export const COLOURS = [
  { name: "red", hex: "#d62728", rgb: [214, 39, 40] },
  { name: "orange", hex: "#f57f0e", rgb: [245, 127, 14] },
  { name: "yellow", hex: "#efcc1a", rgb: [239, 204, 26] },
  { name: "green", hex: "#2ca02c", rgb: [44, 160, 44] },
  { name: "cyan", hex: "#17becf", rgb: [23, 190, 207] },
  { name: "blue", hex: "#1f4fd6", rgb: [31, 79, 214] },
  { name: "purple", hex: "#8e3fb0", rgb: [142, 63, 176] },
  { name: "pink", hex: "#f26bbd", rgb: [242, 107, 189] },
  { name: "brown", hex: "#8c564b", rgb: [140, 86, 75] },
  { name: "black", hex: "#1c1c1c", rgb: [28, 28, 28] },
] as const;

/** A colour name from {@link COLOURS}. */
export type ColourName = (typeof COLOURS)[number]["name"];
/** All colour names, in catalogue order. */
export const COLOUR_NAMES: readonly ColourName[] = COLOURS.map((c) => c.name);

/** Hex code of a colour name. */
export function colourHex(name: ColourName): string {
  return COLOURS[COLOUR_NAMES.indexOf(name)].hex;
}

/** Shape names with their plural forms (used by counting questions and captions). */
export const SHAPES = [
  { name: "circle", plural: "circles" },
  { name: "square", plural: "squares" },
  { name: "triangle", plural: "triangles" },
  { name: "diamond", plural: "diamonds" },
  { name: "pentagon", plural: "pentagons" },
  { name: "hexagon", plural: "hexagons" },
  { name: "star", plural: "stars" },
  { name: "cross", plural: "crosses" },
  { name: "heart", plural: "hearts" },
  { name: "arrow", plural: "arrows" },
] as const;

/** A shape name from {@link SHAPES}. */
export type ShapeName = (typeof SHAPES)[number]["name"];
/** All shape names, in catalogue order. */
export const SHAPE_NAMES: readonly ShapeName[] = SHAPES.map((s) => s.name);

/** Plural of a shape name. */
export function shapePlural(name: ShapeName): string {
  return SHAPES[SHAPE_NAMES.indexOf(name)].plural;
}

/**
 * Size classes as a radius in units of the image side. Adjacent classes differ by ≥ 1.4x
 * so that "the largest" stays unambiguous after the ±8% jitter the sampler adds.
 */
export const SIZES = [
  { name: "small", radius: 0.085 },
  { name: "medium", radius: 0.125 },
  { name: "large", radius: 0.18 },
] as const;

/** A size class name. */
export type SizeName = (typeof SIZES)[number]["name"];
/** All size names, smallest first. */
export const SIZE_NAMES: readonly SizeName[] = SIZES.map((s) => s.name);

/** Radius fraction of a size class. */
export function sizeRadius(name: SizeName): number {
  return SIZES[SIZE_NAMES.indexOf(name)].radius;
}

/**
 * Segmentation classes (the class mask stores these ids; 0 is background). Shapes come first
 * in {@link SHAPE_NAMES} order, then the parts of signs and charts.
 */
export const CLASS_NAMES: readonly string[] = [
  "background",
  ...SHAPE_NAMES,
  "plate",
  "glyph",
  "bar",
  "axis",
];

/** Class id of a shape. */
export function shapeClassId(shape: ShapeName): number {
  return 1 + SHAPE_NAMES.indexOf(shape);
}

/** Class id of a named non-shape class ("plate", "glyph", "bar", "axis"). */
export function partClassId(part: "plate" | "glyph" | "bar" | "axis"): number {
  return CLASS_NAMES.indexOf(part);
}

/** Number of segmentation classes, background included. */
export const NUM_CLASSES: number = CLASS_NAMES.length;

/** Digits a sign may carry (0 is left out: it is too close to the letter O). */
export const SIGN_DIGITS: readonly string[] = ["1", "2", "3", "4", "5", "6", "7", "8", "9"];

/** Letters a sign may carry (I, O, Q, G, D, J, V left out: too easy to confuse at 64 px). */
export const SIGN_LETTERS: readonly string[] = [
  "A",
  "B",
  "C",
  "E",
  "F",
  "H",
  "K",
  "L",
  "M",
  "N",
  "P",
  "R",
  "S",
  "T",
  "U",
  "W",
  "X",
  "Y",
  "Z",
];

/** All sign glyphs. */
export const SIGN_GLYPHS: readonly string[] = [...SIGN_DIGITS, ...SIGN_LETTERS];

/**
 * Glyphs that look alike (undirected). A misread glyph in a rejected answer is drawn from a
 * glyph's neighbours here, so the error is the kind a blurry look would make.
 */
export const GLYPH_CONFUSIONS: readonly (readonly [string, string])[] = [
  ["1", "7"],
  ["1", "4"],
  ["2", "7"],
  ["2", "3"],
  ["3", "8"],
  ["3", "9"],
  ["4", "9"],
  ["5", "6"],
  ["5", "3"],
  ["6", "8"],
  ["6", "9"],
  ["7", "9"],
  ["8", "9"],
  ["A", "H"],
  ["A", "R"],
  ["B", "R"],
  ["B", "E"],
  ["C", "U"],
  ["C", "L"],
  ["E", "F"],
  ["F", "P"],
  ["H", "N"],
  ["H", "K"],
  ["K", "X"],
  ["K", "R"],
  ["L", "T"],
  ["M", "N"],
  ["M", "W"],
  ["N", "Z"],
  ["P", "R"],
  ["S", "Z"],
  ["S", "B"],
  ["T", "Y"],
  ["U", "W"],
  ["X", "Y"],
  ["Z", "X"],
];

/** Glyphs that may be misread as `glyph`, from {@link GLYPH_CONFUSIONS}. */
export function confusableGlyphs(glyph: string): string[] {
  const out: string[] = [];
  for (const [a, b] of GLYPH_CONFUSIONS) {
    if (a === glyph) out.push(b);
    if (b === glyph) out.push(a);
  }
  return out;
}

/** Whether a sign glyph is a digit (asked as "digit") or a letter (asked as "letter"). */
export function glyphKind(glyph: string): "digit" | "letter" {
  return /[0-9]/.test(glyph) ? "digit" : "letter";
}

/** Pale background base colours, kept away from every object colour. */
export const BACKGROUNDS: readonly string[] = [
  "#ece7da",
  "#dde6ee",
  "#e7e0ef",
  "#e1ecdd",
  "#efe3dc",
  "#e4e4e4",
];

/** Background textures the sampler chooses from. */
export const TEXTURES = ["plain", "stripes", "checks", "dots", "gradient"] as const;
/** A background texture name. */
export type TextureName = (typeof TEXTURES)[number];

/** Number words used in captions ("two red stars"). */
export const NUMBER_WORDS: readonly string[] = [
  "zero",
  "one",
  "two",
  "three",
  "four",
  "five",
  "six",
];
