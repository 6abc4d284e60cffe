/**
 * Command batching: dispatches are recorded into one open compute pass and submitted
 * together, because each submit costs ~3x a dispatch and each readback ≥ 11 ms on lavapipe.
 * Uniform parameters of all dispatches in a batch live in one ring buffer written once per
 * submit.
 * @module
 */

import { gpu } from "./device.ts";
import { recycleDeferred } from "./pool.ts";

/** Bytes reserved per dispatch in the uniform ring (the usual offset alignment). */
const PARAM_SLOT = 256;
const RING_SLOTS = 4096;

let encoder: GPUCommandEncoder | null = null;
let pass: GPUComputePassEncoder | null = null;
let ring: GPUBuffer | null = null;
const ringData = new ArrayBuffer(PARAM_SLOT * RING_SLOTS);
let ringUsed = 0;
let pendingDispatches = 0;

/** The open compute pass, opened on demand. */
export function currentPass(): GPUComputePassEncoder {
  if (!pass) {
    encoder ??= gpu().device.createCommandEncoder();
    pass = encoder.beginComputePass();
  }
  pendingDispatches += 1;
  return pass;
}

/** The open command encoder with no pass open, for copies between dispatches. */
export function currentEncoder(): GPUCommandEncoder {
  if (pass) {
    pass.end();
    pass = null;
  }
  encoder ??= gpu().device.createCommandEncoder();
  pendingDispatches += 1;
  return encoder;
}

/**
 * Reserves a uniform slot for one dispatch and copies `params` into it; returns the
 * binding resource. Flushes first when the ring is full.
 */
export function uniformSlot(params: ArrayBuffer): GPUBufferBinding {
  if (params.byteLength > PARAM_SLOT) {
    throw new Error(`pivotlab: kernel parameters of ${params.byteLength} bytes exceed 256`);
  }
  if (ringUsed === RING_SLOTS) flush();
  ring ??= gpu().device.createBuffer({
    size: ringData.byteLength,
    usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
  });
  const offset = ringUsed * PARAM_SLOT;
  new Uint8Array(ringData, offset, params.byteLength).set(new Uint8Array(params));
  ringUsed += 1;
  return { buffer: ring, offset, size: PARAM_SLOT };
}

/** Whether commands are recorded but not yet submitted. */
export function hasPending(): boolean {
  return pendingDispatches > 0;
}

/** Submits everything recorded so far. */
export function flush(): void {
  if (!encoder) {
    recycleDeferred();
    return;
  }
  if (pass) {
    pass.end();
    pass = null;
  }
  const { device } = gpu();
  if (ringUsed > 0 && ring) device.queue.writeBuffer(ring, 0, ringData, 0, ringUsed * PARAM_SLOT);
  device.queue.submit([encoder.finish()]);
  encoder = null;
  ringUsed = 0;
  pendingDispatches = 0;
  recycleDeferred();
}

/**
 * Submits pending work and waits until the GPU has finished it; rethrows any device error
 * reported meanwhile so a broken kernel never goes unnoticed.
 */
export async function sync(): Promise<void> {
  flush();
  await gpu().device.queue.onSubmittedWorkDone();
  throwDeviceErrors();
}

/** Throws if the device reported validation or memory errors since the last check. */
export function throwDeviceErrors(): void {
  const { errors } = gpu();
  if (errors.length > 0) {
    const list = errors.splice(0, errors.length);
    throw new Error(`pivotlab: WebGPU reported ${list.length} error(s):\n${list.join("\n")}`);
  }
}
