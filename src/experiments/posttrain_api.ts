/**
 * What the SFT-vs-DPO experiment needs from the training side, in one place: the committed
 * post-training protocol (src/protocol/posttrain.ts) and the Stage 1a / 1b / 2 stage
 * definitions with `loadMLLM` (src/train/mllm/). `loadPosttrainApi` imports them at run time
 * and adapts them to `PosttrainApi`; until they land it returns why not (the experiment then
 * reports itself as pending, as pretrain.ts does for E0). Tests pass their own
 * `PosttrainApi`, so the orchestration is tested apart from the training code.
 *
 * Metric fields read from the training stages (the accessors below tolerate the spellings
 * the training side may use): the loss curve's first and last points (`firstLoss`,
 * `finalLoss`, or `curve`), the encoder movement (`encoderMovement` / `encoder`: relative
 * L2 change of the ViT parameters from the stage's start) and, for DPO, the log-prob and
 * margin curves (`dpoCurve` / `dpo`).
 * @module
 */

import type { MLLM } from "../mllm/model.ts";
import type { StageDef, StageOutput } from "../train/stage.ts";
import type { World } from "../world/world.ts";
import type { PretrainResult } from "../train/pretrain.ts";

/** Post-training arms. */
export type Arm = "sft" | "dpo" | "unlikelihood";
/** Data conditions: full MMPR-like responses or the clear-answer variant. */
export type DataCondition = "full" | "clear";

/** The experiment plan, read from the committed protocol (never from results). */
export interface SftVsDpoPlan {
  preset: string;
  /** Seeds of the comparison; each seeds Stage 1a, 1b and 2 (base model included). */
  seeds: number[];
  /** Learning-rate grid, the same for every arm. */
  lrGrid: number[];
  /** Seeds whose validation accuracy picks each arm's learning rate (same for every arm). */
  sweepSeeds: number[];
  /** Paper-ratio condition: DPO lr = SFT's tuned lr / paperRatio. */
  paperRatio: number;
  /** Preference-set sizes for the data-efficiency sweep, ascending; the last is the full set. */
  sizes: number[];
  /** Seeds of the data-size sweep. */
  sizeSeeds: number[];
  /** Generation batch and token budget of the evaluations. */
  vqa: { batch: number; maxNew?: number };
  /** The protocol as committed, stored with the results. */
  raw: unknown;
}

/** One Stage-2 run. */
export interface Stage2Spec {
  arm: Arm;
  lr: number;
  data: DataCondition;
  /** Preference items used. */
  size: number;
  seed: number;
}

/** The training side, as the experiment uses it. */
export interface PosttrainApi {
  plan(preset: string): SftVsDpoPlan;
  stage1a(world: World, pre: PretrainResult, seed: number): StageDef;
  stage1b(world: World, s1a: StageOutput, pre: PretrainResult, seed: number): StageDef;
  stage2(world: World, base: StageOutput, spec: Stage2Spec): StageDef;
  loadMLLM(stage: StageOutput): Promise<MLLM>;
}

type Rec = Record<string, unknown>;
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

/** First and last loss of a training stage's metrics, or null if it reports none. */
export function lossEnds(metrics: Rec): { first: number; last: number } | null {
  const first = num(metrics.firstLoss);
  const last = num(metrics.finalLoss);
  if (first !== null && last !== null) return { first, last };
  const curve = (metrics.curve ?? (metrics.train as Rec | undefined)?.curve) as
    | { loss: number }[]
    | undefined;
  if (Array.isArray(curve) && curve.length > 0) {
    return { first: curve[0].loss, last: curve[curve.length - 1].loss };
  }
  return null;
}

/** Relative L2 change of the ViT parameters over a stage, or null if not reported. */
export function encoderMovement(metrics: Rec): number | null {
  const m = metrics.encoderMovement ?? metrics.encoder ?? metrics.vitMovement;
  if (typeof m === "number") return num(m);
  if (m && typeof m === "object") {
    const o = m as Rec;
    return num(o.relative) ?? num(o.relativeChange) ?? num(o.relativeL2) ?? num(o.value);
  }
  return null;
}

