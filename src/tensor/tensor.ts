/**
 * The Tensor: a row-major f32 (or i32 index) array in pooled GPU memory, with an optional
 * autograd node. Views (reshape) share their storage by reference count.
 * @module
 */

import { gpu } from "../gpu/device.ts";
import { acquireBuffer, releaseBuffer } from "../gpu/pool.ts";
import { currentEncoder, flush, hasPending, throwDeviceErrors } from "../gpu/batch.ts";
import { keep, track } from "./scope.ts";
import { ShapeError } from "./errors.ts";

/** Element type: f32 for values, i32 for indices (tokens, labels, positions). */
export type DType = "f32" | "i32";

/** A recorded operation: its inputs and how to turn the output's gradient into theirs. */
export interface GradNode {
  /** Name of the op that recorded it. */
  op: string;
  /** The op's inputs, in order. */
  inputs: Tensor[];
  /** Returns one gradient per input (null where the input needs none). */
  backward: (grad: Tensor) => (Tensor | null)[];
}

/** GPU storage shared by a tensor and its views. */
class Storage {
  refs = 1;
  constructor(readonly buffer: GPUBuffer) {}
}

let gradEnabled = true;

/** Whether operations currently record the autograd tape. */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs `fn` without recording the tape (evaluation, optimizer updates, backward itself). */
export function noGrad<T>(fn: () => T): T {
  const before = gradEnabled;
  gradEnabled = false;
  try {
    const r = fn();
    if (r instanceof Promise) {
      return r.finally(() => (gradEnabled = before)) as T;
    }
    gradEnabled = before;
    return r;
  } catch (e) {
    gradEnabled = before;
    throw e;
  }
}

/** Number of elements of a shape. */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function checkShape(shape: readonly number[], op: string): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new ShapeError(op, "invalid dimension", [...shape]);
  }
}

/** A GPU tensor. Create with `tensor`, `zeros`, ops or parameters; never `new` directly. */
export class Tensor {
  /** Dimensions, outermost first (row-major). */
  readonly shape: readonly number[];
  /** Number of elements. */
  readonly size: number;
  /** Element type. */
  readonly dtype: DType;
  /** Whether gradients flow to this tensor. */
  requiresGrad: boolean;
  /** Accumulated gradient of a leaf tensor after `backward`. */
  grad: Tensor | null = null;
  /** The operation that produced this tensor, when recorded on the tape. */
  node: GradNode | null = null;
  /** A name for messages and checkpoints (parameters carry their path). */
  name = "";
  #storage: Storage | null;

  /** @internal */
  constructor(shape: readonly number[], dtype: DType, storage: Storage, requiresGrad = false) {
    this.shape = Object.freeze([...shape]);
    this.size = sizeOf(shape);
    this.dtype = dtype;
    this.#storage = storage;
    this.requiresGrad = requiresGrad;
    track(this);
  }

  /** @internal Allocates an uninitialised tensor (kernels fill it). */
  static empty(shape: readonly number[], dtype: DType = "f32"): Tensor {
    checkShape(shape, "empty");
    return new Tensor(shape, dtype, new Storage(acquireBuffer(sizeOf(shape) * 4)));
  }

  /** The GPU buffer holding the data; throws if the tensor was disposed. */
  get buffer(): GPUBuffer {
    if (!this.#storage) {
      throw new Error(`pivotlab: tensor${this.name ? ` ${this.name}` : ""} used after dispose`);
    }
    return this.#storage.buffer;
  }

  /** Whether the GPU memory has been released. */
  get disposed(): boolean {
    return this.#storage === null;
  }

  /** Number of dimensions. */
  get rank(): number {
    return this.shape.length;
  }

  /** Releases the GPU memory (scopes call this; user code does not need to). */
  dispose(): void {
    const s = this.#storage;
    if (!s) return;
    this.#storage = null;
    this.node = null;
    s.refs -= 1;
    if (s.refs === 0) releaseBuffer(s.buffer);
  }

  /** @internal A tensor of another shape sharing this one's storage. */
  view(shape: readonly number[]): Tensor {
    const s = this.#storage;
    if (!s) throw new Error("pivotlab: view of a disposed tensor");
    s.refs += 1;
    return new Tensor(shape, this.dtype, s);
  }

  /** Copies the data to the CPU (flushes pending work; costs ≥ 10 ms: read rarely). */
  async read(): Promise<Float32Array | Int32Array> {
    const bytes = this.size * 4;
    const { device } = gpu();
    const staging = device.createBuffer({
      size: Math.max(16, Math.ceil(bytes / 4) * 4),
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    if (bytes > 0) currentEncoder().copyBufferToBuffer(this.buffer, 0, staging, 0, bytes);
    flush();
    await staging.mapAsync(GPUMapMode.READ);
    const copy = staging.getMappedRange().slice(0, bytes);
    staging.unmap();
    staging.destroy();
    throwDeviceErrors();
    return this.dtype === "f32" ? new Float32Array(copy) : new Int32Array(copy);
  }

  /** Reads an f32 tensor as a Float32Array. */
  async data(): Promise<Float32Array> {
    if (this.dtype !== "f32") throw new Error("pivotlab: data() of an i32 tensor; use read()");
    return (await this.read()) as Float32Array;
  }

  /** Reads a one-element tensor as a number. */
  async item(): Promise<number> {
    if (this.size !== 1) throw new ShapeError("item", "needs exactly one element", [...this.shape]);
    return (await this.read())[0];
  }

  /**
   * Overwrites the data from the CPU. Flushes first when work is pending, because a queue
   * write would otherwise land before dispatches recorded earlier.
   */
  write(values: ArrayLike<number>): void {
    if (values.length !== this.size) {
      throw new ShapeError("write", `got ${values.length} values for ${this.size}`, [
        ...this.shape,
      ]);
    }
    if (hasPending()) flush();
    const arr = this.dtype === "f32" ? Float32Array.from(values) : Int32Array.from(values);
    if (arr.byteLength > 0) gpu().device.queue.writeBuffer(this.buffer, 0, arr);
  }

  /** A short description: name, shape and dtype. */
  toString(): string {
    return `Tensor(${this.name ? this.name + ", " : ""}[${this.shape.join(", ")}], ${this.dtype})`;
  }
}

/** Creates a tensor from CPU values. */
export function tensor(
  values: ArrayLike<number>,
  shape: readonly number[] = [values.length],
  dtype: DType = values instanceof Int32Array ? "i32" : "f32",
): Tensor {
  checkShape(shape, "tensor");
  if (sizeOf(shape) !== values.length) {
    throw new ShapeError("tensor", `${values.length} values do not fill the shape`, [...shape]);
  }
  const t = Tensor.empty(shape, dtype);
  const arr = dtype === "f32" ? Float32Array.from(values) : Int32Array.from(values);
  // A fresh pooled buffer is never referenced by pending dispatches, so no flush is needed.
  if (arr.byteLength > 0) gpu().device.queue.writeBuffer(t.buffer, 0, arr);
  return t;
}

/**
 * A trainable leaf tensor: requires grad and lives outside every scope (parameters are
 * released only by an explicit `dispose`).
 */
export function parameter(values: ArrayLike<number>, shape: readonly number[], name = ""): Tensor {
  const t = tensor(values, shape, "f32");
  t.requiresGrad = true;
  t.name = name;
  keep(t);
  return t;
}
