/**
 * Checkpoints: a folder with `model.safetensors` (parameters by dotted path),
 * `optimizer.safetensors` (AdamW m, v and per-parameter step counts) and `meta.json`
 * (format, optimizer step = schedule position, groups, the SHA-256 `hashes` of the two
 * safetensors files, and the caller's metadata such as the config). Each file is written
 * atomically (src/io/atomic.ts: temp file, fsync, rename, fsync of the folder) and
 * `meta.json` (carrying a `sha256` of its own bytes) goes last, so a folder with a `meta.json` is
 * complete. Loading checks every hash (a checkpoint without `hashes` predates them and is
 * loaded unverified). A parameter or optimizer state holding NaN/Inf is never saved.
 * @module
 */

import { gpu } from "../gpu/device.ts";
import { currentEncoder, flush, throwDeviceErrors } from "../gpu/batch.ts";
import type { Tensor } from "../tensor/tensor.ts";
import type { Module } from "./module.ts";
import type { AdamW } from "./adamw.ts";
import { decodeSafetensors, encodeSafetensors, type SafeTensor } from "./safetensors.ts";
import {
  checkHash,
  IntegrityError,
  readVerified,
  sha256Hex,
  writeFileAtomic,
} from "../io/atomic.ts";

/** File names inside a checkpoint folder. */
export const CHECKPOINT_FILES = {
  model: "model.safetensors",
  optimizer: "optimizer.safetensors",
  meta: "meta.json",
} as const;

/** What `meta.json` holds. */
export interface CheckpointMeta {
  /** Format tag, checked on load. */
  format: "pivotlab-checkpoint-1";
  /** Optimizer steps taken (the schedule position); null without an optimizer. */
  step: number | null;
  /** Learning rates and decays of the optimizer's groups, for the record. */
  groups?: { name?: string; lr: number; weightDecay: number; size: number }[];
  /** The caller's metadata (config, data position, …). */
  meta: Record<string, unknown>;
  /** SHA-256 (hex) of each safetensors file by file name (absent in older checkpoints). */
  hashes?: Record<string, string>;
  /**
   * SHA-256 (hex) of this meta.json's own bytes as written without this field (absent in
   * older checkpoints); checked on load, so a flipped digit in `step` or `meta` is caught.
   */
  sha256?: string;
}

function metaBytes(meta: CheckpointMeta): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(meta, null, 2) + "\n");
}

/** A checkpoint that does not fit the model or optimizer it is loaded into. */
export class CheckpointError extends Error {
  /** `detail` names the file and tensor at fault. */
  constructor(detail: string) {
    super(`checkpoint: ${detail}`);
    this.name = "CheckpointError";
  }
}

