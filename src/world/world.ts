/**
 * The world on disk: a directory of split files per (preset, seed, format version), each
 * generated on first use and read (and hash-checked) afterwards.
 */
import { join } from "node:path";
import { classMaskFromInstances, maskOfInstances } from "./masks.ts";
import { type WorldPreset, worldPreset } from "./presets.ts";
import { generateSplit, type SceneRecord, type SplitData, splitSpecs } from "./splits.ts";
import { readSplitFile, WORLD_FORMAT_VERSION, writeSplitFile } from "./storage.ts";

/** Directory holding one world's split files. */
export function worldDirectory(root: string, preset: WorldPreset, seed: number): string {
  return join(root, `world-${preset.name}-seed${seed}-v${WORLD_FORMAT_VERSION}`);
}

/** A handle on a world's splits, generating missing ones on demand. */
export interface World {
  preset: WorldPreset;
  seed: number;
  directory: string;
  /** Names of all splits. */
  splitNames: string[];
  /** Loads (or generates, writes and returns) one split. */
  split(name: string): Promise<SplitData>;
}

/** Path of a split file in a world directory. */
export function splitPath(directory: string, name: string): string {
  return join(directory, `${name}.pvw`);
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/**
 * Opens the world of a preset and seed under `root`. With `generateAll`, every missing split
 * is generated now (in the order of splitSpecs); otherwise splits are generated when first
 * asked for.
 */
export async function loadOrGenerateWorld(
  presetName: string,
  seed: number,
  root: string,
  options: {
    generateAll?: boolean;
    /** Called after each split is loaded or generated, with its item count. */
    onSplit?: (name: string, seconds: number, generated: boolean, count: number) => void;
  } = {},
): Promise<World> {
  const preset = worldPreset(presetName);
  const directory = worldDirectory(root, preset, seed);
  await Deno.mkdir(directory, { recursive: true });
  const specs = splitSpecs(preset);
  const split = async (name: string): Promise<SplitData> => {
    const spec = specs.find((s) => s.name === name);
    if (!spec) {
      throw new Error(`unknown split "${name}" (known: ${specs.map((s) => s.name).join(", ")})`);
    }
    const path = splitPath(directory, name);
    const start = performance.now();
    if (await exists(path)) {
      const data = await readSplitFile(path);
      options.onSplit?.(name, (performance.now() - start) / 1000, false, data.count);
      return data;
    }
    const data = await generateSplit(spec, preset, seed);
    await writeSplitFile(path, data);
    options.onSplit?.(name, (performance.now() - start) / 1000, true, data.count);
    return data;
  };
  if (options.generateAll) {
    for (const spec of specs) {
      if (!(await exists(splitPath(directory, spec.name)))) await split(spec.name);
    }
  }
  return { preset, seed, directory, splitNames: specs.map((s) => s.name), split };
}

/** RGB bytes (HWC) of image `index` of a split. */
export function splitImage(split: SplitData, index: number): Uint8Array {
  if (!split.images) throw new Error(`split ${split.name} has no images`);
  const stride = split.imageSize * split.imageSize * 3;
  return split.images.subarray(index * stride, (index + 1) * stride);
}

/** Instance mask of image `index` (stored for question and segmentation splits). */
export function splitInstanceMask(split: SplitData, index: number): Uint8Array {
  if (!split.instanceMasks) {
    throw new Error(`split ${split.name} stores no masks; rasterise them from the scene`);
  }
  const stride = split.imageSize * split.imageSize;
  return split.instanceMasks.subarray(index * stride, (index + 1) * stride);
}

/** Class mask of image `index`. */
export function splitClassMask(split: SplitData, index: number): Uint8Array {
  const record = split.records[index] as SceneRecord;
  return classMaskFromInstances(splitInstanceMask(split, index), record.classOfInstance);
}

/** 0/1 mask of the objects a question is about. */
export function referentMask(split: SplitData, index: number): Uint8Array {
  const record = split.records[index] as { item?: { referents: number[] } };
  if (!record.item) throw new Error(`split ${split.name} is not a question split`);
  return maskOfInstances(splitInstanceMask(split, index), record.item.referents);
}
