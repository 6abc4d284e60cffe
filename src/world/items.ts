/**
 * Question items: the family interface, and the assembly of a family's draft into a full
 * item (chosen and rejected responses, their clear-answer variants and the diff spans).
 *
 * Response format: an optional perception prefix ("I see …."), an optional body sentence,
 * then the final sentence "Answer: <value>." The clear-answer variant is the value alone.
 */
import type { RejectionBalancer, TruthPreference } from "./balance.ts";
import { type DiffSpan, diffSpans } from "./diff.ts";
import type { Rng } from "./rng.ts";
import type { SampledScene } from "./sampler.ts";
import type { Domain } from "./scene.ts";
import { fill, RESPONSE_TEMPLATES } from "./templates.ts";

/** The four benchmark groups of the paper. */
export type GroupId = "general" | "vision" | "ocr_chart" | "knowledge";
/** All groups, in report order. */
export const GROUPS: readonly GroupId[] = ["general", "vision", "ocr_chart", "knowledge"];

/** Question families. */
export type FamilyId =
  | "presence"
  | "colour"
  | "shape"
  | "caption"
  | "count"
  | "relation"
  | "size"
  | "fine_attribute"
  | "glyph"
  | "chart_value"
  | "chart_extreme"
  | "corners"
  | "colour_mix"
  | "sign_meaning";

/** One way to answer a question: right (the chosen one) or with a perceptual error. */
export interface AnswerVariant {
  /** Final answer value, as written after "Answer:". */
  answer: string;
  /** What the balancer counts: the answer value, or for captions the changed word. */
  key: string;
  /** For a wrong variant, the chosen answer's key that this error replaces. */
  replacesKey: string;
  /** Perception prefix sentence, or null when the family has none. */
  perception: string | null;
  /** Body sentence, or null. */
  body: string | null;
}

/** What a family produces before rejection balancing. */
export interface FamilyDraft {
  sampled: SampledScene;
  question: string;
  chosen: AnswerVariant;
  /** Plausible wrong answers, each with one perceptual error; never empty. */
  wrong: AnswerVariant[];
  /** Instance ids of the objects the question is about. */
  referents: number[];
  /**
   * For families whose question lists answer options: the question once the rejected
   * variant is known (it must be among the options). Otherwise `question` is used.
   */
  questionFor?: (rejected: AnswerVariant) => string;
}

/** A question family: its group and its generator. */
export interface Family {
  id: FamilyId;
  group: GroupId;
  /** Domain of the scenes it asks about. */
  domain: Domain;
  /** Samples a scene and a question; `truth` picks among equally valid true answers. */
  generate(rng: Rng, size: number, truth: TruthPreference): FamilyDraft;
}

/** A complete question with its preference pair. */
export interface QuestionItem {
  family: FamilyId;
  group: GroupId;
  domain: Domain;
  question: string;
  /** Correct final answer. */
  answer: string;
  /** Final answer of the rejected response. */
  rejectedAnswer: string;
  /** Chosen (correct) response. */
  chosen: string;
  /** Rejected response: like `chosen` with one perceptual error. */
  rejected: string;
  /** Clear-answer variants: the final answer only. */
  chosenClear: string;
  rejectedClear: string;
  /** Where `chosen` and `rejected` differ. */
  spans: DiffSpan[];
  /** Where `chosenClear` and `rejectedClear` differ. */
  clearSpans: DiffSpan[];
  /** Values the rejection balancer counted for this item. */
  balanceKeys: { chosen: string; rejected: string };
  /** Instance ids of the referent objects (their mask is where the question looks). */
  referents: number[];
  /** Whether the responses carry a perception prefix. */
  withPerception: boolean;
}

/** Writes a response from a variant. */
export function composeResponse(variant: AnswerVariant, withPerception: boolean): string {
  const parts: string[] = [];
  if (withPerception && variant.perception) parts.push(variant.perception);
  if (variant.body) parts.push(variant.body);
  parts.push(fill(RESPONSE_TEMPLATES.answer, { answer: variant.answer }));
  return parts.join(" ");
}

/** Turns a family draft into an item, picking a balanced rejected answer. */
export function assembleItem(
  family: Family,
  draft: FamilyDraft,
  rng: Rng,
  balancer: RejectionBalancer,
): QuestionItem {
  const wrong = draft.wrong[balancer.pick(family.id, draft.wrong, rng)];
  const withPerception = rng.chance(0.5);
  const chosen = composeResponse(draft.chosen, withPerception);
  const rejected = composeResponse(wrong, withPerception);
  if (chosen === rejected) {
    throw new Error(`${family.id}: rejected response equals chosen: ${chosen}`);
  }
  return {
    family: family.id,
    group: family.group,
    domain: family.domain,
    question: draft.questionFor ? draft.questionFor(wrong) : draft.question,
    answer: draft.chosen.answer,
    rejectedAnswer: wrong.answer,
    chosen,
    rejected,
    chosenClear: draft.chosen.answer,
    rejectedClear: wrong.answer,
    spans: diffSpans(chosen, rejected),
    clearSpans: diffSpans(draft.chosen.answer, wrong.answer),
    balanceKeys: { chosen: wrong.replacesKey, rejected: wrong.key },
    referents: draft.referents,
    withPerception,
  };
}

/** A variant whose balance key is its answer (most families). */
export function variant(
  answer: string,
  perception: string | null,
  body: string | null,
  replaces?: string,
): AnswerVariant {
  return { answer, key: answer, replacesKey: replaces ?? answer, perception, body };
}