/** A DPO stage's curves: step, summed log-probs of chosen and rejected, margin (β-scaled). */
export interface DpoCurve {
  step: number[];
  chosen: number[];
  rejected: number[];
  margin: number[];
  /** The same quantities of the frozen reference model at step 0, when reported. */
}

/** The DPO curves of a stage's metrics, or null. */
export function dpoCurve(metrics: Rec): DpoCurve | null {
  const c = (metrics.dpoCurve ?? metrics.dpo) as Rec | Rec[] | undefined;
  if (!c) return null;
  const pick = (o: Rec, ...keys: string[]) => {
    for (const k of keys) if (typeof o[k] === "number") return o[k] as number;
    return NaN;
  };
  if (Array.isArray(c)) {
    return {
      step: c.map((p) => pick(p, "step")),
      chosen: c.map((p) => pick(p, "chosen", "chosenLogp", "logpChosen")),
      rejected: c.map((p) => pick(p, "rejected", "rejectedLogp", "logpRejected")),
      margin: c.map((p) => pick(p, "margin", "rewardMargin")),
    };
  }
  const arr = (...keys: string[]) => {
    for (const k of keys) if (Array.isArray(c[k])) return c[k] as number[];
    return [];
  };
  return {
    step: arr("step", "steps"),
    chosen: arr("chosen", "chosenLogp", "logpChosen"),
    rejected: arr("rejected", "rejectedLogp", "logpRejected"),
    margin: arr("margin", "margins", "rewardMargin"),
  };
}

/**
 * The training side's modules adapted to `PosttrainApi`, or a sentence saying what has not
 * landed. The expected exports are listed in the thrown/returned messages.
 */
export async function loadPosttrainApi(): Promise<PosttrainApi | string> {
  const load = async (rel: string): Promise<Rec | string> => {
    try {
      return (await import(new URL(rel, import.meta.url).href)) as Rec;
    } catch (e) {
      if (e instanceof TypeError && /Module not found|Cannot load module/i.test(e.message)) {
        return `${rel.replace("../", "src/")} has not landed yet`;
      }
      throw e;
    }
  };
  const protocol = await load("../protocol/posttrain.ts");
  if (typeof protocol === "string") return protocol;
  const train = await load("../train/mllm/mod.ts");
  if (typeof train === "string") return train;
  return adaptPosttrain(protocol, train);
}

/** Adapts the training side's exports (see `loadPosttrainApi`). */
export function adaptPosttrain(protocol: Rec, train: Rec): PosttrainApi | string {
  const missing = ["posttrainProtocol"].filter((k) => typeof protocol[k] !== "function")
    .map((k) => `src/protocol/posttrain.ts: ${k}`)
    .concat(
      ["stage1aStage", "stage1bStage", "stage2Stage", "loadMLLM"].filter((k) =>
        typeof train[k] !== "function"
      ).map((k) => `src/train/mllm/mod.ts: ${k}`),
    );
  if (missing.length > 0) return `not exported yet: ${missing.join(", ")}`;
  // deno-lint-ignore no-explicit-any
  const t = train as any;
  // deno-lint-ignore no-explicit-any
  const protocolOf = (preset: string): any => (protocol.posttrainProtocol as any)(preset);
  return {
    plan(preset) {
      const p = protocolOf(preset);
      const seeds: number[] = p.seeds;
      const sizes: number[] = [...p.sizes].sort((a: number, b: number) => a - b);
      return {
        preset,
        seeds,
        lrGrid: p.lrGrid,
        sweepSeeds: p.sweepSeeds ?? seeds.slice(0, 1),
        paperRatio: p.paperRatio ?? 5,
        sizes,
        sizeSeeds: p.sizeSeeds ?? seeds,
        vqa: { batch: p.eval?.batch ?? 128, maxNew: p.eval?.maxNew },
        raw: p,
      };
    },
    stage1a: (world, pre, seed) => t.stage1aStage(protocolOf(world.preset.name), world, pre, seed),
    stage1b: (world, s1a, pre, seed) =>
      t.stage1bStage(protocolOf(world.preset.name), world, s1a, pre, seed),
    stage2: (world, base, spec) => t.stage2Stage(protocolOf(world.preset.name), world, base, spec),
    loadMLLM: (stage) => t.loadMLLM(stage),
  };
}
