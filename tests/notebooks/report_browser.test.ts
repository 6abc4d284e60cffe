/**
 * The HTML report opened in headless Chromium, through `deno task check-report` (Debian's
 * Chromium driven by playwright-core, installed with apt when missing; a subprocess because
 * playwright-core needs --allow-all): every chart is drawn by the inlined plotly (its
 * `.main-svg` is on the page, the PNG fallback gone), nothing is logged to the console, and
 * with JavaScript off the PNG fallbacks show instead. The report and a screenshot are kept
 * in runs/test-artifacts/.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { BrowserCheck } from "../../src/report/browser.ts";
import { type ReportSpec, writeReport } from "../../src/report/html.ts";
import { tinyReproduceFull } from "../experiments/tiny_reproduce.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const OUT = join(ROOT, "runs/test-artifacts");

const SPEC: ReportSpec = {
  title: "pivotlab report (smoke test)",
  subtitle: "two figures, a table and a claims table",
  sections: [
    {
      title: "Claims",
      blocks: [
        {
          kind: "text",
          text: "Verdicts are computed from the measurements, never written by hand.",
        },
        {
          kind: "claims",
          claims: [
            {
              id: "F2",
              claim: "DPO beats SFT on vision-heavy groups",
              measured: "+3.1 [1.2, 5.0]",
              paper: "+2 to +4",
              verdict: "holds",
            },
            {
              id: "F3",
              claim: "Linear-probe accuracy is higher after DPO",
              measured: "−0.4 [−1.9, 1.1]",
              paper: "+1.2",
              verdict: "inconclusive",
            },
            {
              id: "F6",
              claim: "PIVOT beats a larger encoder",
              measured: "−2.0 [−3.1, −0.9]",
              paper: "+1.5",
              verdict: "does not hold",
              note: "toy scale",
            },
          ],
        },
      ],
    },
    {
      title: "Figures",
      blocks: [
        {
          kind: "figure",
          caption: "Accuracy by group, mean and 95% interval over 3 seeds.",
          figure: {
            kind: "bar",
            title: "Accuracy by group",
            yLabel: "accuracy %",
            references: [{ y: 25, label: "chance" }],
            series: [
              {
                name: "SFT",
                x: ["general", "vision", "ocr_chart", "knowledge"],
                y: [52, 41, 38, 60],
                error: [2, 3, 2.5, 1],
              },
              {
                name: "DPO",
                x: ["general", "vision", "ocr_chart", "knowledge"],
                y: [55, 45, 41, 60.5],
                error: [2, 3, 2.5, 1],
              },
            ],
          },
        },
        {
          kind: "figure",
          figure: {
            kind: "line",
            title: "Training loss",
            xLabel: "step",
            yLabel: "loss",
            series: [{ name: "DPO", x: [0, 10, 20, 30], y: [0.69, 0.52, 0.41, 0.37] }],
          },
        },
        {
          kind: "table",
          columns: ["arm", "accuracy", "items"],
          rows: [["SFT", 0.5123, 600], ["DPO", 0.5391, 600]],
        },
      ],
    },
  ],
};

/** Runs `deno task check-report` on a report; returns its findings. */
async function checkReport(report: string, screenshot: string) {
  await Deno.remove(screenshot).catch(() => {});
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "check-report", "--report", report, "--screenshot", screenshot],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  const line = stdout.split("\n").find((l) => l.startsWith("{"));
  assert.ok(line, `check-report printed no result (exit ${out.code}):\n${stderr.slice(-2000)}`);
  return { code: out.code, check: JSON.parse(line) as BrowserCheck & { failures: string[] } };
}

Deno.test({
  name: "the tiny reproduce's report.html in headless Chromium: every chart renders, no console " +
    "errors, a verdict or 'not run yet' per claim; screenshot kept",
  sanitizeResources: false,
  fn: async () => {
    const run = await tinyReproduceFull(); // every part; shared with the notebooks' tests
    const keep = join(OUT, "reproduce-tiny");
    await Deno.mkdir(keep, { recursive: true });
    const report = join(keep, "report.html");
    await Deno.copyFile(join(run.out, "report.html"), report);
    await Deno.copyFile(join(run.out, "results.json"), join(keep, "results.json"));
    const { code, check } = await checkReport(report, join(keep, "report.png"));
    console.log(
      `figures ${check.figures}, .main-svg per figure ${check.mainSvgPerFigure.join("/")}, ` +
        `badges ${check.badges}, screenshot ${check.screenshot}`,
    );
    assert.deepEqual(check.failures, []);
    assert.equal(code, 0);
    const results = JSON.parse(await Deno.readTextFile(join(keep, "results.json")));
    assert.equal(run.code, 0, `the tiny reproduce failed:\n${run.log.slice(-2000)}`);
    for (const part of ["sftVsDpo", "probes", "pivot"]) {
      assert.ok(results[part] && !("pending" in results[part]), `results.json lacks ${part}`);
    }
    assert.ok(check.figures >= 10, `${check.figures} figures`);
    const { CLAIMS, readmeResultsSection } = await import("../../src/report/reproduce_report.ts");
    assert.equal(check.badges, CLAIMS.length, "one badge per claim");
    // The README section carries the probes' linear-probe table and PIVOT's Table 2 as text.
    const readme = readmeResultsSection({ results, mtime: null, outDir: keep }, { outDir: keep });
    assert.match(readme, /Encoder analyses\. Linear-probe test top-1 \(%\)/);
    assert.match(readme, /```text\nencoder +seeds +linear /);
    assert.match(readme, /PIVOT \(the paper's Table 2\)\. Test accuracy \(%\) of a fresh MLLM/);
    assert.match(readme, /```text\nencoder +variant +Stage 3 +ViT params/);
    assert.match(readme, /\nvit-s +\+PIVOT +frozen, fresh projector/);
    assert.ok((await Deno.stat(join(keep, "report.png"))).size > 50000, "screenshot kept");
  },
});

Deno.test({
  name:
    "report.html in headless Chromium: every chart renders, no console errors, PNG fallbacks without JS",
  fn: async () => {
    await Deno.mkdir(OUT, { recursive: true });
    const report = join(OUT, "report.html");
    const screenshot = join(OUT, "report.png");
    await Deno.remove(screenshot).catch(() => {});
    await writeReport(report, SPEC);
    const size = (await Deno.stat(report)).size;
    assert.ok(size > 4e6, `report of ${size} bytes: plotly.js is not inlined`);
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["task", "check-report", "--report", report, "--screenshot", screenshot],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(out.stdout);
    const stderr = new TextDecoder().decode(out.stderr);
    const line = stdout.split("\n").find((l) => l.startsWith("{"));
    assert.ok(line, `check-report printed no result (exit ${out.code}):\n${stderr.slice(-2000)}`);
    const check = JSON.parse(line) as BrowserCheck & { failures: string[] };
    console.log(
      `figures ${check.figures}, .main-svg per figure ${check.mainSvgPerFigure.join("/")}, ` +
        `fallback widths without JS ${
          check.fallbackWidthsWithoutJs.join("/")
        }, badges ${check.badges}`,
    );
    assert.deepEqual(check.failures, []);
    assert.equal(out.code, 0);
    assert.equal(check.figures, 2);
    for (const n of check.mainSvgPerFigure) assert.ok(n > 0);
    assert.equal(check.badges, 3);
    assert.ok((await Deno.stat(screenshot)).size > 10000, "screenshot kept");
  },
});
