/**
 * The world's splits and how each is generated. Every split draws its scenes from its own
 * sub-seed stream (seed, split name, item index), so splits are disjoint and each item can
 * be regenerated alone. Question splits use one scene per question.
 */
import { RejectionBalancer, UNIFORM_TRUTH } from "./balance.ts";
import { type CaptionEntry, fullCaption, sampleCaption } from "./captions.ts";
import { FAMILIES, familiesOfGroup } from "./families/mod.ts";
import { assembleItem, composeResponse, type Family, GROUPS, type QuestionItem } from "./items.ts";
import { knowledgeSentences } from "./knowledge_table.ts";
import { type ClassificationLabels, classificationLabels } from "./labels.ts";
import type { WorldPreset } from "./presets.ts";
import { renderScenes } from "./render.ts";
import { Rng, subSeed } from "./rng.ts";
import {
  randomShapeDraft,
  sampleDomain,
  type SampledScene,
  sampleFreeScene,
  sampleObjectScene,
} from "./sampler.ts";
import type { Scene, ShapeObject } from "./scene.ts";

/** What a split holds. */
export type SplitKind = "captions" | "text" | "questions" | "classification" | "segmentation";

/** Name, kind and size of one split. */
export interface SplitSpec {
  name: string;
  kind: SplitKind;
  count: number;
  /** Question splits: the families, used round-robin (item i asks families[i % n]). */
  families?: readonly Family[];
}

/** Fields every image record has: the scene and the class of each instance id. */
export interface SceneRecord {
  scene: Scene;
  /** classOfInstance[id] = class id of instance `id` (index 0 = background = 0). */
  classOfInstance: number[];
}

/** A question split's record. */
export interface QuestionRecord extends SceneRecord {
  item: QuestionItem;
}
/** A caption split's record. */
export interface CaptionRecord extends SceneRecord {
  caption: CaptionEntry;
}
/** A classification split's record. */
export interface ClassificationRecord extends SceneRecord {
  labels: ClassificationLabels;
}

/** Any record a split file stores (text splits store plain strings). */
export type SplitRecord =
  | QuestionRecord
  | CaptionRecord
  | ClassificationRecord
  | SceneRecord
  | string;

/** A generated split in memory. */
export interface SplitData {
  name: string;
  kind: SplitKind;
  imageSize: number;
  count: number;
  /** count × size × size × 3 RGB bytes (HWC per image), or null for the text corpus. */
  images: Uint8Array | null;
  /** count × size × size instance ids; stored for question and segmentation splits. */
  instanceMasks: Uint8Array | null;
  records: SplitRecord[];
}

/** The splits of a preset, in generation order. */
export function splitSpecs(preset: WorldPreset): SplitSpec[] {
  const specs: SplitSpec[] = [
    { name: "captions", kind: "captions", count: preset.captions },
    { name: "text", kind: "text", count: preset.textLines },
    { name: "instruction", kind: "questions", count: preset.instruction, families: FAMILIES },
    { name: "preference", kind: "questions", count: preset.preference, families: FAMILIES },
  ];
  for (const group of GROUPS) {
    const families = familiesOfGroup(group);
    specs.push({
      name: `val_${group}`,
      kind: "questions",
      count: preset.validationPerGroup,
      families,
    });
    specs.push({ name: `test_${group}`, kind: "questions", count: preset.testPerGroup, families });
  }
  specs.push(
    { name: "classification_train", kind: "classification", count: preset.classificationTrain },
    { name: "classification_test", kind: "classification", count: preset.classificationTest },
    { name: "segmentation_train", kind: "segmentation", count: preset.segmentationTrain },
    { name: "segmentation_test", kind: "segmentation", count: preset.segmentationTest },
  );
  return specs;
}

function sceneRecord(sampled: SampledScene): SceneRecord {
  return { scene: sampled.scene, classOfInstance: [0, ...sampled.instances.map((i) => i.classId)] };
}

/** A classification scene: one large main object (drawn on top) and 0–5 smaller shapes. */
export function sampleClassificationScene(
  rng: Rng,
  size: number,
): { sampled: SampledScene; labels: ClassificationLabels } {
  const count = rng.int(1, 6);
  const drafts = Array.from(
    { length: count - 1 },
    () => randomShapeDraft(rng, count, { size: rng.pick(["small", "medium"] as const) }),
  );
  drafts.push(randomShapeDraft(rng, count, { size: "large" }));
  const sampled = sampleObjectScene(rng, size, drafts, { overlap: count >= 4 || rng.chance(0.5) });
  return {
    sampled,
    labels: classificationLabels(sampled.scene.objects as ShapeObject[], count - 1, size),
  };
}