/** Reads many tensors with one staging buffer and one map (each readback costs ≥ 11 ms). */
async function readAll(ts: Tensor[]): Promise<Float32Array[]> {
  const offsets: number[] = [];
  let total = 0;
  for (const t of ts) {
    offsets.push(total);
    total += t.size * 4;
  }
  if (total === 0) return ts.map(() => new Float32Array(0));
  const staging = gpu().device.createBuffer({
    size: total,
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  const enc = currentEncoder();
  ts.forEach((t, i) => {
    if (t.size > 0) enc.copyBufferToBuffer(t.buffer, 0, staging, offsets[i], t.size * 4);
  });
  flush();
  await staging.mapAsync(GPUMapMode.READ);
  const all = staging.getMappedRange().slice(0);
  staging.unmap();
  staging.destroy();
  throwDeviceErrors();
  return ts.map((t, i) => new Float32Array(all, offsets[i], t.size));
}

/** A parameter or optimizer state holds NaN/Inf: the checkpoint is not written. */
export class NonFiniteCheckpointError extends CheckpointError {
  constructor(
    readonly dir: string,
    readonly tensor: string,
    readonly index: number,
    value: number,
  ) {
    super(
      `not saving ${dir}: ${tensor} holds ${value} (element ${index}); the previous checkpoint ` +
        `is kept`,
    );
    this.name = "NonFiniteCheckpointError";
  }
}

function firstNonFinite(values: Float32Array): number {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return i;
  return -1;
}

function f32(shape: readonly number[], data: Float32Array): SafeTensor {
  return { dtype: "F32", shape: [...shape], data };
}

/** Saves the model's parameters, the optimizer's state (if given) and `meta` to `dir`. */
export async function saveCheckpoint(
  dir: string,
  opts: { model: Module; optimizer?: AdamW; meta?: Record<string, unknown> },
): Promise<void> {
  const named = opts.model.namedParameters();
  const stated = opts.optimizer
    ? named.filter(([, p]) => opts.optimizer!.stateOf(p) !== undefined)
    : [];
  const reads = [
    ...named.map(([, p]) => p),
    ...stated.flatMap(([, p]) => [opts.optimizer!.stateOf(p)!.m, opts.optimizer!.stateOf(p)!.v]),
  ];
  const values = await readAll(reads);
  const readNames = [
    ...named.map(([n]) => n),
    ...stated.flatMap(([n]) => [`optimizer m.${n}`, `optimizer v.${n}`]),
  ];
  values.forEach((v, i) => {
    const bad = firstNonFinite(v);
    if (bad >= 0) throw new NonFiniteCheckpointError(dir, readNames[i], bad, v[bad]);
  });
  await Deno.mkdir(dir, { recursive: true });
  const hashes: Record<string, string> = {};
  const model = new Map<string, SafeTensor>();
  named.forEach(([n, p], i) => model.set(n, f32(p.shape, values[i])));
  hashes[CHECKPOINT_FILES.model] = await writeFileAtomic(
    `${dir}/${CHECKPOINT_FILES.model}`,
    encodeSafetensors(model),
    { sidecar: false },
  );
  const meta: CheckpointMeta = {
    format: "pivotlab-checkpoint-1",
    step: opts.optimizer?.stepCount ?? null,
    meta: opts.meta ?? {},
  };
  if (opts.optimizer) {
    const optim = new Map<string, SafeTensor>();
    stated.forEach(([n, p], k) => {
      const base = named.length + 2 * k;
      optim.set(`m.${n}`, f32(p.shape, values[base]));
      optim.set(`v.${n}`, f32(p.shape, values[base + 1]));
      optim.set(`step.${n}`, {
        dtype: "I32",
        shape: [],
        data: Int32Array.of(opts.optimizer!.stateOf(p)!.step),
      });
    });
    const stepCount = String(opts.optimizer.stepCount);
    hashes[CHECKPOINT_FILES.optimizer] = await writeFileAtomic(
      `${dir}/${CHECKPOINT_FILES.optimizer}`,
      encodeSafetensors(optim, { step: stepCount }),
      { sidecar: false },
    );
    meta.groups = opts.optimizer.groups.map((g) => ({
      name: g.name,
      lr: g.lr,
      weightDecay: g.weightDecay ?? 0,
      size: g.params.length,
    }));
  }
  meta.hashes = hashes;
  meta.sha256 = sha256Hex(metaBytes(meta)); // of meta.json as written without this field
  await writeFileAtomic(`${dir}/${CHECKPOINT_FILES.meta}`, metaBytes(meta), { sidecar: false });
}

function shapeText(s: readonly number[]): string {
  return `[${s.join(", ")}]`;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

async function readSafe(path: string, expectedHash: string | undefined) {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    throw new CheckpointError(`cannot read ${path}: ${(e as Error).message}`);
  }
  if (expectedHash !== undefined) {
    try {
      checkHash(path, bytes, expectedHash);
    } catch (e) {
      throw new CheckpointError((e as Error).message);
    }
  }
  try {
    return decodeSafetensors(bytes);
  } catch (e) {
    throw new CheckpointError(`${path}: ${(e as Error).message}`);
  }
}

function fail(path: string, problems: string[]): never {
  const shown = problems.slice(0, 12).join("\n  ");
  const more = problems.length > 12 ? `\n  … and ${problems.length - 12} more` : "";
  throw new CheckpointError(`${path} does not fit:\n  ${shown}${more}`);
}

/**
 * Loads a checkpoint into `model` (and `optimizer`, if given, which must have been built
 * over the same parameters). Every name and shape is checked before anything is written;
 * on a mismatch it throws naming each missing, unexpected or mis-shaped tensor and its
 * file. Returns the metadata.
 */
export async function loadCheckpoint(
  dir: string,
  opts: { model: Module; optimizer?: AdamW },
): Promise<CheckpointMeta> {
  const metaPath = `${dir}/${CHECKPOINT_FILES.meta}`;
  let meta: CheckpointMeta;
  try {
    const bytes = await readVerified(metaPath);
    if (bytes === null) throw new Error("no such file");
    meta = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (e) {
    const detail = e instanceof IntegrityError
      ? e.message
      : `cannot read ${metaPath}: ${(e as Error).message}`;
    throw new CheckpointError(detail);
  }
  if (meta === null || typeof meta !== "object") {
    throw new CheckpointError(`${metaPath}: not a checkpoint meta.json (foreign file)`);
  }
  if (typeof meta.sha256 === "string") {
    const { sha256, ...rest } = meta;
    if (sha256Hex(metaBytes(rest as CheckpointMeta)) !== sha256) {
      throw new CheckpointError(
        `${metaPath}: content hash mismatch (file corrupted or modified)`,
      );
    }
  }
  if (meta.format !== "pivotlab-checkpoint-1") {
    throw new CheckpointError(`${metaPath}: unknown format ${JSON.stringify(meta.format)}`);
  }
  const modelPath = `${dir}/${CHECKPOINT_FILES.model}`;
  const file = await readSafe(modelPath, meta.hashes?.[CHECKPOINT_FILES.model]);
  const named = opts.model.namedParameters();
  const problems: string[] = [];
  for (const [n, p] of named) {
    const t = file.tensors.get(n);
    if (!t) problems.push(`missing tensor ${n} (model expects ${shapeText(p.shape)})`);
    else if (t.dtype !== "F32") problems.push(`tensor ${n} is ${t.dtype}, expected F32`);
    else if (!sameShape(t.shape, p.shape)) {
      problems.push(
        `tensor ${n} has shape ${shapeText(t.shape)}, model expects ${shapeText(p.shape)}`,
      );
    }
  }
  const names = new Set(named.map(([n]) => n));
  for (const n of file.tensors.keys()) {
    if (!names.has(n)) problems.push(`unexpected tensor ${n} (not a parameter of the model)`);
  }
  if (problems.length > 0) fail(modelPath, problems);

  const optimState: { n: string; p: Tensor; m: SafeTensor; v: SafeTensor; step: number }[] = [];
  const optPath = `${dir}/${CHECKPOINT_FILES.optimizer}`;
  if (opts.optimizer) {
    if (meta.step === null) throw new CheckpointError(`${dir} was saved without an optimizer`);
    const optFile = await readSafe(optPath, meta.hashes?.[CHECKPOINT_FILES.optimizer]);
    const optimised = new Set(opts.optimizer.parameters());
    const byName = new Map(named);
    const stateNames = new Set<string>();
    for (const key of optFile.tensors.keys()) {
      const dot = key.indexOf(".");
      const kind = key.slice(0, dot);
      if (!["m", "v", "step"].includes(kind)) problems.push(`unexpected tensor ${key}`);
      else stateNames.add(key.slice(dot + 1));
    }
    for (const n of stateNames) {
      const p = byName.get(n);
      const [m, v, s] = ["m", "v", "step"].map((k) => optFile.tensors.get(`${k}.${n}`));
      if (!p) problems.push(`state for ${n}, which is not a parameter of the model`);
      else if (!optimised.has(p)) {
        problems.push(`state for ${n}, which this optimizer does not update`);
      } else if (!m || !v || !s) {
        problems.push(`incomplete state for ${n} (needs m.${n}, v.${n}, step.${n})`);
      } else if (!sameShape(m.shape, p.shape) || !sameShape(v.shape, p.shape)) {
        problems.push(
          `state of ${n} has shape ${shapeText(m.shape)}/${shapeText(v.shape)}, parameter ${
            shapeText(p.shape)
          }`,
        );
      } else if (s.dtype !== "I32" || s.data.length !== 1) {
        problems.push(`step.${n} is not one I32`);
      } else optimState.push({ n, p, m, v, step: s.data[0] });
    }
    if (problems.length > 0) fail(optPath, problems);
  }

  named.forEach(([n, p]) => p.write(file.tensors.get(n)!.data));
  if (opts.optimizer) {
    opts.optimizer.clearState(); // parameters without saved state start fresh
    for (const s of optimState) {
      opts.optimizer.setState(s.p, { m: s.m.data, v: s.v.data, step: s.step });
    }
    opts.optimizer.stepCount = meta.step!;
  }
  return meta;
}
