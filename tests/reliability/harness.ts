/**
 * Helpers of the fault suite: child `reproduce` runs (watched line by line, to interrupt them
 * at a chosen point), waiting for files, the canonical projection of results.json, byte
 * flips, and the tally of faults tried / survived.
 */

import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { canonicalJson } from "../../src/train/stage.ts";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Every run of the suite checkpoints every 10 steps (= logEvery of tiny: same curves). */
export const ENV = { PIVOTLAB_CHECKPOINT_EVERY: "10" };

/** The command under test: `reproduce --preset tiny --only <part> --out <out>`. */
export function reproduceArgs(out: string, only = "pretrain"): string[] {
  return [
    "run",
    "-A",
    "tasks/reproduce.ts",
    "--preset",
    "tiny",
    "--only",
    only,
    "--out",
    out,
  ];
}

export interface RunResult {
  code: number;
  signal: string | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

/** A started child run. */
export interface Child {
  process: Deno.ChildProcess;
  done: Promise<RunResult>;
}

/** A Deno child in the repository root with piped output. */
function spawnChild(args: string[], env: Record<string, string>): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    env,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

export function start(args: string[], env: Record<string, string> = ENV): Child {
  const t0 = performance.now();
  const process = spawnChild(args, env);
  const done = process.output().then((o) => ({
    code: o.code,
    signal: o.signal,
    stdout: new TextDecoder().decode(o.stdout),
    stderr: new TextDecoder().decode(o.stderr),
    seconds: (performance.now() - t0) / 1000,
  }));
  return { process, done };
}

export async function run(args: string[], env: Record<string, string> = ENV): Promise<RunResult> {
  return await start(args, env).done;
}

/** A started child whose output is read as it comes, to act at a chosen line. */
export interface WatchedChild {
  process: Deno.ChildProcess;
  /** Stderr so far. */
  stderr(): string;
  /**
   * The first match of `re` in stderr at or after character `from`, checked as each chunk
   * arrives; throws if the child ends first or after `timeoutMs`.
   */
  waitForLine(re: RegExp, timeoutMs: number, from?: number): Promise<RegExpExecArray>;
  done: Promise<RunResult>;
}

export function startWatched(args: string[], env: Record<string, string> = ENV): WatchedChild {
  const t0 = performance.now();
  const process = spawnChild(args, env);
  let out = "";
  let err = "";
  let ended = false;
  // Woken at each chunk of stderr, so a waiter acts within a chunk of the line it waits for.
  let wake: () => void = () => {};
  let woken = new Promise<void>((r) => (wake = r));
  const drain = async (stream: ReadableStream<Uint8Array>, add: (text: string) => void) => {
    const dec = new TextDecoder();
    for await (const chunk of stream) add(dec.decode(chunk, { stream: true }));
  };
  const pumps = Promise.all([
    drain(process.stdout, (t) => (out += t)),
    drain(process.stderr, (t) => {
      err += t;
      const w = wake;
      woken = new Promise<void>((r) => (wake = r));
      w();
    }),
  ]);
  const done = Promise.all([process.status, pumps]).then(([st]) => {
    ended = true;
    wake();
    return {
      code: st.code,
      signal: st.signal,
      stdout: out,
      stderr: err,
      seconds: (performance.now() - t0) / 1000,
    };
  });
  const waitForLine = async (re: RegExp, timeoutMs: number, from = 0) => {
    const end = performance.now() + timeoutMs;
    for (;;) {
      const m = re.exec(err.slice(from));
      if (m) return m;
      if (ended) throw new Error(`the child ended before printing ${re}:\n${err.slice(-1500)}`);
      const left = end - performance.now();
      if (left <= 0) throw new Error(`no ${re} within ${timeoutMs / 1000} s`);
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([woken, new Promise((r) => (timer = setTimeout(r, left)))]);
      clearTimeout(timer);
    }
  };
  return { process, stderr: () => err, waitForLine, done };
}

/** Files under `dir` whose name marks them as temporary (`*.tmp`, the lock's `.stale.<pid>`). */
export function temporaries(dir: string): string[] {
  return listFiles(dir).filter((f) => /\.tmp$|\.pivotlab\.lock\.stale\.\d+$/.test(f));
}

/**
 * What a finished run must not leave: temporaries, and the resumable checkpoints of stages
 * (`partial/`, `partial-next/`, `partial-old/`), which are removed when a stage is done.
 */
export function leftovers(dir: string): string[] {
  return [
    ...temporaries(dir),
    ...listFiles(dir).filter((f) => /\/partial(-next|-old)?\//.test(f)),
  ];
}

/** A pid that surely belongs to no process: that of a child that has ended. */
export async function deadPid(): Promise<number> {
  const dead = new Deno.Command("true").spawn();
  await dead.status;
  return dead.pid;
}

/**
 * Waits until a file whose path matches `re` is created under `dir` (inotify, via
 * `Deno.watchFs`, so the caller acts within a moment of the creation); its path, or null
 * after `timeoutMs`. `dir` is created if missing. Files created in a folder made a moment
 * earlier may be missed (its watch is added after it appears).
 */
export async function waitForCreated(
  dir: string,
  re: RegExp,
  timeoutMs: number,
): Promise<string | null> {
  await Deno.mkdir(dir, { recursive: true });
  const watcher = Deno.watchFs(dir, { recursive: true });
  const timer = setTimeout(() => watcher.close(), timeoutMs);
  try {
    for await (const event of watcher) {
      const hit = event.kind === "create" ? event.paths.find((p) => re.test(p)) : undefined;
      if (hit) return hit;
    }
    return null;
  } finally {
    clearTimeout(timer);
    try {
      watcher.close();
    } catch { /* closed by the timer */ }
  }
}

/** Polls `predicate` every 20 ms; false after `timeoutMs`. */
export async function waitFor(predicate: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = performance.now() + timeoutMs;
  while (performance.now() < end) {
    if (predicate()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return predicate();
}

/** Every file under `dir` (relative paths). */
export function listFiles(dir: string, prefix = ""): string[] {
  const out: string[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(join(dir, prefix))];
  } catch {
    return out;
  }
  for (const e of entries) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory) out.push(...listFiles(dir, rel));
    else out.push(rel);
  }
  return out.sort();
}

/** A partial (mid-stage) checkpoint under `out`, if one exists: its meta.json path. */
export function findPartial(out: string): string | null {
  return listFiles(join(out, "stages")).find((f) => /\/partial\/meta\.json$/.test(f)) ?? null;
}

/**
 * Fields of results.json that legitimately differ between an interrupted-and-resumed run and
 * an uninterrupted one, removed (at any depth) before the byte comparison:
 * - `seconds`, `trainSeconds`, `trainCpuSeconds`, `msPerStep`: wall / CPU time;
 * - `finished`: the date the run ended;
 * - `cached`: a resumed run finds the stages finished before the kill cached;
 * - `dir`: the output folder (each run of the suite has its own);
 * - `commit`: HEAD (+dirty) may move while the suite runs on a shared checkout.
 * Everything else (every loss, curve point, grad norm, metric, FLOP count, key) must match.
 */
export const EXCLUDED = [
  "seconds",
  "totalSeconds",
  "trainSeconds",
  "trainCpuSeconds",
  "msPerStep",
  "finished",
  "cached",
  "dir",
  "commit",
];

export function project(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(project);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([k]) => !EXCLUDED.includes(k))
        .map(([k, v]) => [k, project(v)]),
    );
  }
  return value;
}

