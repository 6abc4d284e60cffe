/**
 * Atomic, hashed artifact files: the one way pivotlab writes checkpoints, stage records and
 * results.
 *
 * Write (`writeFileAtomic`): the bytes go to a temporary file in the same folder
 * (`<name>.<pid>.<random>.tmp`), which is fsynced, then renamed over the target, then the
 * folder is fsynced, so a reader (or a machine that lost power) sees the old file or the
 * new one, never half of one. On any failure (no space, no permission) the temporary file
 * is removed and one `ArtifactWriteError` names the file, the cause and the remedy.
 *
 * Hash: every artifact carries a SHA-256 of its bytes, checked on read.
 * - Plain files (JSON records, results.json): a sidecar `<name>.sha256` in `sha256sum`
 *   format (`<hex>  <name>`; `sha256sum -c` verifies it by hand). The new sidecar is
 *   written to a temporary file first, the old sidecar is removed, then the file and the
 *   sidecar are renamed in: a crash at any point leaves the file with its own sidecar or
 *   with none, never with a stale one. A file without a sidecar (written before this
 *   module, or in that crash window) is read unverified; a file whose sidecar does not
 *   match is reported as corrupted.
 * - Checkpoints (src/nn/checkpoint.ts): `meta.json`, written last, lists `hashes` of the
 *   safetensors files of its folder and carries `sha256`, the hash of its own bytes as
 *   written without that field (the folder keeps exactly its three files).
 *
 * Nothing here deletes an artifact: a corrupted file is named, with the remedy, and left
 * for the user to remove. The one thing removed is a temporary file whose writer is dead
 * (`removeStaleTemporaries`, run by the output-folder lock once it is held): a `kill -9`
 * between the temporary write and the rename leaves one behind.
 * @module
 */

import { createHash } from "node:crypto";
import { basename, dirname, join } from "node:path";

/** SHA-256 of bytes, lower-case hex. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** The sidecar hash file of an artifact. */
export function sidecarPath(path: string): string {
  return `${path}.sha256`;
}

/** A file on disk that is corrupted, truncated, foreign or does not match what reads it. */
export class IntegrityError extends Error {
  constructor(readonly path: string, detail: string, readonly remedy?: string) {
    super(`${path}: ${detail}${remedy ? `; ${remedy}` : ""}`);
    this.name = "IntegrityError";
  }
}

/** Writing an artifact failed (no space, no permission, …); no temporary file is left. */
export class ArtifactWriteError extends Error {
  constructor(readonly path: string, override readonly cause: Error) {
    super(`cannot write ${path}: ${describeWriteError(cause)}`);
    this.name = "ArtifactWriteError";
  }
}

function describeWriteError(e: Error): string {
  const msg = e.message ?? String(e);
  if (/ENOSPC|No space left/i.test(msg) || (e as { code?: string }).code === "ENOSPC") {
    return `no space left on the device (${msg}). Free space or choose another --out; ` +
      `finished stages are kept and the run resumes where it stopped`;
  }
  if (/EDQUOT|quota/i.test(msg)) {
    return `disk quota exceeded (${msg}). Free space or choose another --out`;
  }
  if (e instanceof Deno.errors.PermissionDenied || /EACCES|EPERM|EROFS|read-only/i.test(msg)) {
    return `permission denied (${msg}). Make the folder writable or choose another --out`;
  }
  return msg;
}

/** fsyncs a folder so a rename inside it survives a crash (best effort where unsupported). */
async function syncDir(dir: string): Promise<void> {
  let f: Deno.FsFile | undefined;
  try {
    f = await Deno.open(dir, { read: true });
    await f.sync();
  } catch {
    // Some file systems refuse to fsync a folder; the rename is still atomic.
  } finally {
    f?.close();
  }
}

async function writeSynced(path: string, data: Uint8Array): Promise<void> {
  const f = await Deno.open(path, { write: true, createNew: true, mode: 0o644 });
  try {
    let off = 0;
    while (off < data.byteLength) off += await f.write(data.subarray(off));
    await f.sync();
  } finally {
    f.close();
  }
}

function tempName(path: string): string {
  const rand = Math.floor(Math.random() * 0xffffffff).toString(16).padStart(8, "0");
  return `${path}.${Deno.pid}.${rand}.tmp`;
}

/** Options of `writeFileAtomic`. */
export interface AtomicWriteOptions {
  /** Write the `<path>.sha256` sidecar (default true). */
  sidecar?: boolean;
}

/**
 * Writes `data` to `path` atomically (temp file in the same folder, fsync, rename, fsync of
 * the folder) and, unless `sidecar: false`, its SHA-256 sidecar. Returns the hash.
 */
export async function writeFileAtomic(
  path: string,
  data: Uint8Array,
  opts: AtomicWriteOptions = {},
): Promise<string> {
  const hash = sha256Hex(data);
  const tmp = tempName(path);
  const side = sidecarPath(path);
  const sideTmp = opts.sidecar === false ? null : tempName(side);
  try {
    await writeSynced(tmp, data);
    if (sideTmp) {
      await writeSynced(sideTmp, new TextEncoder().encode(`${hash}  ${basename(path)}\n`));
      await Deno.remove(side).catch((e) => {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      });
    }
    await Deno.rename(tmp, path);
    if (sideTmp) await Deno.rename(sideTmp, side);
    await syncDir(dirname(path));
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    if (sideTmp) await Deno.remove(sideTmp).catch(() => {});
    throw e instanceof ArtifactWriteError ? e : new ArtifactWriteError(path, e as Error);
  }
  return hash;
}

/** Writes JSON (2-space indent, trailing newline) atomically with its sidecar hash. */
export async function writeJsonAtomic(path: string, value: unknown): Promise<string> {
  return await writeFileAtomic(
    path,
    new TextEncoder().encode(JSON.stringify(value, null, 2) + "\n"),
  );
}

