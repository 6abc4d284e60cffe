/**
 * The notebooks, executed as users run them: `deno task notebooks --preset tiny --only NAME`
 * (which installs Jupyter and registers the Deno kernel if missing). Every code cell must
 * have all its outputs: one stream output when it logs, plus one output per show*() call.
 * The Deno kernel can report a cell idle before its last outputs, so a count short of that
 * means the runner lost outputs. 02 reads the shared tiny SFT-vs-DPO run; 03 and 04 read the
 * full tiny run (tests/experiments/tiny_reproduce.ts). Executed notebooks and HTML stay in
 * runs/test-artifacts/notebooks.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { NotebookRun } from "../../src/report/notebooks.ts";
import { runNotebook } from "../../src/report/notebooks.ts";
import { ensureJupyter } from "../../src/report/setup.ts";
import { pivotOf } from "../../src/report/pivot_claims.ts";
import { probesOf } from "../../src/report/probe_claims.ts";
import { tinyReproduce, tinyReproduceFull } from "../experiments/tiny_reproduce.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const OUT = join(ROOT, "runs/test-artifacts/notebooks");
const WORLD = join(ROOT, "runs/test-artifacts/world");

interface Output {
  output_type: string;
  name?: string;
  data?: Record<string, unknown>;
  ename?: string;
}
interface NotebookCell {
  cell_type: string;
  source: string | string[];
  outputs?: Output[];
}

const sourceOf = (c: NotebookCell) => (Array.isArray(c.source) ? c.source.join("") : c.source);
const codeCells = async (path: string): Promise<NotebookCell[]> =>
  (JSON.parse(await Deno.readTextFile(path)).cells as NotebookCell[]).filter((c) =>
    c.cell_type === "code"
  );

/** Outputs a code cell must produce: one stream if it logs, one per show*() call. */
function expectedOutputs(source: string): number {
  const logs = /console\.log\(/.test(source) ? 1 : 0;
  return logs + (source.match(/\bshow[A-Z]\w*\(/g)?.length ?? 0);
}

async function runTask(name: string, extra: string[] = []): Promise<NotebookRun> {
  const cmd = new Deno.Command(Deno.execPath(), {
    args: [
      "task",
      "notebooks",
      "--preset",
      "tiny",
      "--only",
      name,
      "--out",
      OUT,
      "--world",
      WORLD,
      ...extra,
    ],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  });
  const out = await cmd.output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  console.log(
    text.split("\n").filter((l) => l.includes("cells") || l.startsWith("error")).join("\n"),
  );
  assert.equal(out.code, 0, `deno task notebooks --only ${name} failed:\n${text.slice(-3000)}`);
  const runs = JSON.parse(await Deno.readTextFile(join(OUT, "summary.json"))) as NotebookRun[];
  assert.equal(runs.length, 1);
  return runs[0];
}

/** The text of every output of the executed notebook (streams and text/plain parts). */
async function outputText(run: NotebookRun): Promise<string> {
  const cells = await codeCells(run.executed);
  return cells.flatMap((c) => c.outputs ?? []).map((o) => {
    const text = (o as { text?: string | string[] }).text;
    const plain = o.data?.["text/plain"];
    const join = (x: unknown) => (Array.isArray(x) ? x.join("") : typeof x === "string" ? x : "");
    return join(text) + join(plain);
  }).join("\n");
}

async function checkNotebook(name: string, extra: string[] = []): Promise<NotebookRun> {
  const run = await runTask(name, extra);
  assert.equal(run.error, null);
  const source = await codeCells(join(ROOT, "notebooks", `${name}.ipynb`));
  const executed = await codeCells(run.executed);
  assert.equal(executed.length, source.length);
  assert.equal(run.code_cells_with_outputs, run.code_cells, "every code cell has outputs");
  executed.forEach((cell, i) => {
    const outputs = cell.outputs ?? [];
    const want = expectedOutputs(sourceOf(source[i]));
    assert.ok(want > 0, `code cell ${i} of ${name} shows nothing: every code cell should`);
    assert.equal(
      outputs.length,
      want,
      `code cell ${i} of ${name}: ${outputs.length} outputs, expected ${want} ` +
        `(${outputs.map((o) => o.output_type).join(", ")})`,
    );
    for (const o of outputs) {
      assert.notEqual(o.output_type, "error", `code cell ${i} of ${name} raised ${o.ename}`);
      assert.notEqual(o.name, "stderr", `code cell ${i} of ${name} wrote to stderr`);
    }
  });
  // Figures carry plotly JSON and a PNG; the HTML export keeps the pictures.
  const bundles = executed.flatMap((c) => c.outputs ?? []).map((o) => o.data ?? {});
  const figures = bundles.filter((d) => "application/vnd.plotly.v1+json" in d);
  assert.ok(figures.length > 0, "the notebook shows figures");
  for (const d of figures) {
    assert.ok(typeof d["image/png"] === "string" && (d["image/png"] as string).length > 1000);
  }
  assert.ok(run.html, "HTML export");
  const html = await Deno.readTextFile(run.html!);
  const images = html.match(/<img src="data:image\/png;base64,/g)?.length ?? 0;
  assert.ok(
    images >= figures.length,
    `HTML export has ${images} inline PNGs for ${figures.length} figures`,
  );
  console.log(`${name}: ${run.seconds.toFixed(1)} s to execute`);
  return run;
}

Deno.test({
  name: "notebook 00-engine runs on tiny with every output kept",
  // The runner drives Jupyter and a Deno kernel in child processes; their pipes and timers
  // are not this test's ops, so the sanitizers would misreport them.
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await checkNotebook("00-engine");
  },
});

Deno.test({
  name: "notebook 01-world runs on tiny with every output kept",
  // The runner drives Jupyter and a Deno kernel in child processes; their pipes and timers
  // are not this test's ops, so the sanitizers would misreport them.
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await checkNotebook("01-world");
  },
});

Deno.test({
  name: "notebook 02-sft-vs-dpo on the tiny reproduce run's results, with every output kept",
  // The runner drives Jupyter and a Deno kernel in child processes; their pipes and timers
  // are not this test's ops, so the sanitizers would misreport them.
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    // The tiny run shared with tests/experiments/sft_vs_dpo_tiny.test.ts (PIVOTLAB_RESULTS).
    const run = await tinyReproduce();
    const results = JSON.parse(await Deno.readTextFile(join(run.out, "results.json")));
    if (!results.sftVsDpo || "pending" in results.sftVsDpo) {
      console.log(`SKIPPED: the tiny run has no SFT-vs-DPO results (exit ${run.code})`);
      return;
    }
    await checkNotebook("02-sft-vs-dpo", ["--results", run.out]);
  },
});

