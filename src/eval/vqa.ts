/**
 * VQA by group: an MLLM answers the questions of held-out splits by greedy decoding
 * (`generate`, KV cache), and each answer is scored by exact match of its final answer
 * (`scoreAnswer`, per family). Per-item correctness is kept, in split order, for paired
 * comparisons of two models on the same questions (src/stats/paired.ts).
 *
 * Reported like the paper: accuracy per family and per group (General, Vision-Centric,
 * OCR & Chart, Knowledge), the "strongly vision-related" average (the unweighted mean of
 * the General, OCR & Chart and Vision-Centric group accuracies, as the paper averages its
 * benchmarks) and Knowledge apart.
 *
 * Two blind baselines, both stated as such:
 * - `worldBlindBaseline`: the world's text-only majority answer (src/world/blind.ts),
 *   learned on the training questions (instruction mix + preference set);
 * - `blank: true`: the MLLM itself with every image replaced by a blank one, all pixels at
 *   the normalisation mean (a uniform grey of 204/255, i.e. zeros after normalisation), so
 *   the model sees no content but inputs of the usual scale.
 *
 * `vqaStage` wraps an evaluation as a stage (config: the model stage's key as input + the
 * splits + decoding settings), so a re-run loads it instead of decoding again.
 * @module
 */

import type { MLLM } from "../mllm/model.ts";
import { generate } from "../mllm/generate.ts";
import { encodeResponse, promptBatch, responseText } from "../mllm/chat.ts";
import { zeros } from "../tensor/ops/create.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { imageTensor } from "../data/images.ts";
import { worldTokenizer } from "../world/tokenizer.ts";
import { type FamilyId, type GroupId, GROUPS, type QuestionItem } from "../world/items.ts";
import { scoreAnswer } from "../world/scorer.ts";
import { blindBaseline } from "../world/blind.ts";
import type { QuestionRecord, SplitData } from "../world/splits.ts";
import type { World } from "../world/world.ts";
import type { StageDef, StageOutput } from "../train/stage.ts";
import { flopCount } from "../gpu/flops.ts";

/** Groups whose questions are strongly vision-related (the paper's split). */
export const VISION_GROUPS: readonly GroupId[] = ["general", "ocr_chart", "vision"];

/** Display names of the groups, as the paper writes them. */
export const GROUP_NAMES: Readonly<Record<GroupId, string>> = {
  general: "General",
  vision: "Vision-Centric",
  ocr_chart: "OCR & Chart",
  knowledge: "Knowledge",
};

/** Items and accuracy of a set of questions. */
export interface Accuracy {
  items: number;
  correct: number;
  accuracy: number;
}

/** The result of one evaluation. */
export interface VqaResult extends Record<string, unknown> {
  /** Split names, in evaluation order. */
  splits: string[];
  /** Per split, one character per item in split order: "1" right, "0" wrong. */
  correct: Record<string, string>;
  byFamily: Partial<Record<FamilyId, Accuracy>>;
  byGroup: Partial<Record<GroupId, Accuracy>>;
  /** Mean of the General, OCR & Chart and Vision-Centric accuracies (null if one is missing). */
  visionAverage: number | null;
  /** Knowledge accuracy, reported apart (null if not evaluated). */
  knowledge: number | null;
  /** Whether images were replaced by the blank image (a blind baseline). */
  blank: boolean;
  /** Share of answers that ended with <eos> before maxNew. */
  finishedShare: number;
  maxNew: number;
  /** A few generated answers per split, for reading. */
  examples: { split: string; question: string; answer: string; generated: string }[];
  /** FLOPs the answering dispatched (absent in records made before they were counted). */
  flops?: number;
  seconds: number;
}

/** Options of `evaluateVqa`. */
export interface VqaOptions {
  /** Rows per generate call (default 128). */
  batch?: number;
  /** Replace every image by the blank image (see the module comment). */
  blank?: boolean;
  /** Most new tokens (default: the longest chosen response of the splits + 8, within maxLen). */
  maxNew?: number;
  /** Examples kept per split (default 3). */
  examples?: number;
  /** Only the first N questions of each split (default: all). */
  perSplit?: number;
}

