/**
 * pivotlab's toy world: seeded scenes (objects, signs, charts) with exact masks, the
 * tokenizer, question families with balanced preference pairs, captions, probe labels, and
 * disk-cached splits. See DESIGN.md §2.
 *
 * @module
 */
export * from "./catalog.ts";
export {
  COLOUR_MIXES,
  knowledgeSentences,
  MIX_RESULTS,
  SHAPE_CORNERS,
  SIGN_MEANINGS,
} from "./knowledge_table.ts";
export { Rng, splitmix32, subSeed } from "./rng.ts";
export type {
  Background,
  BarObject,
  Domain,
  Instance,
  PlateObject,
  Primitive,
  Scene,
  SceneObject,
  ShapeObject,
} from "./scene.ts";
export { compileScene, DOMAINS } from "./scene.ts";
export type { SceneMasks } from "./masks.ts";
export { classMaskFromInstances, maskOfInstances, rasteriseMasks } from "./masks.ts";
export type { BarDraft, PlateDraft, SampledScene, ShapeDraft } from "./sampler.ts";
export {
  DOMAIN_PROPORTIONS,
  MIN_VISIBLE_FRACTION,
  MIN_VISIBLE_PIXELS,
  sampleChartScene,
  sampleDomain,
  sampleFreeScene,
  sampleObjectScene,
  sampleSignScene,
} from "./sampler.ts";
export { sceneSvg } from "./svg.ts";
export { renderScene, renderScenes } from "./render.ts";
export { glyphPolylines, textPolylines } from "./glyphs.ts";
export { SPECIAL_TOKENS, splitTokens, Tokenizer, worldTokenizer } from "./tokenizer.ts";
export type {
  AnswerVariant,
  Family,
  FamilyDraft,
  FamilyId,
  GroupId,
  QuestionItem,
} from "./items.ts";
export { assembleItem, GROUPS } from "./items.ts";
export { FAMILIES, familiesOfGroup, familyById } from "./families/mod.ts";
export type { DiffSpan } from "./diff.ts";
export { applySpans, diffSpans } from "./diff.ts";
export { RejectionBalancer } from "./balance.ts";
export { parseFinalAnswer, scoreAnswer } from "./scorer.ts";
export type { BlindBaselineRow } from "./blind.ts";
export { blindBaseline, formatBlindBaseline } from "./blind.ts";
export type { CaptionEntry } from "./captions.ts";
export { fullCaption, sampleCaption } from "./captions.ts";
export type { ClassificationLabels } from "./labels.ts";
export { CLASSIFICATION_CLASSES, fineClassName, patchLabels } from "./labels.ts";
export type { WorldPreset } from "./presets.ts";
export { WORLD_PRESETS, worldPreset } from "./presets.ts";
export type {
  CaptionRecord,
  ClassificationRecord,
  QuestionRecord,
  SceneRecord,
  SplitData,
  SplitKind,
  SplitRecord,
  SplitSpec,
} from "./splits.ts";
export { generateQuestions, generateSplit, generateTextCorpus, splitSpecs } from "./splits.ts";
export {
  decodeSplit,
  encodeSplit,
  readSplitFile,
  WORLD_FORMAT_VERSION,
  writeSplitFile,
} from "./storage.ts";
export type { World } from "./world.ts";
export {
  loadOrGenerateWorld,
  referentMask,
  splitClassMask,
  splitImage,
  splitInstanceMask,
  splitPath,
  worldDirectory,
} from "./world.ts";
