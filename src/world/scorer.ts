/**
 * Exact-match scoring of generated answers.
 *
 * Final-answer format: the text after the last "Answer:" (case-insensitive); without one,
 * the whole text (the clear-answer form). The value is trimmed, a trailing "." is dropped,
 * runs of spaces collapse and case is ignored. It must then equal the item's answer exactly,
 * except for captions, which are compared as multisets of "colour shape" phrases (the order
 * in which shapes are listed is not part of the answer).
 */
import type { FamilyId } from "./items.ts";
import { splitList, stripArticle } from "./phrases.ts";

/** The final answer written in a response, normalised (lower case, single spaces). */
export function parseFinalAnswer(text: string): string {
  const lower = text.toLowerCase();
  const at = lower.lastIndexOf("answer:");
  const tail = at >= 0 ? text.slice(at + "answer:".length) : text;
  return tail.trim().replace(/\s+/g, " ").replace(/\s*\.$/, "").trim().toLowerCase();
}

function captionMultiset(answer: string): string {
  return splitList(answer).map((item) => stripArticle(item)).sort().join("|");
}

/** Whether `generatedText` answers the item correctly (exact match of the final answer). */
export function scoreAnswer(
  family: FamilyId,
  generatedText: string,
  item: { answer: string },
): boolean {
  const got = parseFinalAnswer(generatedText);
  const want = parseFinalAnswer(item.answer);
  if (family === "caption") return captionMultiset(got) === captionMultiset(want);
  return got === want;
}