/** The canonical bytes compared between runs. */
export async function canonicalResults(out: string): Promise<string> {
  return canonicalJson(project(JSON.parse(await Deno.readTextFile(join(out, "results.json")))));
}

/** Flips one byte (XOR 0xff) at `at` (negative: from the end). */
export async function flipByte(path: string, at: number): Promise<void> {
  const bytes = await Deno.readFile(path);
  const i = at < 0 ? bytes.length + at : at;
  bytes[i] ^= 0xff;
  await Deno.writeFile(path, bytes);
}

/** Cuts a file to `fraction` of its length. */
export async function truncate(path: string, fraction: number): Promise<void> {
  const size = (await Deno.stat(path)).size;
  await Deno.truncate(path, Math.floor(size * fraction));
}

export async function copyDir(from: string, to: string): Promise<void> {
  const r = await new Deno.Command("cp", { args: ["-a", from, to] }).output();
  if (r.code !== 0) throw new Error(`cp -a ${from} ${to} failed`);
}

/** The tally of faults; each is a named check that either survives or fails with a reason. */
export class Tally {
  tried = 0;
  survived = 0;
  failures: string[] = [];
  lines: string[] = [];

  async fault(name: string, fn: () => Promise<string | void>): Promise<void> {
    this.tried += 1;
    const t0 = performance.now();
    try {
      const note = await fn();
      this.survived += 1;
      this.lines.push(
        `  ok    ${name} (${((performance.now() - t0) / 1000).toFixed(1)} s)${
          note ? `: ${note}` : ""
        }`,
      );
    } catch (e) {
      this.failures.push(`${name}: ${(e as Error).message}`);
      this.lines.push(`  FAIL  ${name}: ${(e as Error).message.split("\n")[0]}`);
    }
  }

  summary(): string {
    return [
      ...this.lines,
      `faults tried: ${this.tried}, survived: ${this.survived}`,
    ].join("\n");
  }

  /** Writes the tally (tried, survived, one line per fault) as JSON to `path`. */
  async record(path: string, seconds: number): Promise<void> {
    await Deno.mkdir(join(path, ".."), { recursive: true });
    await Deno.writeTextFile(
      path,
      JSON.stringify(
        {
          tried: this.tried,
          survived: this.survived,
          seconds,
          faults: this.lines.map((l) => l.trim()),
          failures: this.failures,
        },
        null,
        2,
      ) + "\n",
    );
  }
}