/**
 * The full tiny reproduce run's folder and results (shared with the report-in-Chromium test),
 * or null (with a SKIPPED line) when it has no SFT-vs-DPO results to build on.
 */
async function tinyResults(): Promise<{ out: string; results: Record<string, unknown> } | null> {
  const run = await tinyReproduceFull();
  const results = JSON.parse(await Deno.readTextFile(join(run.out, "results.json")));
  if (!results.sftVsDpo || "pending" in results.sftVsDpo) {
    console.log(`SKIPPED: the tiny run has no SFT-vs-DPO results (exit ${run.code})`);
    return null;
  }
  return { out: run.out, results };
}

Deno.test({
  name: "notebook 03-encoder-probing on the full tiny reproduce run, with every output kept",
  // The runner drives Jupyter and a Deno kernel in child processes; their pipes and timers
  // are not this test's ops, so the sanitizers would misreport them.
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    // Reads results.probes, or (a run without it) runs the analyses in the run's folder on
    // its SFT-vs-DPO stages, as reproduce would.
    const tiny = await tinyResults();
    if (!tiny) return;
    const run = await checkNotebook("03-encoder-probing", ["--results", tiny.out]);
    const text = await outputText(run);
    const source = probesOf(tiny.results)
      ? "read the tiny encoder analyses"
      : "ran the tiny encoder";
    assert.ok(text.includes(source), `the notebook says where its numbers come from ("${source}")`);
    for (const id of ["F1", "F3", "F4", "F5", "C4"]) {
      assert.match(text, new RegExp(`^${id} (holds|does not hold|inconclusive|not run yet):`, "m"));
    }
    const html = await Deno.readTextFile(run.html!);
    assert.ok(
      html.includes("Gradient maps at the start") && html.includes("Gradient maps at the end"),
    );
  },
});

Deno.test({
  name: "notebook 04-pivot on the full tiny reproduce run, with every output kept",
  // The runner drives Jupyter and a Deno kernel in child processes; their pipes and timers
  // are not this test's ops, so the sanitizers would misreport them.
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    // Reads results.pivot, or (a run without it) runs PIVOT in the run's folder with the
    // SFT-vs-DPO run's selected lrs, as reproduce would.
    const tiny = await tinyResults();
    if (!tiny) return;
    const run = await checkNotebook("04-pivot", ["--results", tiny.out]);
    const text = await outputText(run);
    const source = pivotOf(tiny.results) ? "read the tiny PIVOT results" : "ran tiny PIVOT";
    assert.ok(text.includes(source), `the notebook says where its numbers come from ("${source}")`);
    assert.equal(text.match(/^F6 (holds|does not hold|inconclusive|not run yet):/gm)?.length, 2);
    for (const label of ["vit-s original", "vit-s +SFT", "vit-s +PIVOT"]) {
      assert.ok(text.includes(label), `the table has the row ${label}`);
    }
    assert.match(text, /SFT-vs-DPO experiment's selected lrs/, "evolved at the selected lrs");
    assert.ok((await Deno.readTextFile(run.html!)).includes("<svg"), "the recipe diagram");
  },
});

Deno.test({
  name: "notebook runner: a failing cell fails the run, naming the cell; earlier outputs are saved",
  // The runner drives Jupyter and a Deno kernel in child processes; their pipes and timers
  // are not this test's ops, so the sanitizers would misreport them.
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await ensureJupyter();
    const dir = await Deno.makeTempDir({ prefix: "pivotlab-nb-" });
    try {
      const cell = (source: string) => ({
        cell_type: "code",
        source,
        metadata: {},
        outputs: [],
        execution_count: null,
      });
      const nb = {
        nbformat: 4,
        nbformat_minor: 5,
        metadata: { kernelspec: { name: "deno", display_name: "Deno", language: "typescript" } },
        cells: [
          cell('console.log("first");'),
          cell('throw new Error("boom in cell");'),
          cell('console.log("never");'),
        ],
      };
      await Deno.writeTextFile(join(dir, "fails.ipynb"), JSON.stringify(nb));
      const run = await runNotebook(join(dir, "fails.ipynb"), join(dir, "out"));
      assert.match(run.error ?? "", /cell 1 .*boom in cell/);
      const cells = await codeCells(run.executed);
      assert.equal(cells[0].outputs?.[0]?.output_type, "stream");
      assert.equal(cells[1].outputs?.some((o) => o.output_type === "error"), true);
      assert.equal(cells[2].outputs?.length ?? 0, 0, "cells after the failure do not run");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
