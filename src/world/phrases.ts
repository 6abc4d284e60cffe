/** Small English helpers shared by captions and question families. */
import type { ColourName, ShapeName } from "./catalog.ts";
import { shapePlural } from "./catalog.ts";

/** "a" or "an" for the word that follows. */
export function article(nextWord: string): string {
  return /^[aeiou]/i.test(nextWord) ? "an" : "a";
}

/** "a red star", "an orange arrow". */
export function withArticle(phrase: string): string {
  return `${article(phrase)} ${phrase}`;
}

/** "red star". */
export function descriptor(colour: ColourName, shape: ShapeName): string {
  return `${colour} ${shape}`;
}

/** "x", "x and y", "x, y and z". */
export function listAnd(items: readonly string[]): string {
  return joinList(items, "and");
}

/** "x", "x or y", "x, y or z". */
export function listOr(items: readonly string[]): string {
  return joinList(items, "or");
}

function joinList(items: readonly string[], conjunction: string): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} ${conjunction} ${items[items.length - 1]}`;
}

/** "1 star", "3 stars". */
export function countNoun(count: number, shape: ShapeName): string {
  return `${count} ${count === 1 ? shape : shapePlural(shape)}`;
}

/** Splits a caption list ("a red star, a blue circle and a green heart") into its items. */
export function splitList(text: string): string[] {
  return text.split(/, | and | or /).map((s) => s.trim()).filter((s) => s.length > 0);
}

/** Removes a leading article. */
export function stripArticle(phrase: string): string {
  return phrase.replace(/^(a|an|the) /i, "");
}

/** "1 shape", "3 shapes" for nouns with a regular plural. */
export function countNounPlural(count: number, noun: string): string {
  return `${count} ${count === 1 ? noun : `${noun}s`}`;
}
