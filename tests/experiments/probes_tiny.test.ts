/**
 * The encoder analyses end to end on `tiny`: on the shared tiny reproduce folder
 * (tiny_reproduce.ts), pretraining and SFT vs DPO are all cache hits, then `runProbes` runs
 * the main probes (E0, 1b, SFT, DPO, unlikelihood × seeds), the gradient maps, the data-size
 * sweep and trains the LM- and encoder-size sweeps' runs. Checks the result's structure
 * (every encoder × seed, every table and figure, intervals and verdicts present, numbers
 * finite and in range), that the sweeps' runs exist on disk, that the claims' measures read
 * the result (also after a JSON round trip, as results.json holds it), and that a rerun is
 * served from the cache. Reports the wall time of the first run (target: ≤ ~90 s here; not
 * asserted, the machine is shared).
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { tinyReproduce } from "./tiny_reproduce.ts";
import { pretrain } from "../../src/train/pretrain.ts";
import { pretrainProtocol } from "../../src/protocol/presets.ts";
import { runSftVsDpo, type SftVsDpoResult } from "../../src/experiments/sft_vs_dpo.ts";
import { type ProbesResult, runProbes } from "../../src/experiments/probes.ts";
import { probesProtocol } from "../../src/protocol/probes.ts";
import { type ProbesRecord, probesRecord, probesReport } from "../../src/report/probe_views.ts";
import {
  measureC4,
  measureF1,
  measureF3Probe,
  measureF3Trend,
  measureF4Grad,
  measureF4Seg,
  measureF5,
} from "../../src/report/probe_claims.ts";
import { validateFigure } from "../../src/report/figures.ts";
import type { SeedSummary } from "../../src/stats/mod.ts";
import { gpuReady } from "../helpers.ts";

await gpuReady();

const VERDICTS = ["holds", "does not hold", "inconclusive"];

function checkFraction(x: number, what: string) {
  assert.ok(Number.isFinite(x) && x >= 0 && x <= 1, `${what}: ${x}`);
}

function checkSummary(s: SeedSummary, n: number, what: string) {
  assert.equal(s.n, n, `${what}: ${s.n} values, expected ${n}`);
  s.values.forEach((v) => checkFraction(v, what));
  if (n >= 2) {
    assert.ok(s.sd !== null && s.ci95 !== null, `${what}: no spread with ${n} seeds`);
    assert.ok(s.ci95![0] <= s.mean && s.mean <= s.ci95![1], `${what}: interval`);
  }
}

async function stageExists(out: string, name: string, key16: string): Promise<boolean> {
  try {
    await Deno.stat(join(out, "stages", name, key16, "done.json"));
    return true;
  } catch {
    return false;
  }
}

function checkResult(r: ProbesRecord, svd: SftVsDpoResult) {
  const p = probesProtocol("tiny");
  const labels = p.linear.labels;
  // Main: every encoder × seed, both views for MLLM encoders, every label set, seg probe.
  for (const id of ["e0", "base-1b", "tuned/sft", "tuned/dpo", "tuned/unlikelihood"]) {
    const e = r.encoders.find((x) => x.id === id && x.study === "main");
    assert.ok(e, `main encoder ${id}`);
    const n = id === "e0" ? 1 : svd.seeds.length;
    assert.equal(e.probes.length, n, `${id}: probes per seed`);
    if (id !== "e0") assert.deepEqual(e.seeds, svd.seeds);
    const views = id === "e0" ? ["vit"] : ["vit", "projector"];
    for (const pr of e.probes) {
      assert.deepEqual(Object.keys(pr.views).sort(), [...views].sort(), `${id} views`);
      for (const v of views) {
        const vr = pr.views[v as "vit" | "projector"]!;
        for (const l of labels) {
          const lin = vr.linear[l]!;
          checkFraction(lin.testTop1, `${id} ${l} ${v}`);
          assert.equal(lin.testCorrect.length, lin.nTest);
          assert.ok(p.linear.cGrid.includes(lin.c), `${id}: C from the grid`);
        }
        if (!p.seg.views.includes(v as "vit" | "projector")) {
          assert.equal(vr.seg, null);
          continue;
        }
        assert.ok(vr.seg, `${id} ${v}: seg probe`);
        assert.equal(vr.seg!.seeds.length, p.seg.seeds.length);
        checkSummary(vr.seg!.macroRecall, p.seg.seeds.length, `${id} ${v} seg recall`);
        checkSummary(vr.seg!.mIoU, p.seg.seeds.length, `${id} ${v} seg mIoU`);
      }
    }
    for (const [k, s] of Object.entries(e.scores)) checkSummary(s, n, `${id} ${k}`);
    assert.ok(r.headline.metric in e.scores, `${id}: headline score`);
  }
  // Data sweep: every size × arm over the sweep seeds, with trends.
  for (const size of svd.plan.sizes) {
    for (const arm of ["sft", "dpo"]) {
      const e = r.encoders.find((x) => x.id === `size-${size}/${arm}` && x.study === "data");
      assert.ok(e, `data ${size} ${arm}`);
      assert.deepEqual(e.seeds, r.dataSweep.seeds);
      checkSummary(e.scores[r.headline.metric], r.dataSweep.seeds.length, `data ${size}`);
    }
  }
  for (const arm of ["dpo", "sft"]) {
    const t = r.comparisons.find((c) =>
      c.study === "data" && c.id === `${arm} trend` && c.metric === r.headline.metric
    );
    assert.ok(t && t.ci95 !== null, `${arm} trend with an interval`);
  }
  // LM sweep: base, SFT, DPO per LM size.
  for (const size of p.lmSweep.sizes) {
    for (const kind of ["base-1b", "sft", "dpo"]) {
      const e = r.encoders.find((x) => x.id === `${size}/${kind}` && x.study === "lm");
      assert.ok(e, `lm ${size} ${kind}`);
      assert.equal(e.probes.length, p.lmSweep.seeds.length);
      assert.ok(e.probes.every((x) => x.views.vit?.seg), "LM sweep: seg probe");
    }
  }
  // Encoder sweep: VQA by group per encoder size and arm.
  for (const size of p.encoderSweep.sizes) {
    for (const arm of ["sft", "dpo"]) {
      const e = r.encoderSweep.entries.find((x) => x.id === `${size}/${arm}`);
      assert.ok(e, `encoder ${size} ${arm}`);
      for (const s of Object.values(e.test)) checkSummary(s, p.encoderSweep.seeds.length, size);
    }
  }
  // Gradient maps: every seed, every point × loss × group, sheets.
  assert.equal(r.gradMaps.perSeed.length, svd.seeds.length);
  for (const s of r.gradMaps.summary) {
    checkSummary(s.share, svd.seeds.length, `grad share ${s.point} ${s.loss} ${s.group}`);
    checkSummary(s.pointing, svd.seeds.length, `grad pointing ${s.point} ${s.loss} ${s.group}`);
  }
  for (const point of ["start", "end"]) {
    for (const loss of ["sft", "dpo"]) {
      assert.ok(
        r.gradMaps.summary.some((s) =>
          s.point === point && s.loss === loss && s.group === "visionAverage"
        ),
        `grad ${point} ${loss}`,
      );
    }
  }
  assert.deepEqual(r.gradMaps.sheets.map((s) => s.point), ["start", "end"]);
  // Comparisons: every study, each with seeds, a finite difference and a verdict.
  const studies = new Set(r.comparisons.map((c) => c.study));
  assert.deepEqual([...studies].sort(), ["data", "encoder", "gradmaps", "lm", "main"]);
  for (const c of r.comparisons) {
    assert.ok(VERDICTS.includes(c.verdict), `${c.id} ${c.metric}: ${c.verdict}`);
    assert.ok(Number.isFinite(c.diff) && Math.abs(c.diff) <= 1, `${c.id}: ${c.diff}`);
    assert.ok(c.seeds >= 1);
    if (c.method === "seed × item" || c.method === "difference") {
      assert.ok(c.ci95 && c.ci95[0] <= c.diff && c.diff <= c.ci95[1], `${c.id}: interval`);
    }
    if (c.seeds >= 2) assert.ok(c.ci95, `${c.id} ${c.metric}: interval with ${c.seeds} seeds`);
  }
  for (const metric of [r.headline.metric, "seg recall (vit)"]) {
    assert.ok(
      r.comparisons.some((c) =>
        c.study === "main" && c.id === "tuned/dpo − tuned/sft" && c.metric === metric
      ),
      `DPO − SFT on ${metric}`,
    );
  }
}

function checkReport(r: ProbesRecord) {
  const { sections } = probesReport(r);
  assert.equal(sections.length, 5);
  for (const s of sections) {
    const kinds = s.blocks.map((b) => b.kind);
    assert.ok(kinds.includes("table") && kinds.includes("figure"), `${s.title}: ${kinds}`);
    for (const b of s.blocks) {
      if (b.kind === "figure") validateFigure(b.figure);
      if (b.kind === "table") {
        for (const row of b.rows) assert.equal(row.length, b.columns.length, s.title);
      }
      if (b.kind === "image") assert.deepEqual([...b.png.slice(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
    }
  }
  const results = { probes: r };
  for (const m of [measureF1, measureF3Probe, measureF3Trend, measureF4Seg, measureF4Grad]) {
    const c = m(results);
    assert.ok(c && VERDICTS.includes(c.verdict) && c.measured.length > 0, m.name);
  }
  for (const m of [measureF5, measureC4]) {
    const c = m(results);
    assert.ok(c && VERDICTS.includes(c.verdict), m.name);
    console.log(`${m.name}: ${c.measured} → ${c.verdict}`);
  }
  assert.equal(measureF3Probe({}), null, "no probes: not run yet");
  assert.equal(measureF5({ probes: { pending: "x" } }), null);
}

Deno.test({
  name: "runProbes on tiny: probes, gradient maps and sweeps with seeds, intervals, verdicts",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const { out, code, log } = await tinyReproduce();
    assert.equal(code, 0, log.slice(-2000));
    const quiet = () => {};
    const pre = await pretrain(pretrainProtocol("tiny"), { out, log: quiet });
    const svd = await runSftVsDpo(pre, "tiny", { out, log: quiet });
    assert.ok(!("pending" in svd), "sft-vs-dpo ran");
    const s = svd as SftVsDpoResult;
    assert.ok(s.stages.every((x) => x.cached), "SFT vs DPO: every stage from the cache");

    let t0 = performance.now();
    const first = await runProbes(pre, s, "tiny", { out, log: quiet });
    const firstS = (performance.now() - t0) / 1000;
    const computed = Object.values(first.computed).reduce((a, b) => a + b, 0);
    console.log(
      `runProbes (tiny): ${firstS.toFixed(1)} s, ${computed} stages computed ` +
        `(${JSON.stringify(first.computed)})`,
    );
    checkResult(first, s);
    checkReport(first);

    // The sweeps' runs exist: the LM-m and ViT-L models and their evaluation.
    for (const e of first.encoders.filter((x) => x.study === "lm" && x.size === "lm-m")) {
      const name = e.kind === "base-1b" ? "mllm-1b" : `mllm-2-${e.kind}`;
      for (const k of e.models) assert.ok(await stageExists(out, name, k), `${e.id} [${k}]`);
    }
    for (const e of first.encoderSweep.entries.filter((x) => x.size === "vit-l")) {
      for (const k of e.models) assert.ok(await stageExists(out, `mllm-2-${e.arm}`, k), e.id);
    }

    // As results.json holds it.
    const record = JSON.parse(JSON.stringify(probesRecord(first))) as ProbesRecord;
    checkResult(record, s);
    checkReport(record);

    // A rerun is served from the cache and gives the same numbers.
    t0 = performance.now();
    const again: ProbesResult = await runProbes(pre, s, "tiny", { out, log: quiet });
    const againS = (performance.now() - t0) / 1000;
    console.log(`rerun: ${againS.toFixed(1)} s, computed ${JSON.stringify(again.computed)}`);
    assert.deepEqual(again.computed, {}, "rerun: nothing computed");
    const json = (x: unknown) => JSON.parse(JSON.stringify(x));
    assert.deepEqual(json(again.comparisons), json(first.comparisons));
    assert.deepEqual(json(again.encoders), json(first.encoders));
    assert.ok(againS < 30, `rerun took ${againS} s`);
  },
});