/** Question items of a split with their sampled scenes (no rendering). */
export function generateQuestions(
  spec: SplitSpec,
  size: number,
  seed: number,
): { sampled: SampledScene; item: QuestionItem }[] {
  const families = spec.families ?? FAMILIES;
  const balancer = new RejectionBalancer();
  const out = [];
  for (let i = 0; i < spec.count; i++) {
    const rng = new Rng(subSeed(seed, spec.name, i));
    const family = families[i % families.length];
    const draft = family.generate(rng, size, balancer.preferenceFor(family.id));
    out.push({ sampled: draft.sampled, item: assembleItem(family, draft, rng, balancer) });
  }
  return out;
}

/** Lines of the LM text corpus: captions (40%), question + answer (50%), facts (10%). */
export function generateTextCorpus(count: number, size: number, seed: number): string[] {
  const facts = knowledgeSentences();
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const rng = new Rng(subSeed(seed, "text", i));
    const r = rng.next();
    if (r < 0.4) lines.push(fullCaption(sampleFreeScene(rng, size, sampleDomain(rng)).scene, rng));
    else if (r < 0.9) {
      const family = FAMILIES[i % FAMILIES.length];
      const draft = family.generate(rng, size, UNIFORM_TRUTH);
      const question = draft.questionFor
        ? draft.questionFor(rng.pick(draft.wrong))
        : draft.question;
      lines.push(`${question} ${composeResponse(draft.chosen, rng.chance(0.5))}`);
    } else lines.push(rng.pick(facts));
  }
  return lines;
}

function sampleSplitScenes(
  spec: SplitSpec,
  preset: WorldPreset,
  seed: number,
): { sampled: SampledScene[]; records: SplitRecord[] } {
  const size = preset.imageSize;
  const sampled: SampledScene[] = [];
  const records: SplitRecord[] = [];
  if (spec.kind === "questions") {
    for (const q of generateQuestions(spec, size, seed)) {
      sampled.push(q.sampled);
      records.push({ ...sceneRecord(q.sampled), item: q.item });
    }
    return { sampled, records };
  }
  for (let i = 0; i < spec.count; i++) {
    const rng = new Rng(subSeed(seed, spec.name, i));
    if (spec.kind === "classification") {
      const { sampled: s, labels } = sampleClassificationScene(rng, size);
      sampled.push(s);
      records.push({ ...sceneRecord(s), labels });
    } else {
      const s = sampleFreeScene(rng, size, sampleDomain(rng));
      sampled.push(s);
      records.push(
        spec.kind === "captions"
          ? {
            ...sceneRecord(s),
            caption: sampleCaption(s.scene, rng, {
              partialRate: preset.captionPartialRate,
              noiseRate: preset.captionNoiseRate,
            }),
          }
          : sceneRecord(s),
      );
    }
  }
  return { sampled, records };
}

/** Generates one split: scenes, records, rendered images and (where stored) instance masks. */
export async function generateSplit(
  spec: SplitSpec,
  preset: WorldPreset,
  seed: number,
): Promise<SplitData> {
  const size = preset.imageSize;
  if (spec.kind === "text") {
    const records = generateTextCorpus(spec.count, size, seed);
    return {
      name: spec.name,
      kind: spec.kind,
      imageSize: size,
      count: records.length,
      images: null,
      instanceMasks: null,
      records,
    };
  }
  const { sampled, records } = sampleSplitScenes(spec, preset, seed);
  const images = await renderScenes(sampled.map((s) => s.scene));
  let instanceMasks: Uint8Array | null = null;
  if (spec.kind === "questions" || spec.kind === "segmentation") {
    instanceMasks = new Uint8Array(sampled.length * size * size);
    sampled.forEach((s, i) => instanceMasks!.set(s.masks.instance, i * size * size));
  }
  return {
    name: spec.name,
    kind: spec.kind,
    imageSize: size,
    count: sampled.length,
    images,
    instanceMasks,
    records,
  };
}