/** Throws an `IntegrityError` unless `bytes` hash to `expected`. */
export function checkHash(
  path: string,
  bytes: Uint8Array,
  expected: string,
  remedy?: string,
): void {
  const actual = sha256Hex(bytes);
  if (actual !== expected) {
    throw new IntegrityError(
      path,
      `content hash mismatch (file corrupted, truncated or replaced: SHA-256 ${
        actual.slice(0, 12)
      }…, recorded ${expected.slice(0, 12)}…; ${bytes.byteLength} bytes)`,
      remedy,
    );
  }
}

/**
 * Reads a file and checks it against its sidecar hash, if it has one. Returns null when the
 * file does not exist. Throws `IntegrityError` (naming the file and `remedy`) on a mismatch.
 */
export async function readVerified(path: string, remedy?: string): Promise<Uint8Array | null> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw new IntegrityError(path, `cannot read (${(e as Error).message})`, remedy);
  }
  let side: string | null = null;
  try {
    side = await Deno.readTextFile(sidecarPath(path));
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) {
      throw new IntegrityError(sidecarPath(path), `cannot read (${(e as Error).message})`, remedy);
    }
  }
  if (side !== null) {
    const expected = side.trim().split(/\s+/)[0];
    if (!/^[0-9a-f]{64}$/.test(expected)) {
      throw new IntegrityError(sidecarPath(path), "is not a SHA-256 sidecar", remedy);
    }
    checkHash(path, bytes, expected, remedy);
  }
  return bytes;
}

/** Reads JSON verified against its sidecar; null when absent; `IntegrityError` if broken. */
export async function readJsonVerified<T>(path: string, remedy?: string): Promise<T | null> {
  const bytes = await readVerified(path, remedy);
  if (bytes === null) return null;
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes)) as T;
  } catch (e) {
    throw new IntegrityError(path, `is not valid JSON (${(e as Error).message})`, remedy);
  }
}

/**
 * Names of the temporary files pivotlab writes, with the writer's pid: `<name>.<pid>.<8 hex>.tmp`
 * (`writeFileAtomic`), and the lock's `.pivotlab.lock.<pid>.tmp` / `.pivotlab.lock.stale.<pid>`
 * (src/io/lock.ts). Nothing else is ever matched.
 */
const TEMP_NAMES = [
  /^.+\.(\d+)\.[0-9a-f]{8}\.tmp$/,
  /^\.pivotlab\.lock\.(\d+)\.tmp$/,
  /^\.pivotlab\.lock\.stale\.(\d+)$/,
];

/** The writer pid encoded in a temporary file's name, or null if it is not one of ours. */
export function temporaryWriterPid(name: string): number | null {
  for (const re of TEMP_NAMES) {
    const m = re.exec(name);
    if (m) return Number(m[1]);
  }
  return null;
}

/** Seconds since the epoch at which `pid` started (Linux /proc), or null if unknown. */
function processStartEpoch(pid: number): number | null {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const ticks = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]);
    const boot = /^btime (\d+)$/m.exec(Deno.readTextFileSync("/proc/stat"));
    // Start time is in clock ticks since boot; USER_HZ is 100 on every Linux ABI in use.
    return boot && Number.isFinite(ticks) ? Number(boot[1]) + ticks / 100 : null;
  } catch {
    return null;
  }
}

/**
 * Whether the process that wrote a temporary file (pid from its name, file modified at
 * `mtime`) has ended: its pid is gone, or the pid now belongs to a process that started
 * after the file was last written (the pid was reused). Unknown means alive.
 */
function writerIsDead(pid: number, mtime: Date | null): boolean {
  if (pid === Deno.pid) return false;
  try {
    Deno.statSync(`/proc/${pid}`);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) return false;
    try {
      Deno.statSync("/proc/self");
      return true; // /proc works and the pid is gone
    } catch {
      return false; // no /proc: cannot tell
    }
  }
  const started = processStartEpoch(pid);
  // 2 s of slack: the start time is rounded to clock ticks, mtime to the file system's grain.
  return started !== null && mtime !== null && started > mtime.getTime() / 1000 + 2;
}

/**
 * Removes the temporary files of dead writers in `dir` itself and anywhere under its
 * `subfolders` (names as in `temporaryWriterPid`; symbolic links are not followed) and
 * returns their paths relative to `dir`. A temporary of a live process, and every other file,
 * is left alone; so is any other folder (an `--out` that holds more than pivotlab's output is
 * not searched). Call it only while holding the folder's lock (src/io/lock.ts does), so no
 * live run of this folder is mid-write.
 */
export function removeStaleTemporaries(dir: string, subfolders: string[]): string[] {
  const removed: string[] = [];
  const walk = (rel: string, recurse: boolean) => {
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(rel ? join(dir, rel) : dir)];
    } catch {
      return; // vanished or unreadable: nothing of ours to clean there
    }
    for (const e of entries) {
      const path = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory) {
        if (recurse || subfolders.includes(path)) walk(path, true);
        continue;
      }
      if (!e.isFile) continue;
      const pid = temporaryWriterPid(e.name);
      if (pid === null) continue;
      let mtime: Date | null = null;
      try {
        mtime = Deno.statSync(join(dir, path)).mtime;
      } catch {
        continue; // gone meanwhile
      }
      if (!writerIsDead(pid, mtime)) continue;
      try {
        Deno.removeSync(join(dir, path));
        removed.push(path);
      } catch (err) {
        if (!(err instanceof Deno.errors.NotFound)) throw err;
      }
    }
  };
  walk("", false);
  return removed.sort();
}
