/**
 * An output-folder lock: one `reproduce` per `--out` folder at a time.
 *
 * The lock is `<out>/.pivotlab.lock`, JSON `{pid, hostname, startedAt, procStart, command}`.
 * It is written completely to a temporary file and then hard-linked to the lock name
 * (`link` fails if the name exists), so taking it is exclusive and a reader never sees a
 * half-written lock. A second run finds it and refuses, naming the holder.
 *
 * Stale locks: a lock from this host whose pid is not running (or is running but started at
 * another time than recorded, i.e. the pid was reused) belongs to a dead run (`kill -9`,
 * power loss); it is moved aside and taken over with a note. A lock from another host is
 * never taken over automatically (its pid cannot be checked from here): the message says
 * how to remove it by hand. The lock is removed when the process exits (including
 * `Deno.exit`); only a killed process leaves it behind. So does its half-done write: once
 * the lock is held, the temporary files of dead writers in the folder and its
 * `ARTIFACT_FOLDERS` are removed (`removeStaleTemporaries`), and the note says so. A folder this lock created and that is
 * still empty when the lock is released (a run that failed before writing anything) is
 * removed too, so a failed start leaves nothing behind.
 * @module
 */

import { join } from "node:path";
import { ArtifactWriteError, removeStaleTemporaries } from "./atomic.ts";

/** The lock file name inside the output folder. */
export const LOCK_FILE = ".pivotlab.lock";

/** The folders of an output folder that pivotlab writes (searched for dead temporaries). */
export const ARTIFACT_FOLDERS = ["stages", "world", "figures"];

/** What the lock file records about its holder. */
export interface LockInfo {
  pid: number;
  hostname: string;
  /** ISO time the lock was taken. */
  startedAt: string;
  /** The process start time from /proc (clock ticks since boot), to spot reused pids. */
  procStart: string | null;
  command: string;
}

/** The folder is locked by a live run (or by a run on another host). */
export class LockHeldError extends Error {
  constructor(readonly path: string, readonly holder: LockInfo | null, detail: string) {
    super(detail);
    this.name = "LockHeldError";
  }
}

/** A held lock. */
export interface OutputLock {
  path: string;
  info: LockInfo;
  /**
   * One line on what a dead run left and this one cleaned up (a stale lock taken over, its
   * temporary files removed), else null.
   */
  tookOver: string | null;
  /** Removes the lock (if still ours). Idempotent; synchronous so it can run at exit. */
  release(): void;
}

function hostname(): string {
  try {
    return Deno.hostname();
  } catch {
    return "unknown-host";
  }
}

/** The start time of a process from /proc/<pid>/stat (field 22), or null off Linux. */
function procStart(pid: number): string | null {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null;
  } catch {
    return null;
  }
}

/**
 * Whether the holder of a lock from this host is still running; "unknown" without /proc, or
 * when Deno may not read it (it needs --allow-all for /proc; the tasks run with it).
 */
function holderState(info: LockInfo): "alive" | "dead" | "unknown" {
  try {
    Deno.statSync(`/proc/${info.pid}`);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) return "unknown";
    try {
      Deno.statSync("/proc/self");
      return "dead"; // /proc works and the pid is gone
    } catch {
      return "unknown";
    }
  }
  // Same pid, another process (pid reused after a reboot or wrap-around)?
  const now = procStart(info.pid);
  return info.procStart && now && now !== info.procStart ? "dead" : "alive";
}

function describe(info: LockInfo | null): string {
  if (!info) return "an unknown process";
  return `pid ${info.pid} on ${info.hostname}, started ${info.startedAt} (${info.command})`;
}

function readLock(path: string): LockInfo | null | "absent" {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return "absent";
    throw e;
  }
  try {
    const info = JSON.parse(text) as LockInfo;
    return typeof info?.pid === "number" && typeof info.hostname === "string" ? info : null;
  } catch {
    return null;
  }
}

/**
 * Takes the lock of `dir` (created if missing) or throws `LockHeldError` naming the holder.
 * Filesystem errors (read-only or full folder) come as `ArtifactWriteError`.
 */
