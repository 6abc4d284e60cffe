/**
 * WebGPU device setup: one adapter and device per process, requested with the adapter's own
 * limits and only the optional features the adapter really has.
 * @module
 */

/** Optional features pivotlab can use when present; never required. */
const OPTIONAL_FEATURES: GPUFeatureName[] = ["timestamp-query", "shader-f16", "subgroups"];

/** Vulkan loader variables that replace the installed driver list. */
const DRIVER_OVERRIDES = ["VK_ICD_FILENAMES", "VK_DRIVER_FILES"];

/**
 * A Vulkan driver override that names a file that does not exist (so the loader finds no
 * driver, whatever is installed), as one sentence; null if there is none.
 */
export function brokenDriverOverride(): string | null {
  for (const name of DRIVER_OVERRIDES) {
    let value: string | undefined;
    try {
      value = Deno.env.get(name);
    } catch {
      return null; // no env permission: cannot tell
    }
    if (!value) continue;
    const missing = value.split(":").filter(Boolean).filter((f) => {
      try {
        Deno.statSync(f);
        return false;
      } catch (e) {
        return e instanceof Deno.errors.NotFound;
      }
    });
    if (missing.length > 0) {
      return `${name} names ${missing.join(", ")}, which does not exist: unset it or fix it.`;
    }
  }
  return null;
}

/** Thrown when no WebGPU adapter exists; the message (one line) says how to get one. */
export class NoAdapterError extends Error {
  constructor() {
    const override = brokenDriverOverride();
    super(
      "pivotlab: no WebGPU adapter found. " + (override ? `${override} Otherwise u` : "U") +
        "se a machine with a GPU (any Vulkan, Metal or D3D12 driver), or on Linux without a " +
        "GPU install Mesa's software Vulkan driver: " +
        "`sudo apt-get install -y mesa-vulkan-drivers` (lavapipe). " +
        "DENO_WEBGPU_BACKEND=vulkan|gl forces a backend.",
    );
    this.name = "NoAdapterError";
  }
}

/** The process-wide GPU context every kernel runs on. */
export interface Gpu {
  /** The WebGPU device every kernel runs on. */
  device: GPUDevice;
  /** Adapter description, e.g. "llvmpipe (LLVM 15.0.6, 256 bits)". */
  adapterName: string;
  /** The device limits (requested at the adapter's maximum). */
  limits: GPUSupportedLimits;
  /** The optional features enabled on the device. */
  features: ReadonlySet<string>;
  /** Validation or out-of-memory errors reported by the device since the last check. */
  errors: string[];
}

let gpuPromise: Promise<Gpu> | null = null;
let gpuReady: Gpu | null = null;

/** Returns the shared GPU context, creating it on first use. */
export function getGpu(): Promise<Gpu> {
  if (!gpuPromise) gpuPromise = createGpu().then((g) => (gpuReady = g));
  return gpuPromise;
}

/** The GPU context if `getGpu()` has completed; ops call this synchronously. */
export function gpu(): Gpu {
  if (!gpuReady) {
    throw new Error("pivotlab: the GPU is not initialised; `await initGpu()` first");
  }
  return gpuReady;
}

async function createGpu(): Promise<Gpu> {
  if (!Deno.env.has("XDG_RUNTIME_DIR")) {
    // Silences a Vulkan loader warning on headless Linux.
    try {
      Deno.env.set("XDG_RUNTIME_DIR", "/tmp");
    } catch { /* env permission not granted: harmless */ }
  }
  const adapter = navigator.gpu ? await navigator.gpu.requestAdapter() : null;
  if (!adapter) throw new NoAdapterError();
  const requiredFeatures = OPTIONAL_FEATURES.filter((f) => adapter.features.has(f));
  const requiredLimits: Record<string, number> = {};
  for (const key of LIMIT_NAMES) {
    const value = (adapter.limits as unknown as Record<string, number>)[key];
    if (typeof value === "number") requiredLimits[key] = value;
  }
  const device = await adapter.requestDevice({ requiredFeatures, requiredLimits });
  const errors: string[] = [];
  device.addEventListener("uncapturederror", (e) => {
    errors.push(String((e as GPUUncapturedErrorEvent).error.message));
  });
  const info = adapter.info;
  return {
    device,
    adapterName: info.description || info.device || info.vendor || "unknown adapter",
    limits: device.limits,
    features: new Set(device.features),
    errors,
  };
}

/** Limits worth raising to the adapter's maximum for compute work. */
const LIMIT_NAMES = [
  "maxStorageBufferBindingSize",
  "maxBufferSize",
  "maxStorageBuffersPerShaderStage",
  "maxStorageTexturesPerShaderStage",
  "maxComputeWorkgroupStorageSize",
  "maxComputeInvocationsPerWorkgroup",
  "maxComputeWorkgroupSizeX",
  "maxComputeWorkgroupSizeY",
  "maxComputeWorkgroupSizeZ",
  "maxComputeWorkgroupsPerDimension",
  "maxTextureDimension2D",
  "maxBindGroups",
  "maxUniformBufferBindingSize",
];

/**
 * Initialises the GPU, or prints the no-adapter message and exits non-zero. For CLI entry
 * points; library code uses `getGpu()` and lets the error propagate.
 */
export async function initGpuOrExit(): Promise<Gpu> {
  try {
    return await getGpu();
  } catch (e) {
    if (e instanceof NoAdapterError) {
      console.error(e.message);
      Deno.exit(2);
    }
    throw e;
  }
}
