/**
 * The safetensors format, byte level (https://github.com/huggingface/safetensors):
 * an 8-byte little-endian u64 header length N, N bytes of JSON header (padded with spaces
 * to a multiple of 8), then the data section. The header maps each tensor name to
 * `{dtype, shape, data_offsets: [begin, end]}` (offsets relative to the data section) and may
 * hold `__metadata__`, a map of strings. Only F32 and I32 are used here. Pure: no GPU, no I/O.
 * @module
 */

/** Element types pivotlab stores. */
export type SafeDType = "F32" | "I32";

/** One tensor of a safetensors file, on the CPU. */
export interface SafeTensor {
  /** Element type. */
  dtype: SafeDType;
  /** Dimensions. */
  shape: number[];
  /** Row-major data. */
  data: Float32Array | Int32Array;
}

/** A decoded file: tensors by name and the string metadata. */
export interface SafeFile {
  /** Tensors by name. */
  tensors: Map<string, SafeTensor>;
  /** The header's `__metadata__` map. */
  metadata: Record<string, string>;
}

/** A malformed or unsupported safetensors byte string. */
export class SafetensorsError extends Error {
  /** `detail` says what is malformed. */
  constructor(detail: string) {
    super(`safetensors: ${detail}`);
    this.name = "SafetensorsError";
  }
}

const HEADER_LIMIT = 100_000_000; // the reference implementation's cap

function count(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Encodes tensors (written in name order, so equal inputs give equal bytes) and string
 * metadata into a safetensors byte string.
 */
export function encodeSafetensors(
  tensors: Map<string, SafeTensor> | Record<string, SafeTensor>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const entries = (tensors instanceof Map ? [...tensors] : Object.entries(tensors))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== "string") throw new SafetensorsError(`metadata ${k} is not a string`);
    }
    header.__metadata__ = metadata;
  }
  let offset = 0;
  for (const [name, t] of entries) {
    if (name === "__metadata__") throw new SafetensorsError("tensor name __metadata__ is reserved");
    const expectCtor = t.dtype === "F32" ? Float32Array : Int32Array;
    if (!(t.data instanceof expectCtor)) {
      throw new SafetensorsError(`${name}: ${t.dtype} data must be a ${expectCtor.name}`);
    }
    if (t.data.length !== count(t.shape)) {
      throw new SafetensorsError(
        `${name}: ${t.data.length} values for shape [${t.shape.join(", ")}]`,
      );
    }
    header[name] = {
      dtype: t.dtype,
      shape: t.shape,
      data_offsets: [offset, offset + t.data.byteLength],
    };
    offset += t.data.byteLength;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let pos = 8 + json.length;
  for (const [, t] of entries) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), pos);
    pos += t.data.byteLength;
  }
  return out;
}

/**
 * Decodes a safetensors byte string, validating the header: known dtypes, offsets that
 * match the shape, lie inside the data section, and cover it without gaps or overlaps.
 */
export function decodeSafetensors(bytes: Uint8Array): SafeFile {
  if (bytes.length < 8) throw new SafetensorsError(`file of ${bytes.length} bytes has no header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(Math.min(HEADER_LIMIT, bytes.length - 8))) {
    throw new SafetensorsError(`header length ${n} exceeds the file (${bytes.length} bytes)`);
  }
  const headerLen = Number(n);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(
      bytes.subarray(8, 8 + headerLen),
    ));
  } catch (e) {
    throw new SafetensorsError(`header is not UTF-8 JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== "object" || Array.isArray(header)) {
    throw new SafetensorsError("header is not a JSON object");
  }
  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const spans: [number, number, string][] = [];
  const tensors = new Map<string, SafeTensor>();
  for (const [name, raw] of Object.entries(header)) {
    if (name === "__metadata__") {
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== "string") throw new SafetensorsError(`metadata ${k} is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    const info = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (info.dtype !== "F32" && info.dtype !== "I32") {
      throw new SafetensorsError(`${name}: dtype ${JSON.stringify(info.dtype)} unsupported`);
    }
    const shape = info.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new SafetensorsError(`${name}: bad shape ${JSON.stringify(shape)}`);
    }
    const off = info.data_offsets;
    if (
      !Array.isArray(off) || off.length !== 2 || !off.every((o) => Number.isInteger(o)) ||
      off[0] < 0 || off[1] < off[0] || off[1] > dataLen
    ) {
      throw new SafetensorsError(`${name}: bad data_offsets ${JSON.stringify(off)}`);
    }
    const [begin, end] = off as [number, number];
    if (end - begin !== count(shape) * 4) {
      throw new SafetensorsError(
        `${name}: ${end - begin} bytes for ${info.dtype} shape [${shape.join(", ")}]`,
      );
    }
    spans.push([begin, end, name]);
    // Copy: the data section need not be 4-byte aligned inside `bytes`.
    const chunk = bytes.slice(dataStart + begin, dataStart + end).buffer;
    tensors.set(name, {
      dtype: info.dtype,
      shape: shape as number[],
      data: info.dtype === "F32" ? new Float32Array(chunk) : new Int32Array(chunk),
    });
  }
  spans.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let pos = 0;
  for (const [begin, end, name] of spans) {
    if (begin !== pos) {
      throw new SafetensorsError(`${name}: data at ${begin} leaves a gap or overlap at ${pos}`);
    }
    pos = end;
  }
  if (pos !== dataLen) {
    throw new SafetensorsError(`data section has ${dataLen} bytes, tensors cover ${pos}`);
  }
  return { tensors, metadata };
}
