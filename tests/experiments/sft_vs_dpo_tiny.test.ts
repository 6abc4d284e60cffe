/**
 * End to end: `deno task reproduce --preset tiny --only sft-vs-dpo` as a subprocess into a
 * temporary folder (one run shared with the report and notebook tests: tiny_reproduce.ts).
 * Checks the SFT-vs-DPO table's structure (every configuration × group has a mean, a spread
 * and a 95% interval; every comparison a verdict among holds / does not hold / inconclusive;
 * DPO − SFT is compared per group), that report.html (claims first) and a PNG per figure
 * were written, that every Stage 1/2 training stage's loss fell, and reports the wall time
 * (the target is ≤ 3 minutes; not asserted, the machine is shared). While the training side (src/protocol/posttrain.ts,
 * src/train/mllm/) has not landed, the run exits 4 saying so, and this test checks that.
 */

import assert from "node:assert/strict";
import { tinyReproduce } from "./tiny_reproduce.ts";
const VERDICTS = ["holds", "does not hold", "inconclusive"];
const GROUP_KEYS = ["general", "vision", "ocr_chart", "knowledge", "visionAverage", "overall"];

interface Summary {
  n: number;
  mean: number;
  sd: number | null;
  ci95: [number, number] | null;
}

interface Results {
  complete: boolean;
  sftVsDpo:
    | { pending: string }
    | {
      seeds: number[];
      arms: { id: string; seeds: number[]; test: Record<string, Summary> }[];
      comparisons: {
        id: string;
        group: string;
        verdict: string;
        stat: { diff: number; ci95: [number, number]; verdict: string; seeds: number };
      }[];
      stages: {
        name: string;
        config: unknown;
        firstLoss: number | null;
        finalLoss: number | null;
        lossFell: boolean | null;
      }[];
      report: { claims: { verdict: string }[] };
      calibration: {
        groups: { group: string; inBand: boolean; aboveBlind: boolean }[];
        families: { family: string; group: string; stat: { verdict: string } }[];
        met: boolean;
      };
      budget: {
        rows: { stage: string; runs: number; flops: number | null; uncounted: number }[];
        total: { runs: number; seconds: number; flops: number | null };
      };
      seconds: number;
    }
    | null;
}

/** The fields of a stage config that say which run it is. */
function stageChoice(config: unknown): Record<string, unknown> {
  const c = config as Record<string, unknown> & { optim?: { lr?: number } };
  return { arm: c.arm, condition: c.condition, size: c.size, lr: c.optim?.lr, seed: c.seed };
}

