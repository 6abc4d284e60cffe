/**
 * The world's fixed knowledge table: facts that are true in the world regardless of any
 * image. Knowledge questions apply one of these to an easy-to-see object, so they are only
 * weakly vision-related, like the paper's Knowledge group.
 */
import type { ColourName, ShapeName } from "./catalog.ts";

/** Number of corners of each shape that has a well-defined count (the heart has none). */
export const SHAPE_CORNERS: Readonly<Partial<Record<ShapeName, number>>> = {
  circle: 0,
  triangle: 3,
  square: 4,
  diamond: 4,
  pentagon: 5,
  hexagon: 6,
  arrow: 7,
  star: 10,
  cross: 12,
};

/** Paint mixing: two colours (unordered) and the colour they make. */
export const COLOUR_MIXES: readonly { a: ColourName; b: ColourName; result: ColourName }[] = [
  { a: "red", b: "yellow", result: "orange" },
  { a: "blue", b: "yellow", result: "green" },
  { a: "red", b: "blue", result: "purple" },
  { a: "green", b: "red", result: "brown" },
  { a: "purple", b: "yellow", result: "brown" },
  { a: "orange", b: "blue", result: "brown" },
  { a: "blue", b: "green", result: "cyan" },
  { a: "red", b: "black", result: "brown" },
  { a: "pink", b: "blue", result: "purple" },
  { a: "yellow", b: "green", result: "cyan" },
  { a: "pink", b: "yellow", result: "orange" },
];

/** The distinct colours that mixing can produce, in table order. */
export const MIX_RESULTS: readonly ColourName[] = [
  ...new Set(COLOUR_MIXES.map((m) => m.result)),
];

/** What a letter on a sign stands for in this world. */
export const SIGN_MEANINGS: Readonly<Record<string, string>> = {
  P: "parking",
  H: "hospital",
  S: "school",
  E: "exit",
  B: "bus",
  T: "taxi",
  F: "food",
  W: "water",
  M: "museum",
  C: "cafe",
  L: "library",
  R: "restaurant",
};

/** Facts as sentences, for the LM text corpus. */
export function knowledgeSentences(): string[] {
  const out: string[] = [];
  for (const [shape, corners] of Object.entries(SHAPE_CORNERS)) {
    out.push(`A ${shape} has ${corners} corners.`);
  }
  for (const m of COLOUR_MIXES) {
    out.push(`Mixing ${m.a} and ${m.b} makes ${m.result}.`);
  }
  for (const [letter, meaning] of Object.entries(SIGN_MEANINGS)) {
    out.push(`The letter ${letter} on a sign stands for ${meaning}.`);
  }
  return out;
}
