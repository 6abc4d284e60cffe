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
 * `finalLoss`, or `curve`), the encoder movement (`encoderMovement.weights`: relative L2
 * change of the ViT parameters over the stage) and, for DPO, the log-prob and margin curves
 * (`dpo`: points with step, chosenLogp, rejectedLogp, margin).
 * @module
 */

import type { MLLM } from "../mllm/model.ts";
import type { StageDef, StageOutput } from "../train/stage.ts";
import type { World } from "../world/world.ts";
import type { PretrainResult } from "../train/pretrain.ts";
import { pretrainProtocol } from "../protocol/presets.ts";

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
  /** Seeds of the secondary conditions: paper ratio, clear answers, data-size sweep. */
  secondarySeeds: number[];
  /**
   * Generation batch and token budget of the evaluations; validation and test questions per
   * group (the first N of each split; absent or null: the whole test split).
   */
  vqa: { batch: number; maxNew?: number; valPerGroup?: number; testPerGroup?: number | null };
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
  /**
   * A Stage-2 run on the 1b model `base`; `runDep` runs a prerequisite stage that is not a
   * training stage (e.g. DPO's cached reference log-probs) and returns its output.
   */
  stage2(
    world: World,
    base: StageOutput,
    spec: Stage2Spec,
    runDep: (def: StageDef) => Promise<StageOutput>,
  ): Promise<StageDef>;
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
    return num(o.weights) ?? num(o.relative) ?? num(o.relativeChange) ?? num(o.relativeL2) ??
      num(o.value);
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
 * landed.
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
  const train = await load("../train/mllm/mod.ts");
  if (typeof train === "string") return train;
  const missing = [
    "postTrainProtocol",
    "stage1aConfig",
    "stage1aStage",
    "stage1bConfig",
    "stage1bStage",
    "referenceConfig",
    "dpoReferenceStage",
    "stage2Config",
    "stage2Stage",
    "loadMLLM",
  ].filter((k) => typeof train[k] !== "function");
  if (missing.length > 0) return `src/train/mllm/mod.ts does not export ${missing.join(", ")} yet`;
  return adaptPosttrain(train as unknown as TrainModule);
}

/** The exports of src/train/mllm/mod.ts this experiment uses (typed loosely on purpose). */
interface TrainModule {
  // deno-lint-ignore no-explicit-any
  [name: string]: (...args: any[]) => any;
}

/** Adapts src/train/mllm/mod.ts (and the protocols it re-exports) to `PosttrainApi`. */
export function adaptPosttrain(t: TrainModule): PosttrainApi {
  const pretrain = (preset: string) => pretrainProtocol(preset);
  const references = new Map<string, StageOutput>();
  const find = (outs: StageOutput[], name: string) => {
    const o = outs.find((x) => x.name === name);
    if (!o) throw new Error(`sft-vs-dpo: pretraining produced no ${name} stage`);
    return o;
  };
  return {
    plan(preset) {
      const p = t.postTrainProtocol(preset);
      const sizes = [...p.stage2.dataSweepSizes].sort((a: number, b: number) => a - b);
      if (sizes[sizes.length - 1] !== p.stage2.preferenceSize) {
        throw new Error(
          `protocol ${preset}: the largest data-sweep size ${sizes.at(-1)} is not the ` +
            `preference size ${p.stage2.preferenceSize}`,
        );
      }
      return {
        preset,
        seeds: p.seeds.primary,
        lrGrid: p.stage2.lrGrid,
        sweepSeeds: [p.seeds.lrSelection],
        paperRatio: p.stage2.paperDpoLrDivisor,
        sizes,
        secondarySeeds: p.seeds.secondary,
        vqa: {
          batch: 128,
          maxNew: p.validation.maxNew,
          valPerGroup: p.validation.perGroup,
          testPerGroup: p.test.perGroup,
        },
        raw: p,
      };
    },
    stage1a(world, pre, seed) {
      const p = t.postTrainProtocol(world.preset.name);
      const cfg = t.stage1aConfig(p, pretrain(world.preset.name), seed);
      return t.stage1aStage(cfg, world, {
        e0: find(pre.e0, `e0-${p.encoder}`),
        l0: find(pre.l0, `l0-${p.lm}`),
      });
    },
    stage1b(world, s1a, _pre, seed) {
      const cfg = t.stage1bConfig(
        t.postTrainProtocol(world.preset.name),
        pretrain(world.preset.name),
        seed,
      );
      return t.stage1bStage(cfg, world, s1a);
    },
    async stage2(world, base, spec, runDep) {
      const p = t.postTrainProtocol(world.preset.name);
      const pre = pretrain(world.preset.name);
      const cfg = t.stage2Config(p, pre, {
        arm: spec.arm,
        lr: spec.lr,
        condition: spec.data,
        size: spec.size,
        seed: spec.seed,
      });
      let reference: StageOutput | undefined;
      if (spec.arm === "dpo") {
        const k = `${base.key}|${spec.data}`;
        if (!references.has(k)) {
          const rc = t.referenceConfig(p, pre, spec.data);
          references.set(k, await runDep(t.dpoReferenceStage(rc, world, base)));
        }
        reference = references.get(k);
      }
      return t.stage2Stage(cfg, world, base, reference);
    },
    loadMLLM: (stage) => t.loadMLLM(stage),
  };
}
