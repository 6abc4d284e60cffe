/**
 * The split file format (".pvw"), compact and versioned:
 *
 *   bytes 0–7   magic "PVLWORLD"
 *   bytes 8–11  format version (u32, little endian)
 *   bytes 12–15 header length H (u32, little endian)
 *   H bytes     header JSON: split name, kind, sizes, array table, SHA-256 of the payload
 *   padding     zeros up to a multiple of 8
 *   payload     raw arrays (each at an 8-byte aligned offset): images, instance masks,
 *               and the records as UTF-8 JSON
 *
 * Files are written to a temporary name and renamed, so a reader never sees half a file;
 * the payload hash is checked on every read. Nothing in a file depends on time or on the
 * machine, so the same seed gives byte-identical files.
 */
import { createHash } from "node:crypto";
import { writeFileAtomic } from "../io/atomic.ts";
import type { SplitData, SplitKind, SplitRecord } from "./splits.ts";

const MAGIC = "PVLWORLD";
/** Version of the split file layout and of the record schema inside it. */
export const WORLD_FORMAT_VERSION = 1;

interface ArrayEntry {
  name: "images" | "instanceMasks" | "records";
  dtype: "u8";
  offset: number;
  byteLength: number;
}

/** Header of a split file. */
export interface SplitFileHeader {
  format: "pivotlab-world-split";
  version: number;
  name: string;
  kind: SplitKind;
  imageSize: number;
  count: number;
  arrays: ArrayEntry[];
  payloadSha256: string;
}

const align8 = (n: number) => Math.ceil(n / 8) * 8;

function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Serialises a split to the file format's bytes. */
export function encodeSplit(split: SplitData): Uint8Array {
  const parts: { name: ArrayEntry["name"]; bytes: Uint8Array }[] = [];
  if (split.images) parts.push({ name: "images", bytes: split.images });
  if (split.instanceMasks) parts.push({ name: "instanceMasks", bytes: split.instanceMasks });
  parts.push({ name: "records", bytes: new TextEncoder().encode(JSON.stringify(split.records)) });
  const arrays: ArrayEntry[] = [];
  let offset = 0;
  for (const p of parts) {
    arrays.push({ name: p.name, dtype: "u8", offset, byteLength: p.bytes.byteLength });
    offset = align8(offset + p.bytes.byteLength);
  }
  const payload = new Uint8Array(offset);
  parts.forEach((p, i) => payload.set(p.bytes, arrays[i].offset));
  const header: SplitFileHeader = {
    format: "pivotlab-world-split",
    version: WORLD_FORMAT_VERSION,
    name: split.name,
    kind: split.kind,
    imageSize: split.imageSize,
    count: split.count,
    arrays,
    payloadSha256: sha256Hex(payload),
  };
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const payloadStart = align8(16 + headerBytes.byteLength);
  const out = new Uint8Array(payloadStart + payload.byteLength);
  out.set(new TextEncoder().encode(MAGIC), 0);
  const view = new DataView(out.buffer);
  view.setUint32(8, WORLD_FORMAT_VERSION, true);
  view.setUint32(12, headerBytes.byteLength, true);
  out.set(headerBytes, 16);
  out.set(payload, payloadStart);
  return out;
}

/** Parses and verifies split file bytes; `path` names the file in error messages. */
export function decodeSplit(bytes: Uint8Array, path: string): SplitData {
  const fail = (why: string): never => {
    throw new Error(`world split file ${path}: ${why}; delete it to regenerate`);
  };
  if (bytes.byteLength < 16 || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) {
    fail("not a pivotlab world split (bad magic bytes)");
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== WORLD_FORMAT_VERSION) {
    fail(`format version ${version}, this code reads ${WORLD_FORMAT_VERSION}`);
  }
  const headerLength = view.getUint32(12, true);
  let header: SplitFileHeader;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + headerLength)));
  } catch {
    return fail("header is not valid JSON (file corrupted)");
  }
  const payload = bytes.subarray(align8(16 + headerLength));
  if (sha256Hex(payload) !== header.payloadSha256) {
    fail("content hash mismatch (file corrupted or modified)");
  }
  const array = (name: ArrayEntry["name"]) => {
    const entry = header.arrays.find((a) => a.name === name);
    return entry ? payload.subarray(entry.offset, entry.offset + entry.byteLength) : null;
  };
  const records = JSON.parse(
    new TextDecoder().decode(array("records") ?? fail("no records array")),
  ) as SplitRecord[];
  return {
    name: header.name,
    kind: header.kind,
    imageSize: header.imageSize,
    count: header.count,
    images: array("images"),
    instanceMasks: array("instanceMasks"),
    records,
  };
}

/**
 * Writes a split file atomically (src/io/atomic.ts: temporary file, fsync, rename, fsync of
 * the folder; the temporary file is removed if the write fails). The payload hash inside the
 * file is its integrity check, so no sidecar.
 */
export async function writeSplitFile(path: string, split: SplitData): Promise<void> {
  await writeFileAtomic(path, encodeSplit(split), { sidecar: false });
}

/** Reads and verifies a split file. */
export async function readSplitFile(path: string): Promise<SplitData> {
  return decodeSplit(await Deno.readFile(path), path);
}
