/**
 * Pooled GPU memory. Buffers and textures are recycled by exact size; a released resource
 * only becomes reusable after the pending command batch is submitted, because a dispatch
 * recorded earlier in the batch may still read it.
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

/** Rounds a byte size up to the 16-byte granularity storage bindings need. */
export function roundBytes(bytes: number): number {
  return Math.max(16, Math.ceil(bytes / 16) * 16);
}

/** Takes a storage buffer of at least `bytes` from the pool, or creates one. */
export function acquireBuffer(bytes: number): GPUBuffer {
  const size = roundBytes(bytes);
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
