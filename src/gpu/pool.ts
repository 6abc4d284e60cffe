/**
 * Pooled GPU memory. Buffers are recycled by size class (sizes rounded up to a quarter
 * octave, so tensors of nearby shapes share buffers and at most 25% is wasted); textures by
 * exact size. A released resource only becomes reusable after the pending command batch is
 * submitted, because a dispatch recorded earlier in the batch may still read it. The pool
 * keeps at most `poolLimitBytes` of idle buffers; beyond that released buffers are destroyed.
 * @module
 */

import { gpu } from "./device.ts";

const STORAGE_USAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

const freeBuffers = new Map<number, GPUBuffer[]>();
const freeTextures = new Map<string, GPUTexture[]>();
let deferredBuffers: GPUBuffer[] = [];
let deferredTextures: GPUTexture[] = [];
let liveBytes = 0;
let pooledBytes = 0;
let liveCount = 0;

let poolLimit = 1 << 30;

/** Rounds a byte size up to the 16-byte granularity storage bindings need. */
export function roundBytes(bytes: number): number {
  return Math.max(16, Math.ceil(bytes / 16) * 16);
}

/**
 * The pool's size class of a request: 256-byte steps up to 4 KiB, then the next of
 * 2^k · {1, 1.25, 1.5, 1.75} (always a multiple of 16).
 */
export function sizeClass(bytes: number): number {
  const b = roundBytes(bytes);
  if (b <= 4096) return Math.ceil(b / 256) * 256;
  const octave = 2 ** Math.floor(Math.log2(b));
  const quarter = octave / 4;
  return Math.ceil(b / quarter) * quarter;
}

/** Sets how many bytes of idle buffers the pool may keep (default 1 GiB). */
export function setPoolLimit(bytes: number): void {
  poolLimit = bytes;
}

/** Takes a storage buffer of at least `bytes` from the pool, or creates one. */
export function acquireBuffer(bytes: number): GPUBuffer {
  const size = sizeClass(bytes);
  const list = freeBuffers.get(size);
  let buffer = list?.pop();
  if (buffer) {
    pooledBytes -= size;
  } else {
    const { device, limits } = gpu();
    if (size > limits.maxBufferSize) {
      throw new Error(
        `pivotlab: a tensor of ${size} bytes exceeds the device limit maxBufferSize ` +
          `(${limits.maxBufferSize} bytes)`,
      );
    }
    buffer = device.createBuffer({ size, usage: STORAGE_USAGE });
  }
  liveBytes += size;
  liveCount += 1;
  return buffer;
}

/** Returns a buffer to the pool once the pending batch has been submitted. */
export function releaseBuffer(buffer: GPUBuffer): void {
  liveBytes -= buffer.size;
  liveCount -= 1;
  deferredBuffers.push(buffer);
}

/** Takes an rgba32float texture usable as read-only storage and as a copy target. */
export function acquireTexture(width: number, height: number): GPUTexture {
  const key = `${width}x${height}`;
  const texture = freeTextures.get(key)?.pop();
  if (texture) return texture;
  return gpu().device.createTexture({
    size: { width, height },
    format: "rgba32float",
    usage: GPUTextureUsage.STORAGE_BINDING | GPUTextureUsage.COPY_DST,
  });
}

/** Returns a texture to the pool once the pending batch has been submitted. */
export function releaseTexture(texture: GPUTexture): void {
  deferredTextures.push(texture);
}

/** Called by the batcher right after a submit: deferred resources become reusable. */
export function recycleDeferred(): void {
  for (const b of deferredBuffers) {
    if (pooledBytes + b.size > poolLimit) {
      b.destroy(); // wgpu frees it once the submitted work that uses it has finished
      continue;
    }
    const list = freeBuffers.get(b.size) ?? [];
    list.push(b);
    freeBuffers.set(b.size, list);
    pooledBytes += b.size;
  }
  for (const t of deferredTextures) {
    const key = `${t.width}x${t.height}`;
    const list = freeTextures.get(key) ?? [];
    list.push(t);
    freeTextures.set(key, list);
  }
  deferredBuffers = [];
  deferredTextures = [];
}

/** Destroys every pooled (not live) buffer and texture. */
export function trimPool(): void {
  for (const list of freeBuffers.values()) for (const b of list) b.destroy();
  for (const list of freeTextures.values()) for (const t of list) t.destroy();
  freeBuffers.clear();
  freeTextures.clear();
  pooledBytes = 0;
}

/** GPU memory held by live tensors and by the pool, in bytes. */
export function memoryStats(): { liveBytes: number; liveBuffers: number; pooledBytes: number } {
  return { liveBytes, liveBuffers: liveCount, pooledBytes };
}