function questionItems(split: SplitData): QuestionItem[] {
  if (split.kind !== "questions") {
    throw new Error(`split ${split.name} is a ${split.kind} split, not a question split`);
  }
  return split.records.map((r) => (r as QuestionRecord).item);
}

function accuracy(correct: number, items: number): Accuracy {
  return { items, correct, accuracy: items > 0 ? correct / items : NaN };
}

/** Group accuracies → the strongly vision-related average and Knowledge. */
export function groupSummary(
  byGroup: Partial<Record<GroupId, { accuracy: number }>>,
): { visionAverage: number | null; knowledge: number | null } {
  const vision = VISION_GROUPS.map((g) => byGroup[g]?.accuracy);
  return {
    visionAverage: vision.every((v) => v !== undefined)
      ? (vision as number[]).reduce((a, b) => a + b, 0) / vision.length
      : null,
    knowledge: byGroup.knowledge?.accuracy ?? null,
  };
}

/** Greedy answers of `model` to every question of `splits`, scored by exact match. */
export async function evaluateVqa(
  model: MLLM,
  splits: readonly SplitData[],
  opts: VqaOptions = {},
): Promise<VqaResult> {
  const start = performance.now();
  const flops0 = flopCount().flops;
  const tok = worldTokenizer();
  const batch = opts.batch ?? 128;
  const longest = Math.max(
    1,
    ...splits.flatMap((s) => questionItems(s).map((it) => encodeResponse(tok, it.chosen).length)),
  );
  const maxNew = opts.maxNew ?? longest + 8;
  const keepExamples = opts.examples ?? 3;
  const correct: Record<string, string> = {};
  const famCount = new Map<FamilyId, [number, number]>();
  const groupCount = new Map<GroupId, [number, number]>();
  const examples: VqaResult["examples"] = [];
  let finished = 0;
  let total = 0;
  for (const split of splits) {
    const items = questionItems(split).slice(0, opts.perSplit ?? split.count);
    const flags = new Array<string>(items.length);
    for (let at = 0; at < items.length; at += batch) {
      const idx = Array.from({ length: Math.min(batch, items.length - at) }, (_, k) => at + k);
      const prompts = promptBatch(tok, idx.map((i) => items[i].question));
      const room = model.config.lm.maxLen - model.visualCount - prompts.tokens + 1;
      if (room < 1) {
        throw new Error(`vqa: prompts of ${prompts.tokens} tokens leave no room in maxLen`);
      }
      const s = split.imageSize;
      const images: Tensor = opts.blank ? zeros([idx.length, s, s, 3]) : imageTensor(split, idx);
      let gen;
      try {
        gen = await generate(model, images, prompts, {
          eos: tok.special.eos,
          maxNew: Math.min(maxNew, room),
        });
      } finally {
        images.dispose();
      }
      idx.forEach((i, k) => {
        const item = items[i];
        const text = responseText(tok, gen.tokens[k]);
        const ok = scoreAnswer(item.family, text, item);
        flags[i] = ok ? "1" : "0";
        for (const [map, key] of [[famCount, item.family], [groupCount, item.group]] as const) {
          const c = (map as Map<string, [number, number]>).get(key) ?? [0, 0];
          c[0] += ok ? 1 : 0;
          c[1] += 1;
          (map as Map<string, [number, number]>).set(key, c);
        }
        if (i < keepExamples) {
          examples.push({
            split: split.name,
            question: item.question,
            answer: item.answer,
            generated: text,
          });
        }
      });
      finished += gen.finished.filter(Boolean).length;
      total += idx.length;
    }
    correct[split.name] = flags.join("");
  }
  const byFamily: VqaResult["byFamily"] = {};
  for (const [f, [c, n]] of famCount) byFamily[f] = accuracy(c, n);
  const byGroup: VqaResult["byGroup"] = {};
  for (const g of GROUPS) {
    const c = groupCount.get(g);
    if (c) byGroup[g] = accuracy(c[0], c[1]);
  }
  return {
    splits: splits.map((s) => s.name),
    correct,
    byFamily,
    byGroup,
    ...groupSummary(byGroup),
    blank: opts.blank ?? false,
    finishedShare: total > 0 ? finished / total : 0,
    maxNew,
    examples,
    flops: flopCount().flops - flops0,
    seconds: (performance.now() - start) / 1000,
  };
}

