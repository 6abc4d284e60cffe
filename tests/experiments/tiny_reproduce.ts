/**
 * One `deno task reproduce --preset tiny --only sft-vs-dpo` per test process, shared by the
 * tests that need a real run (the end-to-end SFT-vs-DPO test, the fault suite, notebook 02):
 * it is the slowest thing in the suite, so it runs once per `deno test` process. The whole
 * reproduction (`tinyReproduceFull`: every part, for the report-in-Chromium test and the
 * notebooks of the later parts) continues from a copy of that run's folder, so only the
 * parts after SFT vs DPO are computed again. The run goes into a temporary folder (removed by the next test process once this
 * one has ended); tests copy what they keep into runs/test-artifacts/.
 */

import { fileURLToPath } from "node:url";

/** The repository root. */
export const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** What the run left: its folder, exit code, output and wall time. */
export interface TinyRun {
  out: string;
  code: number;
  log: string;
  seconds: number;
}

let run: Promise<TinyRun> | null = null;
let full: Promise<TinyRun> | null = null;

const PREFIX = "pivotlab-reproduce-tiny-";

/** Whether a process is alive (Linux /proc; elsewhere assumed alive). */
function alive(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch (e) {
    return !(e instanceof Deno.errors.NotFound);
  }
}

/**
 * The shared tiny run. Deno runs each test file in its own isolate of one process, so the
 * run is shared through a folder named after the process id: the first file to ask runs it
 * and writes `run.json`; later files read that. Folders of test processes that have ended
 * are removed.
 */
export function tinyReproduce(): Promise<TinyRun> {
  if (!run) {
    run = (async () => {
      const tmp = Deno.env.get("TMPDIR") ?? "/tmp";
      for (const e of Deno.readDirSync(tmp)) {
        const pid = parseInt(e.name.slice(PREFIX.length), 10); // "<pid>" or "<pid>-full"
        if (e.name.startsWith(PREFIX) && pid !== Deno.pid && !alive(pid)) {
          Deno.removeSync(`${tmp}/${e.name}`, { recursive: true });
        }
      }
      const out = `${tmp}/${PREFIX}${Deno.pid}`;
      try {
        return JSON.parse(await Deno.readTextFile(`${out}/run.json`)) as TinyRun;
      } catch {
        // not run yet in this process
      }
      await Deno.remove(out, { recursive: true }).catch(() => {});
      await Deno.mkdir(out, { recursive: true });
      return await reproduceInto(out, ["--only", "sft-vs-dpo"]);
    })();
  }
  return run;
}

/** Runs a task script (`tasks/<name>.ts`) as a child process: exit code and all output. */
export async function runTaskScript(
  script: string,
  args: string[],
): Promise<{ code: number; log: string }> {
  const p = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script, ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: p.code, log: dec.decode(p.stdout) + dec.decode(p.stderr) };
}

/** Runs `reproduce --preset tiny ...args` as a child process: exit code and all output. */
export function runReproduceTiny(args: string[]): Promise<{ code: number; log: string }> {
  return runTaskScript("tasks/reproduce.ts", ["--preset", "tiny", ...args]);
}

/** Runs `reproduce --preset tiny ...extra --out out` and records the run in `out/run.json`. */
async function reproduceInto(out: string, extra: string[]): Promise<TinyRun> {
  const start = performance.now();
  const p = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "tasks/reproduce.ts", "--preset", "tiny", ...extra, "--out", out],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  const result: TinyRun = {
    out,
    code: p.code,
    log: dec.decode(p.stdout) + dec.decode(p.stderr),
    seconds: (performance.now() - start) / 1000,
  };
  await Deno.writeTextFile(`${out}/run.json`, JSON.stringify(result));
  return result;
}

/**
 * The shared tiny run of every part (`reproduce --preset tiny`, no `--only`), continued from a
 * copy of `tinyReproduce()`'s folder (its cached stages), in `<that folder>-full`.
 */
export function tinyReproduceFull(): Promise<TinyRun> {
  if (!full) {
    full = (async () => {
      const base = await tinyReproduce();
      const out = `${base.out}-full`;
      try {
        return JSON.parse(await Deno.readTextFile(`${out}/run.json`)) as TinyRun;
      } catch {
        // not run yet in this process
      }
      await Deno.remove(out, { recursive: true }).catch(() => {});
      const cp = await new Deno.Command("cp", { args: ["-a", base.out, out] }).output();
      if (cp.code !== 0) throw new Error(`cp -a ${base.out} ${out} failed`);
      await Deno.remove(`${out}/run.json`);
      return await reproduceInto(out, []);
    })();
  }
  return full;
}
