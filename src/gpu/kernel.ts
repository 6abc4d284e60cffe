/**
 * Running a WGSL compute kernel: pipelines are compiled once per (source, entry point,
 * override constants) and cached; each dispatch binds its uniform parameters at binding 0
 * (when it has any) and its resources at bindings 1, 2, … in the order given.
 * @module
 */

import { gpu } from "./device.ts";
import { currentPass, uniformSlot } from "./batch.ts";
import { countDispatch } from "./flops.ts";

/** A resource bound to a kernel: a storage buffer or a storage texture view. */
export type Binding = GPUBuffer | GPUTextureView;

/** One dispatch of a compute kernel. */
export interface DispatchSpec {
  /** Kernel name, for error messages and profiles. */
  name: string;
  /** WGSL source. */
  code: string;
  /** Entry point; "main" unless given. */
  entry?: string;
  /** Values of WGSL `override` constants, e.g. workgroup sizes. */
  constants?: Record<string, number>;
  /** Uniform parameters, bound at @binding(0) when present (≤ 256 bytes). */
  params?: ArrayBuffer;
  /** Storage buffers / texture views, bound at @binding(1), @binding(2), … */
  bindings: Binding[];
  /** Workgroup counts; see `grid1d` for large 1-D launches. */
  workgroups: [number, number?, number?];
  /** Floating-point operations this dispatch performs (for compute accounting). */
  flops?: number;
}

const pipelines = new Map<string, GPUComputePipeline>();

function pipelineFor(spec: DispatchSpec): GPUComputePipeline {
  const entry = spec.entry ?? "main";
  const constants = spec.constants ?? {};
  const key = `${spec.name}\u0000${entry}\u0000${JSON.stringify(constants)}\u0000${spec.code}`;
  let pipeline = pipelines.get(key);
  if (!pipeline) {
    const { device } = gpu();
    const module = device.createShaderModule({ label: spec.name, code: spec.code });
    pipeline = device.createComputePipeline({
      label: spec.name,
      layout: "auto",
      compute: { module, entryPoint: entry, constants },
    });
    pipelines.set(key, pipeline);
  }
  return pipeline;
}

/** Records one kernel dispatch into the current batch. */
export function dispatch(spec: DispatchSpec): void {
  const { device, limits } = gpu();
  const storageCount = spec.bindings.filter((b) => b instanceof GPUBuffer).length;
  if (storageCount > limits.maxStorageBuffersPerShaderStage) {
    throw new Error(
      `pivotlab: kernel ${spec.name} binds ${storageCount} storage buffers, above the device ` +
        `limit maxStorageBuffersPerShaderStage (${limits.maxStorageBuffersPerShaderStage})`,
    );
  }
  for (const b of spec.bindings) {
    if (b instanceof GPUBuffer && b.size > limits.maxStorageBufferBindingSize) {
      throw new Error(
        `pivotlab: kernel ${spec.name} binds a buffer of ${b.size} bytes, above the device ` +
          `limit maxStorageBufferBindingSize (${limits.maxStorageBufferBindingSize})`,
      );
    }
  }
  const [x, y = 1, z = 1] = spec.workgroups;
  const maxWg = limits.maxComputeWorkgroupsPerDimension;
  if (x > maxWg || y > maxWg || z > maxWg) {
    throw new Error(
      `pivotlab: kernel ${spec.name} asks for ${x}×${y}×${z} workgroups, above the device ` +
        `limit maxComputeWorkgroupsPerDimension (${maxWg})`,
    );
  }
  if (x === 0 || y === 0 || z === 0) return;
  const pipeline = pipelineFor(spec);
  const entries: GPUBindGroupEntry[] = [];
  if (spec.params) entries.push({ binding: 0, resource: uniformSlot(spec.params) });
  spec.bindings.forEach((b, i) => {
    entries.push({ binding: i + 1, resource: b instanceof GPUBuffer ? { buffer: b } : b });
  });
  const bindGroup = device.createBindGroup({
    label: spec.name,
    layout: pipeline.getBindGroupLayout(0),
    entries,
  });
  const pass = currentPass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bindGroup);
  pass.dispatchWorkgroups(x, y, z);
  countDispatch(spec.flops ?? 0);
}

/**
 * Workgroup counts for `n` invocations of a 1-D kernel with `size` invocations per
 * workgroup, folded into 2-D when above the per-dimension limit. Kernels recover the
 * linear index as `gid.x + gid.y * num_workgroups.x * size`.
 */
export function grid1d(n: number, size = 64): [number, number] {
  const groups = Math.ceil(n / size);
  const maxWg = gpu().limits.maxComputeWorkgroupsPerDimension;
  if (groups <= maxWg) return [Math.max(groups, 1), 1];
  const y = Math.ceil(groups / maxWg);
  return [Math.ceil(groups / y), y];
}

/** Packs uniform parameters: u32 values first, then f32 values, each 4 bytes. */
export function packParams(u32: number[], f32: number[] = []): ArrayBuffer {
  const buf = new ArrayBuffer(Math.max(16, Math.ceil((u32.length + f32.length) / 4) * 16));
  const view = new DataView(buf);
  u32.forEach((v, i) => view.setUint32(i * 4, v >>> 0, true));
  f32.forEach((v, i) => view.setFloat32((u32.length + i) * 4, v, true));
  return buf;
}

/**
 * Fills `$NAME` placeholders of a WGSL template (for code that `override` constants cannot
 * express, such as an operator expression); throws if a placeholder is left unfilled.
 */
export function specialise(template: string, values: Record<string, string>): string {
  const code = template.replace(/\$([A-Z_][A-Z0-9_]*)/g, (m, name: string) => {
    if (!(name in values)) throw new Error(`specialise: no value for placeholder ${m}`);
    return values[name];
  });
  return code;
}
