/**
 * World sizes per preset: image size and items per split. `tiny` is for tests and CI
 * (seconds), `small` for a CPU laptop (≥ 3,000 test questions per group, ≥ 5,000
 * classification test images, generated well under 3 minutes), `paper` for a real GPU.
 */

/** Sizes of one world preset. */
export interface WorldPreset {
  name: "tiny" | "small" | "paper";
  /** Image side in pixels. */
  imageSize: number;
  /** Caption corpus (images + captions): encoder pretraining and Stage 1a. */
  captions: number;
  /** Lines of the LM text corpus (text only). */
  textLines: number;
  /** Instruction mix (Stage 1b), all families. */
  instruction: number;
  /** Preference set (Stage 2), all families. */
  preference: number;
  /** Validation questions per group. */
  validationPerGroup: number;
  /** Test questions per group. */
  testPerGroup: number;
  classificationTrain: number;
  classificationTest: number;
  segmentationTrain: number;
  segmentationTest: number;
  /** Share of captions naming only part of the scene. */
  captionPartialRate: number;
  /** Share of captions with one wrong attribute. */
  captionNoiseRate: number;
}

/** The committed presets. */
export const WORLD_PRESETS: Readonly<Record<WorldPreset["name"], WorldPreset>> = {
  tiny: {
    name: "tiny",
    imageSize: 32,
    captions: 300,
    textLines: 600,
    instruction: 420,
    preference: 700,
    validationPerGroup: 40,
    testPerGroup: 150,
    classificationTrain: 300,
    classificationTest: 200,
    segmentationTrain: 100,
    segmentationTest: 50,
    captionPartialRate: 0.2,
    captionNoiseRate: 0.1,
  },
  small: {
    name: "small",
    imageSize: 64,
    captions: 12000,
    textLines: 30000,
    instruction: 12000,
    preference: 6000,
    validationPerGroup: 500,
    testPerGroup: 3000,
    classificationTrain: 10000,
    classificationTest: 5000,
    segmentationTrain: 3000,
    segmentationTest: 1000,
    captionPartialRate: 0.2,
    captionNoiseRate: 0.1,
  },
  paper: {
    name: "paper",
    imageSize: 128,
    captions: 100000,
    textLines: 200000,
    instruction: 60000,
    preference: 20000,
    validationPerGroup: 1000,
    testPerGroup: 5000,
    classificationTrain: 50000,
    classificationTest: 10000,
    segmentationTrain: 10000,
    segmentationTest: 2000,
    captionPartialRate: 0.2,
    captionNoiseRate: 0.1,
  },
};

/** A preset by name, with a clear error for an unknown one. */
export function worldPreset(name: string): WorldPreset {
  const preset = (WORLD_PRESETS as Record<string, WorldPreset>)[name];
  if (!preset) {
    throw new Error(
      `unknown world preset "${name}" (expected one of: ${Object.keys(WORLD_PRESETS).join(", ")})`,
    );
  }
  return preset;
}