Deno.test({
  name: "reproduce --preset tiny --only sft-vs-dpo: table by group with seeds and verdicts",
  sanitizeResources: false,
  fn: async () => {
    const { out, code, log, seconds } = await tinyReproduce();
    const p = { code };
    const results: Results = JSON.parse(await Deno.readTextFile(`${out}/results.json`));
    const r = results.sftVsDpo;
    assert.ok(r !== null, log);
    if ("pending" in r) {
      assert.equal(p.code, 4, log);
      assert.match(log, /sft-vs-dpo is not built yet/);
      console.log(`PENDING (${seconds.toFixed(1)} s, pretraining included): ${r.pending}`);
      return;
    }
    assert.equal(p.code, 0, log);
    assert.ok(results.complete);
    assert.ok(r.seeds.length >= 2, `seeds ${r.seeds}`);
    for (const a of r.arms) {
      for (const g of GROUP_KEYS) {
        const s = a.test[g];
        assert.ok(s, `${a.id}: no ${g}`);
        assert.ok(Number.isFinite(s.mean), `${a.id} ${g} mean`);
        assert.ok(s.sd !== null && s.ci95 !== null, `${a.id} ${g}: spread and interval`);
        assert.equal(s.n, a.seeds.length);
      }
    }
    for (
      const id of [
        "base-1b",
        "tuned/sft",
        "tuned/dpo",
        "tuned/unlikelihood",
        "clear/sft",
        "clear/dpo",
        "paper-ratio/dpo",
      ]
    ) {
      assert.ok(r.arms.some((a) => a.id === id), `configuration ${id}`);
    }
    for (const g of GROUP_KEYS) {
      assert.ok(
        r.comparisons.some((c) => c.id === "tuned/dpo − tuned/sft" && c.group === g),
        `DPO − SFT on ${g}`,
      );
    }
    for (const c of r.comparisons) {
      assert.ok(VERDICTS.includes(c.verdict), `${c.id} ${c.group}: ${c.verdict}`);
      assert.ok(VERDICTS.includes(c.stat.verdict));
    }
    for (const c of r.report.claims) assert.ok(VERDICTS.includes(c.verdict));
    assert.ok(r.stages.length > 0);
    // The base's calibration check: every group, every family of the test splits.
    assert.deepEqual(r.calibration.groups.map((g) => g.group), GROUP_KEYS.slice(0, 4));
    assert.ok(r.calibration.families.some((f) => f.group === "vision"));
    for (const f of r.calibration.families) assert.ok(VERDICTS.includes(f.stat.verdict));
    assert.equal(typeof r.calibration.met, "boolean");
    assert.match(log, /Base calibration (met|not met):/);
    // The budget: every kind of stage with its time and counted FLOPs.
    const kinds = r.budget.rows.map((row) => row.stage);
    for (
      const k of [
        "mllm-1a",
        "mllm-1b",
        "mllm-dpo-ref",
        "mllm-2-sft",
        "mllm-2-dpo",
        "mllm-2-unlikelihood",
        "vqa-val",
        "vqa-test",
        "vqa-blank",
      ]
    ) assert.ok(kinds.includes(k), `budget row ${k} (rows: ${kinds})`);
    for (const row of r.budget.rows) {
      assert.equal(row.uncounted, 0, `${row.stage}: every run counted its FLOPs`);
      assert.ok(row.flops !== null && row.flops > 0, `${row.stage}: ${row.flops} FLOPs`);
    }
    const trained = r.budget.rows.filter((row) =>
      row.stage.startsWith("mllm-") && row.stage !== "mllm-dpo-ref"
    );
    assert.equal(trained.reduce((a, row) => a + row.runs, 0), r.stages.length);
    assert.equal(r.budget.total.runs, r.budget.rows.reduce((a, row) => a + row.runs, 0));
    assert.ok(r.budget.total.seconds > 0 && r.budget.total.seconds <= r.seconds);
    await Deno.stat(`${out}/sft-vs-dpo.html`);
    const report = await Deno.readTextFile(`${out}/report.html`);
    assert.ok(report.includes("SFT vs DPO: time and FLOPs per stage</h2>"));
    assert.ok(report.includes("SFT vs DPO: is the 1b base calibrated?</h2>"));
    assert.ok(
      report.indexOf('class="claims"') < report.indexOf("SFT vs DPO: accuracy by group</h2>"),
    );
    const pngs = [...Deno.readDirSync(`${out}/figures`)].filter((e) => e.name.endsWith(".png"));
    assert.equal(pngs.length, report.match(/class="plot"/g)?.length ?? 0, "a PNG per figure");
    assert.ok(pngs.length >= 4, `${pngs.length} figures`);
    console.log(log.slice(log.indexOf("SFT vs DPO, preset tiny")));
    console.log(
      `tiny reproduce --only sft-vs-dpo: ${seconds.toFixed(1)} s wall (pretraining included; ` +
        `target ≤ 180 s), sft-vs-dpo part ${r.seconds.toFixed(1)} s, ${r.stages.length} stages`,
    );
    const rose = r.stages.filter((s) => s.lossFell !== true).map((s) =>
      `${s.name} ${JSON.stringify(stageChoice(s.config))}: loss ${s.firstLoss} → ${s.finalLoss}`
    );
    assert.deepEqual(rose, [], `${rose.length} of ${r.stages.length} stages' loss did not fall`);
  },
});
