/**
 * A stroke font drawn as paths: there are no system fonts, so digits and letters on signs,
 * chart labels and the contact sheet's text are polylines on a 4 x 6 grid (y down), stroked
 * with round caps and joins.
 */

/** Polylines of one glyph on the 4 x 6 grid, as flat [x0, y0, x1, y1, ...] lists. */
type Strokes = number[][];

const DOT = (x: number, y: number): number[] => [x, y - 0.1, x, y];
const RING = [1, 0, 3, 0, 4, 1, 4, 5, 3, 6, 1, 6, 0, 5, 0, 1, 1, 0];
const P_BOWL = [0, 6, 0, 0, 3, 0, 4, 1, 4, 2, 3, 3, 0, 3];

const FONT: Record<string, Strokes> = {
  "0": [RING, [3.4, 0.9, 0.6, 5.1]],
  "1": [[1, 1, 2, 0, 2, 6], [1, 6, 3, 6]],
  "2": [[0, 1, 1, 0, 3, 0, 4, 1, 4, 2, 0, 6, 4, 6]],
  "3": [[0, 0, 4, 0, 2, 2.5, 3, 2.5, 4, 3.5, 4, 5, 3, 6, 1, 6, 0, 5]],
  "4": [[3, 6, 3, 0, 0, 4, 4, 4]],
  "5": [[4, 0, 0, 0, 0, 2.5, 3, 2.5, 4, 3.5, 4, 5, 3, 6, 0, 6]],
  "6": [[3, 0, 1, 0, 0, 1, 0, 5, 1, 6, 3, 6, 4, 5, 4, 3.5, 3, 2.5, 0, 2.5]],
  "7": [[0, 0, 4, 0, 1.5, 6]],
  "8": [
    [
      1,
      3,
      0,
      2,
      0,
      1,
      1,
      0,
      3,
      0,
      4,
      1,
      4,
      2,
      3,
      3,
      1,
      3,
      0,
      4,
      0,
      5,
      1,
      6,
      3,
      6,
      4,
      5,
      4,
      4,
      3,
      3,
    ],
  ],
  "9": [[4, 3.5, 1, 3.5, 0, 2.5, 0, 1, 1, 0, 3, 0, 4, 1, 4, 5, 3, 6, 1, 6]],
  A: [[0, 6, 2, 0, 4, 6], [0.7, 4, 3.3, 4]],
  B: [[0, 3, 3, 3, 4, 4, 4, 5, 3, 6, 0, 6, 0, 0, 3, 0, 4, 1, 4, 2, 3, 3]],
  C: [[4, 1, 3, 0, 1, 0, 0, 1, 0, 5, 1, 6, 3, 6, 4, 5]],
  D: [[0, 0, 0, 6, 2.5, 6, 4, 4.5, 4, 1.5, 2.5, 0, 0, 0]],
  E: [[4, 0, 0, 0, 0, 6, 4, 6], [0, 3, 3, 3]],
  F: [[4, 0, 0, 0, 0, 6], [0, 3, 3, 3]],
  G: [[4, 1, 3, 0, 1, 0, 0, 1, 0, 5, 1, 6, 3, 6, 4, 5, 4, 3, 2, 3]],
  H: [[0, 0, 0, 6], [4, 0, 4, 6], [0, 3, 4, 3]],
  I: [[1, 0, 3, 0], [2, 0, 2, 6], [1, 6, 3, 6]],
  J: [[1, 0, 4, 0], [3, 0, 3, 5, 2, 6, 1, 6, 0, 5]],
  K: [[0, 0, 0, 6], [4, 0, 0, 4], [1.4, 2.9, 4, 6]],
  L: [[0, 0, 0, 6, 4, 6]],
  M: [[0, 6, 0, 0, 2, 3, 4, 0, 4, 6]],
  N: [[0, 6, 0, 0, 4, 6, 4, 0]],
  O: [RING],
  P: [P_BOWL],
  Q: [RING, [2.5, 4.5, 4, 6]],
  R: [P_BOWL, [2, 3, 4, 6]],
  S: [[4, 1, 3, 0, 1, 0, 0, 1, 0, 2, 1, 3, 3, 3, 4, 4, 4, 5, 3, 6, 1, 6, 0, 5]],
  T: [[0, 0, 4, 0], [2, 0, 2, 6]],
  U: [[0, 0, 0, 5, 1, 6, 3, 6, 4, 5, 4, 0]],
  V: [[0, 0, 2, 6, 4, 0]],
  W: [[0, 0, 1, 6, 2, 3, 3, 6, 4, 0]],
  X: [[0, 0, 4, 6], [4, 0, 0, 6]],
  Y: [[0, 0, 2, 3, 4, 0], [2, 3, 2, 6]],
  Z: [[0, 0, 4, 0, 0, 6, 4, 6]],
  ".": [DOT(2, 6)],
  ",": [[2, 5.3, 1.4, 7]],
  "?": [[0, 1, 1, 0, 3, 0, 4, 1, 4, 2, 2, 3.5, 2, 4.3], DOT(2, 6)],
  "!": [[2, 0, 2, 4], DOT(2, 6)],
  ":": [DOT(2, 2), DOT(2, 5.5)],
  ";": [DOT(2, 2), [2, 5, 1.4, 7]],
  "-": [[1, 3, 3, 3]],
  "+": [[0.5, 3, 3.5, 3], [2, 1.5, 2, 4.5]],
  "=": [[0.5, 2, 3.5, 2], [0.5, 4, 3.5, 4]],
  "'": [[2, 0, 2, 1.5]],
  '"': [[1.3, 0, 1.3, 1.5], [2.7, 0, 2.7, 1.5]],
  "(": [[3, 0, 2, 1, 2, 5, 3, 6]],
  ")": [[1, 0, 2, 1, 2, 5, 1, 6]],
  "/": [[4, 0, 0, 6]],
  "<": [[3.5, 1, 0.5, 3, 3.5, 5]],
  ">": [[0.5, 1, 3.5, 3, 0.5, 5]],
  "_": [[0, 6.5, 4, 6.5]],
  "#": [[1.3, 0.5, 1, 5.5], [3, 0.5, 2.7, 5.5], [0, 2, 4, 2], [0, 4, 4, 4]],
  "%": [[4, 0, 0, 6], DOT(0.5, 0.8), DOT(3.5, 5.7)],
  "×": [[0.7, 1.7, 3.3, 4.3], [3.3, 1.7, 0.7, 4.3]],
};

/** Whether the stroke font can draw `char` (letters are drawn upper-case). */
export function hasGlyph(char: string): boolean {
  return char === " " || char.toUpperCase() in FONT;
}

/**
 * Polylines that draw `char` with its 4 x 6 box scaled to `height` px tall (4/6 of that
 * wide), top-left at (x, y). Unknown characters draw nothing.
 */
export function glyphPolylines(char: string, x: number, y: number, height: number): number[][] {
  const strokes = FONT[char.toUpperCase()];
  if (!strokes) return [];
  const scale = height / 6;
  return strokes.map((line) =>
    line.map((v, i) => Math.round((i % 2 === 0 ? x + v * scale : y + v * scale) * 100) / 100)
  );
}

/** Advance width of one character at a given glyph height (glyph width + spacing). */
export function glyphAdvance(height: number): number {
  return (height / 6) * 5.5;
}

/** Polylines drawing a line of text, top-left at (x, y). */
export function textPolylines(text: string, x: number, y: number, height: number): number[][] {
  const out: number[][] = [];
  const advance = glyphAdvance(height);
  for (let i = 0; i < text.length; i++) {
    out.push(...glyphPolylines(text[i], x + i * advance, y, height));
  }
  return out;
}
