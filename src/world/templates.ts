/**
 * Every sentence pattern the world speaks. `{slot}` marks a value filled in at generation
 * time. The tokenizer's vocabulary is built from these strings plus the value tables in
 * catalog.ts and knowledge_table.ts, never from sampled data.
 */

/** Question phrasings per family (several each, so no family has one fixed wording). */
export const QUESTION_TEMPLATES = {
  presence: [
    "Which of these is in the picture: {options}?",
    "One of these is in the image: {options}. Which one?",
    "Which of the following can you see: {options}?",
  ],
  colour: [
    "What colour is the {shape}?",
    "Which colour does the {shape} have?",
    "Tell me the colour of the {shape}.",
  ],
  shape: [
    "What shape is the {colour} object?",
    "Which shape is {colour}?",
    "Name the shape of the {colour} object.",
  ],
  caption: [
    "Describe the picture briefly.",
    "What does the image show?",
    "Give a short caption for the picture.",
  ],
  count_all: [
    "How many shapes are there?",
    "How many objects are in the picture?",
    "Count the shapes in the image.",
  ],
  count_shape: [
    "How many {plural} are there?",
    "How many {plural} can you see?",
    "Count the {plural} in the picture.",
  ],
  count_colour: [
    "How many {colour} shapes are there?",
    "How many {colour} objects can you see?",
    "Count the {colour} shapes in the picture.",
  ],
  relation: [
    "Where is the {a} relative to the {b}?",
    "Is the {a} left of, right of, above or below the {b}?",
    "Where is the {a} compared with the {b}?",
  ],
  size_largest: [
    "Which shape is the largest?",
    "Which shape is the biggest in the picture?",
    "What is the largest shape?",
  ],
  size_smallest: [
    "Which shape is the smallest?",
    "Which shape is the tiniest in the picture?",
    "What is the smallest shape?",
  ],
  fine_hollow: [
    "What colour is the hollow shape?",
    "Which colour is the only hollow shape?",
    "Tell me the colour of the shape that is not filled.",
  ],
  fine_filled: [
    "What colour is the filled shape?",
    "Which colour is the only filled shape?",
    "Tell me the colour of the shape that is not hollow.",
  ],
  glyph: [
    "What is written on the {colour} sign?",
    "Which character does the {colour} sign show?",
    "Read the {colour} sign.",
  ],
  chart_value: [
    "What is the value of the {colour} bar?",
    "How high is the {colour} bar?",
    "Read the value of the {colour} bar.",
  ],
  chart_tallest: [
    "Which bar is the tallest?",
    "Which bar is the highest?",
    "Which colour has the tallest bar?",
  ],
  chart_shortest: [
    "Which bar is the shortest?",
    "Which bar is the lowest?",
    "Which colour has the shortest bar?",
  ],
  corners: [
    "How many corners does the {colour} shape have?",
    "The {colour} shape has how many corners?",
    "What is the number of corners of the {colour} shape?",
  ],
  mix: [
    "What colour do you get if you mix the colours of the two shapes?",
    "Mixing the colours of the two shapes gives which colour?",
    "If you mix the two colours in the picture, what colour do you get?",
  ],
  sign_meaning: [
    "What does the sign stand for?",
    "What does the letter on the sign mean?",
    "What place does this sign point to?",
  ],
} as const;

/** Response sentence patterns: a perception prefix and a body per family. */
export const RESPONSE_TEMPLATES = {
  answer: "Answer: {answer}.",
  seeThing: "I see {thing}.",
  seeTwo: "I see {thing} and {other}.",
  presenceBody: "There is {thing} in the picture.",
  colourBody: "The {shape} is {colour}.",
  shapeBody: "The {colour} object is {thing}.",
  captionSee: "I see {count} {noun}.",
  countSee: "I count {count} {noun}.",
  relationBody: "The {a} is {relation} the {b}.",
  sizeSee: "I compare the sizes of {count} shapes.",
  sizeBody: "The {shape} is the {extreme}.",
  fineSee: "I see {thing}.",
  fineBody: "It is {colour}.",
  glyphBody: "The {colour} sign shows the {kind} {glyph}.",
  chartSee: "I see a bar chart with {count} bars.",
  chartValueBody: "The {colour} bar reaches {value}.",
  chartExtremeBody: "The {colour} bar is the {extreme}.",
  cornersBody: "A {shape} has {count} corners.",
  mixBody: "Mixing {a} and {b} makes {result}.",
  meaningSee: "I see the letter {glyph}.",
  meaningBody: "{glyph} stands for {meaning}.",
} as const;

/** Caption patterns for the caption corpus (alt-text-like, several per domain). */
export const CAPTION_TEMPLATES = {
  objects: [
    "{things} on a {texture} background.",
    "A picture of {things}.",
    "{things}.",
    "An image with {things}.",
  ],
  signs: [
    "{things}.",
    "A picture of {things}.",
    "Signs: {things}.",
  ],
  charts: [
    "A bar chart with {count} bars: {bars}.",
    "A bar chart: {bars}.",
    "Bars: {bars}.",
  ],
  sign: "a {colour} sign with the {kind} {glyph}",
  bar: "{colour} {value}",
  partial: ["Some shapes.", "A picture.", "A chart.", "A sign."],
} as const;

/** Words the slots can take that are not in the catalogue tables. */
export const SLOT_WORDS: readonly string[] = [
  "a",
  "an",
  "the",
  "and",
  "or",
  "hollow",
  "filled",
  "left",
  "right",
  "above",
  "below",
  "to",
  "of",
  "largest",
  "smallest",
  "tallest",
  "shortest",
  "digit",
  "letter",
  "sign",
  "signs",
  "shape",
  "shapes",
  "plain",
  "striped",
  "checked",
  "dotted",
  "shaded",
];

/** Fills `{slot}` placeholders; throws when a slot has no value (a template bug). */
export function fill(template: string, slots: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (_, key: string) => {
    if (!(key in slots)) throw new Error(`template slot {${key}} has no value in "${template}"`);
    return String(slots[key]);
  });
}
