/**
 * Executes notebooks headless on the Deno kernel (tools/run_notebook.py, which keeps every
 * output the kernel sends after a cell reports idle) and exports them to HTML with nbconvert.
 * @module
 */
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { SYSTEM_PYTHON } from "./setup.ts";

/** The runner script (Python, on Debian's jupyter_client). */
export const RUNNER = fileURLToPath(new URL("../../tools/run_notebook.py", import.meta.url));

/** What the runner reports for one notebook. */
export interface NotebookRun {
  notebook: string;
  cells: number;
  code_cells: number;
  code_cells_with_outputs: number;
  outputs: number;
  /** Outputs that arrived after their cell reported idle (plain nbclient would drop them). */
  late_outputs: number;
  seconds: number;
  /** "cell N (first line) raised E: message", or null. */
  error: string | null;
  /** Paths of the executed notebook and its HTML export (null if the export failed). */
  executed: string;
  html: string | null;
}

/** The notebooks in a directory (*.ipynb, sorted), optionally only those whose name starts with `only`. */
export async function listNotebooks(dir: string, only?: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isFile && e.name.endsWith(".ipynb") && (!only || e.name.startsWith(only))) {
      names.push(e.name);
    }
  }
  return names.sort().map((n) => join(dir, n));
}

async function output(cmd: string, args: string[], env: Record<string, string>, cwd?: string) {
  const out = await new Deno.Command(cmd, { args, env, cwd, stdout: "piped", stderr: "piped" })
    .output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

/**
 * Runs one notebook with the kernel's working directory set to the notebook's folder (as in
 * JupyterLab) and `env` added to the environment; saves `<outDir>/<name>.ipynb` and
 * `<outDir>/<name>.html`. Never throws for a cell error: it is in `error`.
 */
export async function runNotebook(
  path: string,
  outDir: string,
  opts: { env?: Record<string, string>; timeoutSeconds?: number; kernel?: string } = {},
): Promise<NotebookRun> {
  await Deno.mkdir(outDir, { recursive: true });
  const executed = join(outDir, basename(path));
  const args = [
    RUNNER,
    path,
    executed,
    "--kernel",
    opts.kernel ?? "deno",
    "--timeout",
    String(opts.timeoutSeconds ?? 900),
  ];
  const run = await output(SYSTEM_PYTHON, args, opts.env ?? {});
  const line = run.stdout.trim().split("\n").findLast((l) => l.startsWith("{"));
  if (!line) {
    const why = run.stderr.trim().split("\n").filter((l) => !l.includes("is unstable")).slice(-5)
      .join("\n");
    throw new Error(`notebook runner failed on ${basename(path)} (exit ${run.code}): ${why}`);
  }
  const summary = JSON.parse(line);
  const exported = await output(SYSTEM_PYTHON, [
    "-m",
    "nbconvert",
    "--to",
    "html",
    "--output-dir",
    outDir,
    executed,
  ], {});
  const html = exported.code === 0 ? executed.replace(/\.ipynb$/, ".html") : null;
  if (!html) {
    console.error(
      `pivotlab: HTML export of ${executed} failed: ${exported.stderr.trim().split("\n").at(-1)}`,
    );
  }
  return { ...summary, executed, html };
}

/** One summary line for a notebook run. */
export function formatNotebookRun(r: NotebookRun): string {
  return `${r.notebook}: ${r.cells} cells, ${r.code_cells} code cells, ${r.code_cells_with_outputs} with outputs ` +
    `(${r.outputs} outputs, ${r.late_outputs} arrived after idle), ${r.seconds} s` +
    (r.error ? `\n  FAILED: ${r.error}` : "");
}
