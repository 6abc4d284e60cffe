/**
 * `deno task notebooks`: executes the notebooks in notebooks/ headless on the Deno kernel,
 * saves each executed notebook and its HTML export in the out directory, prints per notebook
 * its cells, code cells and code cells with outputs, and exits non-zero naming the notebook
 * and cell when any cell fails. Installs Jupyter and registers the Deno kernel when missing.
 *
 * The notebooks read their parameters from the environment: PIVOTLAB_PRESET (world/model
 * preset), PIVOTLAB_WORLD_DIR (where worlds are cached) and PIVOTLAB_RESULTS (a `reproduce`
 * output directory, for notebooks that show its results).
 */
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { integerFlag, parseFlags } from "../src/cli/args.ts";
import {
  formatNotebookRun,
  listNotebooks,
  type NotebookRun,
  runNotebook,
} from "../src/report/notebooks.ts";
import { ensureJupyter, MissingToolError } from "../src/report/setup.ts";

const USAGE = "deno task notebooks [--preset tiny|small|paper] [--only NAME] [--out DIR]";
const flags = parseFlags(Deno.args, {
  preset: {
    type: "string",
    default: "small",
    choices: ["tiny", "small", "paper"],
    description: "preset the notebooks use",
  },
  only: {
    type: "string",
    description: "run only notebooks whose file name starts with this (e.g. 00 or 01-world)",
  },
  out: {
    type: "string",
    default: "runs/notebooks",
    description: "where executed notebooks and HTML go",
  },
  world: { type: "string", default: "runs/world", description: "world cache directory" },
  results: {
    type: "string",
    description: "a `deno task reproduce` output directory to read results from " +
      "(default: runs/<preset> when it holds a results.json)",
  },
  timeout: { type: "string", default: "900", description: "seconds allowed per cell" },
}, USAGE);

const root = fileURLToPath(new URL("..", import.meta.url));
const notebooks = await listNotebooks(resolve(root, "notebooks"), flags.only as string | undefined);
if (notebooks.length === 0) {
  console.error(`error: no notebook in notebooks/ matches "${flags.only}"`);
  Deno.exit(2);
}
const timeout = integerFlag(flags, "timeout", USAGE);

try {
  await ensureJupyter();
} catch (error) {
  if (!(error instanceof MissingToolError)) throw error;
  console.error(error.message);
  Deno.exit(2);
}

const out = resolve(flags.out as string);
const env: Record<string, string> = {
  PIVOTLAB_PRESET: flags.preset as string,
  PIVOTLAB_WORLD_DIR: resolve(flags.world as string),
};
// Notebooks that show a `reproduce` run read --results, else runs/<preset> when it holds one
// (notebook 02 runs the preset itself when neither exists).
const results = (flags.results as string | undefined) ??
  [resolve(root, "runs", flags.preset as string)].find((d) => {
    try {
      return Deno.statSync(resolve(d, "results.json")).isFile;
    } catch {
      return false;
    }
  });
if (results) env.PIVOTLAB_RESULTS = resolve(results);

const runs: NotebookRun[] = [];
for (const path of notebooks) {
  console.log(`running ${path.slice(root.length)} (preset ${env.PIVOTLAB_PRESET})…`);
  const run = await runNotebook(path, out, { env, timeoutSeconds: timeout });
  runs.push(run);
  console.log(formatNotebookRun(run));
}
await Deno.writeTextFile(resolve(out, "summary.json"), JSON.stringify(runs, null, 2) + "\n");
console.log(`executed notebooks and HTML in ${out}`);
const failed = runs.filter((r) => r.error || !r.html);
if (failed.length) {
  for (const r of failed) {
    console.error(`error: ${r.notebook}: ${r.error ?? "HTML export failed"}`);
  }
  Deno.exit(1);
}