export function acquireOutputLock(dir: string, command = "pivotlab"): OutputLock {
  const path = join(dir, LOCK_FILE);
  const info: LockInfo = {
    pid: Deno.pid,
    hostname: hostname(),
    startedAt: new Date().toISOString(),
    procStart: procStart(Deno.pid),
    command,
  };
  const tmp = `${path}.${Deno.pid}.tmp`;
  let created = false;
  try {
    try {
      created = !Deno.statSync(dir).isDirectory;
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
      created = true;
    }
    Deno.mkdirSync(dir, { recursive: true });
    Deno.writeTextFileSync(tmp, JSON.stringify(info, null, 2) + "\n", { mode: 0o644 });
  } catch (e) {
    try {
      Deno.removeSync(tmp);
    } catch { /* not created */ }
    if (created) removeIfEmpty(dir);
    throw new ArtifactWriteError(path, e as Error);
  }
  let tookOver: string | null = null;
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        Deno.linkSync(tmp, path);
        break;
      } catch (e) {
        if (!(e instanceof Deno.errors.AlreadyExists)) {
          throw new ArtifactWriteError(path, e as Error);
        }
      }
      const holder = readLock(path);
      if (holder === "absent") continue; // released meanwhile: try again
      if (holder === null) {
        // Unreadable: a foreign file, or written by something else; never guess.
        throw new LockHeldError(
          path,
          null,
          `output folder ${dir} has a lock file ${path} that is not a pivotlab lock; if no ` +
            `other run uses this folder, delete it and run again`,
        );
      }
      if (holder.hostname !== info.hostname) {
        throw new LockHeldError(
          path,
          holder,
          `output folder ${dir} is in use by ${describe(holder)}. This host cannot check ` +
            `whether that run is alive; if it is not, delete ${path} and run again`,
        );
      }
      const state = holderState(holder);
      if (state === "unknown") {
        throw new LockHeldError(
          path,
          holder,
          `output folder ${dir} is in use by ${describe(holder)}, and this process cannot ` +
            `check whether that run is alive (reading /proc needs Deno's --allow-all); if it ` +
            `is not running, delete ${path} and run again`,
        );
      }
      if (state === "alive") {
        throw new LockHeldError(
          path,
          holder,
          `output folder ${dir} is in use by ${describe(holder)}. Wait for it to finish, ` +
            `stop it, or choose another --out`,
        );
      }
      // Stale: move it aside under a unique name, check we moved that same lock, retry.
      const aside = `${path}.stale.${Deno.pid}`;
      try {
        Deno.renameSync(path, aside);
      } catch (e) {
        if (e instanceof Deno.errors.NotFound) continue; // someone else moved it
        throw new ArtifactWriteError(path, e as Error);
      }
      const moved = readLock(aside);
      if (
        moved === null || moved === "absent" || moved.pid !== holder.pid ||
        moved.startedAt !== holder.startedAt
      ) {
        // We moved a lock another run had just taken: put it back and report it held.
        try {
          Deno.linkSync(aside, path);
        } catch { /* it took the name again */ }
        Deno.removeSync(aside);
        continue;
      }
      Deno.removeSync(aside);
      tookOver = `took over a stale lock in ${dir} from ${describe(holder)}, ` +
        `which is no longer running`;
    }
    try {
      Deno.statSync(path);
    } catch {
      throw new LockHeldError(path, null, `could not take the lock ${path} (contended)`);
    }
    const mine = readLock(path);
    if (mine === null || mine === "absent" || mine.pid !== info.pid) {
      throw new LockHeldError(
        path,
        mine === "absent" ? null : mine,
        `output folder ${dir} is in use by ${describe(mine === "absent" ? null : mine)}`,
      );
    }
  } catch (e) {
    if (created) removeIfEmpty(dir);
    throw e;
  } finally {
    try {
      Deno.removeSync(tmp);
    } catch { /* gone */ }
  }
  const note = [tookOver, cleanTemporaries(dir)].filter((n) => n !== null).join("; ");
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    const now = readLock(path);
    if (now !== null && now !== "absent" && now.pid === info.pid) {
      try {
        Deno.removeSync(path);
      } catch { /* already gone */ }
    }
    if (created) removeIfEmpty(dir);
  };
  globalThis.addEventListener("unload", release);
  return { path, info, tookOver: note ? `note: ${note}` : null, release };
}

/** Removes the dead writers' temporaries of `dir`; a clause for the note, or null. */
function cleanTemporaries(dir: string): string | null {
  let removed: string[];
  try {
    removed = removeStaleTemporaries(dir, ARTIFACT_FOLDERS);
  } catch (e) {
    return `could not remove the temporary files of a dead run in ${dir} ` +
      `(${(e as Error).message}); they are harmless`;
  }
  if (removed.length === 0) return null;
  const shown = removed.slice(0, 3).join(", ") + (removed.length > 3 ? ", …" : "");
  return `removed ${removed.length} temporary file${removed.length === 1 ? "" : "s"} ` +
    `of a dead run from ${dir} (${shown})`;
}

/** Removes `dir` if it exists and is empty (a folder this lock created and nothing used). */
function removeIfEmpty(dir: string): void {
  try {
    if (Deno.readDirSync(dir)[Symbol.iterator]().next().done) Deno.removeSync(dir);
  } catch { /* gone, not empty, or not ours to remove */ }
}
