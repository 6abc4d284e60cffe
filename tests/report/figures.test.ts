/**
 * The figure spec, its plotly JSON, the stroke-font PNG fallback, tables and span marks.
 */
import assert from "node:assert/strict";
import sharp from "sharp";
import { type Figure, toPlotly, validateFigure } from "../../src/report/figures.ts";
import { figurePng, figureSvg, niceTicks } from "../../src/report/png.ts";
import { formatNumber, renderReport, tableHtml } from "../../src/report/html.ts";
import { JUPYTER_DISPLAY, showFigure, showTable } from "../../src/report/display.ts";
import { highlightSpans } from "../../src/report/world_views.ts";
import { diffSpans } from "../../src/world/diff.ts";

const BAR: Figure = {
  kind: "bar",
  title: "Accuracy by group",
  yLabel: "accuracy %",
  references: [{ y: 25, label: "chance" }],
  series: [
    { name: "SFT", x: ["general", "vision"], y: [52, 41], error: [2, 3] },
    { name: "DPO", x: ["general", "vision"], y: [55, 45], error: { minus: [1, 1], plus: [2, 4] } },
  ],
};

Deno.test("toPlotly: grouped bars with asymmetric error bars and a reference line", () => {
  const { data, layout } = toPlotly(BAR);
  assert.equal(data.length, 2);
  assert.equal(data[0].type, "bar");
  assert.deepEqual(data[1].error_y, {
    type: "data",
    symmetric: false,
    array: [2, 4],
    arrayminus: [1, 1],
    color: "#333",
    thickness: 1.2,
  });
  assert.equal(layout.barmode, "group");
  assert.equal((layout.shapes as { y0: number }[])[0].y0, 25);
  const heat = toPlotly({ kind: "heatmap", title: "h", z: [[1, 2], [3, 4]], xLabels: ["a", "b"] });
  assert.equal(heat.data[0].type, "heatmap");
});

Deno.test("validateFigure: names the figure and series whose arrays disagree", () => {
  assert.throws(
    () =>
      validateFigure({
        kind: "line",
        title: "loss",
        series: [{ name: "train", x: [0, 1, 2], y: [1, 2] }],
      }),
    /figure "loss", series "train": 3 x values, 2 y values/,
  );
  assert.throws(
    () => validateFigure({ kind: "heatmap", title: "h", z: [[1, 2], [3]] }),
    /row 1 has 1 values/,
  );
});

Deno.test("figurePng: a PNG of the figure's size × scale, text drawn as paths", async () => {
  const png = await figurePng(BAR, 2);
  const meta = await sharp(png).metadata();
  assert.deepEqual([meta.format, meta.width, meta.height], ["png", 1440, 840]);
  const svg = figureSvg(BAR);
  assert.ok(!svg.includes("<text"), "no <text>: fonts may be missing");
  assert.ok(svg.includes("stroke-dasharray"), "reference line drawn");
});

Deno.test("niceTicks: round steps covering the range", () => {
  assert.deepEqual(niceTicks(0, 60), [0, 20, 40, 60]);
  assert.deepEqual(niceTicks(0.35, 0.7), [0.3, 0.4, 0.5, 0.6, 0.7]);
  assert.ok(niceTicks(5, 5).length >= 2);
});

Deno.test("tables: numbers right-aligned and compact, text escaped", () => {
  assert.equal(formatNumber(0.5), "0.5");
  assert.equal(formatNumber(4.8e-5), "4.80e-5");
  assert.equal(formatNumber(600), "600");
  const html = tableHtml(["a<b", "n"], [["x & y", 1.23456], [null, 2]]);
  assert.ok(html.includes("a&lt;b") && html.includes("x &amp; y") && html.includes(">1.235<"));
  const plain = String(showTable([{ family: "count", acc: 0.25 }]));
  assert.equal(plain, "family  acc\ncount   0.25");
});

Deno.test("showFigure: plotly JSON, PNG and an <img> fallback in one bundle", async () => {
  assert.equal(JUPYTER_DISPLAY, Symbol.for("Jupyter.display"));
  const bundle = (await showFigure(BAR))[JUPYTER_DISPLAY]();
  assert.deepEqual(Object.keys(bundle).sort(), [
    "application/vnd.plotly.v1+json",
    "image/png",
    "text/html",
    "text/plain",
  ]);
  assert.ok((bundle["text/html"] as string).startsWith('<img src="data:image/png;base64,'));
});

Deno.test("highlightSpans: marks exactly the differing spans of a preference pair", () => {
  const chosen = "I count 4 shapes. Answer: 4.";
  const rejected = "I count 3 shapes. Answer: 3.";
  const spans = diffSpans(chosen, rejected);
  const html = highlightSpans(chosen, spans.map((s) => s.chosenChars), "chosen");
  assert.equal(html.replace(/<[^>]+>/g, ""), chosen);
  assert.equal(html.match(/<mark class="chosen">/g)?.length, 2);
});

Deno.test("renderReport: one inlined plotly, figures with PNG fallbacks, no plotly without figures", async () => {
  const html = await renderReport({
    title: "t",
    sections: [{ title: "s", blocks: [{ kind: "figure", figure: BAR }] }],
  });
  assert.equal(html.match(/plotly\.js v\d/g)?.length, 1);
  assert.equal(html.match(/<img class="fallback" src="data:image\/png;base64,/g)?.length, 1);
  const plain = await renderReport({
    title: "t",
    sections: [{ title: "s", blocks: [{ kind: "text", text: "a `b`" }] }],
  });
  assert.ok(plain.length < 10000 && plain.includes("<code>b</code>"));
});