/** Per-item correctness of one split as 0/1 numbers (for src/stats/paired.ts). */
export function correctness(result: { correct: Record<string, string> }, split: string): number[] {
  const s = result.correct[split];
  if (s === undefined) throw new Error(`vqa: split ${split} was not evaluated`);
  return Array.from(s, (c) => (c === "1" ? 1 : 0));
}

/** The question splits of a set: `test_<group>` or `val_<group>` for every group. */
export function groupSplits(set: "test" | "val"): string[] {
  return GROUPS.map((g) => `${set}_${g}`);
}

/** The world's text-only baseline per family and group on held-out splits. */
export async function worldBlindBaseline(
  world: World,
  heldOut: readonly string[],
): Promise<
  { byFamily: Partial<Record<FamilyId, Accuracy>>; byGroup: Partial<Record<GroupId, Accuracy>> }
> {
  const train = [
    ...questionItems(await world.split("instruction")),
    ...questionItems(await world.split("preference")),
  ];
  const test: QuestionItem[] = [];
  for (const name of heldOut) test.push(...questionItems(await world.split(name)));
  const rows = blindBaseline(train, test);
  const byFamily: Partial<Record<FamilyId, Accuracy>> = {};
  const groupOf = new Map(test.map((it) => [it.family, it.group]));
  const groups = new Map<GroupId, [number, number]>();
  for (const r of rows) {
    const right = Math.round(r.accuracy * r.items);
    byFamily[r.family] = accuracy(right, r.items);
    const g = groupOf.get(r.family)!;
    const c = groups.get(g) ?? [0, 0];
    groups.set(g, [c[0] + right, c[1] + r.items]);
  }
  const byGroup: Partial<Record<GroupId, Accuracy>> = {};
  for (const g of GROUPS) {
    const c = groups.get(g);
    if (c) byGroup[g] = accuracy(c[0], c[1]);
  }
  return { byFamily, byGroup };
}

/** How a VQA stage loads its model from the model's stage output. */
export type ModelLoader = (stage: StageOutput) => Promise<MLLM>;

/** Config of a VQA stage (the model enters as the stage's input, by key). */
export interface VqaStageConfig {
  [key: string]: string | number | boolean | string[] | null;
  splits: string[];
  blank: boolean;
  batch: number;
  maxNew: number | null;
  /** Only the first N questions of each split (null: all). */
  perSplit: number | null;
  /** The world the splits come from. */
  world: string;
}

/**
 * An evaluation as a stage: `<out>/stages/<name>/<key>/metrics.json` holds the VqaResult,
 * keyed by the model stage's key, the splits and the decoding settings; the model is
 * loaded only when the result is not cached, and disposed after.
 */
export function vqaStage(
  model: StageOutput,
  load: ModelLoader,
  world: World,
  opts: {
    name?: string;
    splits: string[];
    blank?: boolean;
    batch?: number;
    maxNew?: number;
    perSplit?: number;
  },
): StageDef<VqaResult> {
  const config: VqaStageConfig = {
    splits: opts.splits,
    blank: opts.blank ?? false,
    batch: opts.batch ?? 128,
    maxNew: opts.maxNew ?? null,
    perSplit: opts.perSplit ?? null,
    world: `${world.preset.name}-seed${world.seed}`,
  };
  return {
    name: opts.name ?? "vqa",
    config,
    inputs: [model],
    run: async (ctx) => {
      const splits: SplitData[] = [];
      for (const s of config.splits) splits.push(await world.split(s));
      const mllm = await load(model);
      try {
        const r = await evaluateVqa(mllm, splits, {
          blank: config.blank,
          batch: config.batch,
          maxNew: config.maxNew ?? undefined,
          perSplit: config.perSplit ?? undefined,
        });
        ctx.log(
          `vqa ${model.name}${config.blank ? " (blank image)" : ""}: ` +
            GROUPS.filter((g) => r.byGroup[g]).map((g) =>
              `${g} ${(100 * r.byGroup[g]!.accuracy).toFixed(1)}%`
            ).join(", ") + ` (${r.seconds.toFixed(1)} s)`,
        );
        return r;
      } finally {
        mllm.dispose();
      }
    },
  };
}
