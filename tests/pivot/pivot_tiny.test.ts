/**
 * PIVOT on the tiny preset, end to end: pretraining, the evolve runs (1a → 1b → SFT / DPO),
 * Stage 3 (3a → 3b → VQA) for every row and seed, the ablations, the table and its verdicts.
 * One run into a temporary folder is shared by the tests of this file (~1.5 minutes here);
 * the checks read the stage folders it left, independently of what the result says about
 * them. Tiny's models answer at ~0% (tiny exists to run every path), so these tests check
 * structure, accounting and the recipe's invariants, not the paper's claims.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { gpuReady } from "../helpers.ts";
import { pretrain, type PretrainResult } from "../../src/train/pretrain.ts";
import { pretrainProtocol } from "../../src/protocol/presets.ts";
import { pivotProtocol } from "../../src/protocol/pivot.ts";
import { type PivotResult, runPivot } from "../../src/experiments/pivot.ts";
import { GROUP_KEYS } from "../../src/experiments/sft_vs_dpo.ts";
import { stageDir } from "../../src/train/stage.ts";
import { readPart } from "../../src/pivot/weights.ts";
import { VERDICTS } from "../../src/stats/mod.ts";
import { measurePivotBeatsLarger, measurePivotChain } from "../../src/report/pivot_claims.ts";
import { renderReport } from "../../src/report/html.ts";

await gpuReady();

interface Shared {
  out: string;
  pre: PretrainResult;
  result: PivotResult;
  seconds: number;
}

let shared: Promise<Shared> | null = null;

/** One tiny pretraining + PIVOT run per test file. */
function tinyPivot(): Promise<Shared> {
  shared ??= (async () => {
    const out = await Deno.makeTempDir({ prefix: "pivotlab-pivot-" });
    const quiet = () => {};
    const start = performance.now();
    const pre = await pretrain(pretrainProtocol("tiny"), { out, log: quiet });
    const result = await runPivot(pre, "tiny", { out, log: quiet });
    const seconds = (performance.now() - start) / 1000;
    console.log(`tiny pretraining + PIVOT: ${seconds.toFixed(1)} s`);
    return { out, pre, result, seconds };
  })();
  return shared;
}

// One tiny PIVOT run is started by the first test and read by the others: its GPU buffers,
// files and timers outlive the test that started it, so the per-test sanitizers would
// misreport them.
const opts = { sanitizeResources: false, sanitizeOps: false };

/** The checkpoint folder of a recorded stage. */
function checkpointOf(out: string, name: string, key16: string): string {
  return join(stageDir(out, name, key16), "checkpoint");
}

function sameBits(a: Map<string, Float32Array>, b: Map<string, Float32Array>): boolean {
  for (const [n, x] of a) {
    const y = b.get(n);
    if (!y || y.length !== x.length) return false;
    const bx = new Uint32Array(x.buffer, x.byteOffset, x.length);
    const by = new Uint32Array(y.buffer, y.byteOffset, y.length);
    for (let i = 0; i < bx.length; i++) if (bx[i] !== by[i]) return false;
  }
  return true;
}

Deno.test({
  name: "tiny PIVOT: the table has every row, group, seed, interval and verdict",
  ...opts,
  fn: async () => {
    const { result: r } = await tinyPivot();
    const p = pivotProtocol("tiny");
    assert.ok(p.seeds.length >= 3);
    assert.deepEqual(r.seeds, p.seeds);
    assert.deepEqual(r.rows.map((x) => x.id), [
      "vit-s/original",
      "vit-s/sft",
      "vit-s/pivot",
      "vit-l/original",
      "vit-s/original/unfrozen",
      "vit-s/pivot/unfrozen",
      "vit-s/pivot/reused",
    ]);
    for (const row of r.rows) {
      for (const g of GROUP_KEYS) {
        const s = row.test[g];
        assert.equal(s.n, p.seeds.length, `${row.id} ${g}`);
        assert.ok(s.ci95 && s.ci95[0] <= s.mean && s.mean <= s.ci95[1], `${row.id} ${g}`);
        assert.ok(s.values.every((v) => v >= 0 && v <= 1));
      }
      assert.ok(row.params > 0);
      assert.ok(row.pretraining.flops > 0 && row.pretraining.samples > 0);
      assert.equal(row.pivot === null, row.variant === "original", row.id);
      assert.equal(row.stageKeys.length, 3 * p.seeds.length);
    }
    const kinds = new Set(r.comparisons.map((c) => c.kind));
    for (const k of ["chain", "family", "larger", "frozen", "projector"]) {
      assert.ok(kinds.has(k), k);
    }
    for (const c of r.comparisons) {
      assert.ok(VERDICTS.includes(c.verdict), c.id);
      assert.equal(c.stat.seeds, p.seeds.length);
      assert.equal(
        c.stat.items,
        (c.group === "overall" ? 4 : c.group === "visionAverage" ? 3 : 1) *
          p.vqa.perGroup!,
      );
      // A verdict other than the interval's own comes with the reason.
      if (c.verdict !== c.stat.verdict) assert.ok(c.note);
    }
    assert.ok(VERDICTS.includes(r.chain.verdict));
    assert.ok(r.gainShrink && r.gainShrink.perSeed.length === p.seeds.length);
    assert.ok(VERDICTS.includes(r.gainShrink.verdict));
    // The report mirrors the table, opens with the F6 claims, and renders.
    const tableSection = r.report.sections.find((x) => x.title.startsWith("PIVOT: the table"))!;
    const table = tableSection.blocks[0];
    assert.ok(table.kind === "table" && table.rows.length === r.rows.length);
    assert.ok(table.columns.includes("PIVOT / pretraining") && table.columns.includes("Average"));
    const claims = r.report.sections[0].blocks[0];
    assert.ok(claims.kind === "claims" && claims.claims.length === 2);
    assert.equal(claims.claims[0].verdict, r.chain.verdict);
    assert.ok((VERDICTS as readonly string[]).includes(claims.claims[1].verdict));
    const html = await renderReport({ title: "PIVOT (tiny)", sections: r.report.sections });
    const named: Record<string, string> = { original: "original", sft: "+SFT", pivot: "+PIVOT" };
    for (const row of r.rows) {
      assert.ok(html.includes(`${row.encoder} ${named[row.variant]}`), row.label);
    }
    // The F6 measures read it.
    const chain = measurePivotChain({ pivot: r });
    assert.ok(chain && chain.verdict === r.chain.verdict);
    const larger = measurePivotBeatsLarger({ pivot: r });
    assert.ok(larger && VERDICTS.includes(larger.verdict), JSON.stringify(larger));
    assert.equal(measurePivotChain({}), null);
    // JSON-serialisable (results.json).
    const back = JSON.parse(JSON.stringify(r)) as PivotResult;
    assert.deepEqual(
      back.rows.map((x) => x.test.overall.mean),
      r.rows.map((x) => x.test.overall.mean),
    );
  },
});

Deno.test({
  name: "tiny PIVOT: every evolve and Stage-3 training stage lowered its loss",
  ...opts,
  fn: async () => {
    const { result: r } = await tinyPivot();
    const training = r.stages.filter((s) => s.name !== "mllm-dpo-ref");
    assert.ok(training.filter((s) => s.role === "stage3").length >= 2 * 3);
    for (const s of training) {
      assert.ok(s.firstLoss !== null && s.finalLoss !== null, s.name);
      assert.ok(s.finalLoss < s.firstLoss, `${s.name} ${s.what} seed ${s.seed}`);
    }
    assert.ok(r.allLossesFell);
  },
});

Deno.test({
  name: "tiny PIVOT: a frozen Stage 3 leaves the encoder bit-identical; the ablation moves it",
  ...opts,
  fn: async () => {
    const { out, pre, result: r } = await tinyPivot();
    const e0 = (encoder: string) => pre.e0.find((o) => o.name === `e0-${encoder}`)!;
    const evolved = (variant: string) =>
      r.stages.find((s) =>
        s.role === "evolve" && s.name.startsWith("mllm-2-") && s.what === variant
      )!;
    let frozen = 0;
    let trained = 0;
    for (const s of r.stages.filter((x) => x.name === "mllm-3b")) {
      const [encoder, variant] = s.what.split("/");
      const source = variant === "original"
        ? e0(encoder).checkpointDir
        : checkpointOf(out, evolved(variant).name, evolved(variant).key);
      const before = await readPart(source, "vit.");
      const after = await readPart(checkpointOf(out, s.name, s.key), "vit.");
      const same = sameBits(before, after);
      if (s.what.endsWith("/unfrozen")) {
        trained++;
        assert.ok(!same, `${s.what} seed ${s.seed}: the trained encoder did not move`);
        assert.ok(s.encoderMovement! > 0 && !s.encoderVsSource!.identical);
      } else {
        frozen++;
        assert.ok(same, `${s.what} seed ${s.seed}: the frozen encoder changed`);
        assert.equal(s.encoderMovement, 0);
        assert.ok(s.encoderVsSource!.identical);
      }
    }
    assert.equal(frozen, 5 * 3); // vit-s original, +SFT, +PIVOT, reused projector; vit-l
    assert.equal(trained, 2 * 3);
    assert.ok(r.frozenEncodersIdentical);
    // The evolved encoders did move from E0's (else +SFT / +PIVOT would be the original).
    for (const row of r.rows.filter((x) => x.variant !== "original")) {
      assert.ok(row.encoderShift! > 0, row.id);
    }
  },
});

Deno.test({
  name: "tiny PIVOT: Stage 3's LM is a fresh copy of L0, not the evolve run's LM",
  ...opts,
  fn: async () => {
    const { out, pre, result: r } = await tinyPivot();
    const l0 = await readPart(pre.l0.find((o) => o.name === "l0-lm-s")!.checkpointDir, "");
    const evolvedRun = r.stages.find((s) => s.name === "mllm-2-dpo")!;
    const evolvedLm = await readPart(checkpointOf(out, evolvedRun.name, evolvedRun.key), "lm.");
    const s3a = r.stages.filter((s) => s.name === "mllm-3a");
    assert.ok(s3a.length >= 3);
    for (const s of s3a) {
      const lm = await readPart(checkpointOf(out, s.name, s.key), "lm.");
      assert.ok(sameBits(l0, lm), `${s.what} seed ${s.seed}: 3a's LM is not L0's`);
      assert.ok(!sameBits(evolvedLm, lm), `${s.what} seed ${s.seed}: 3a's LM is the evolve run's`);
    }
    assert.ok(r.lmsFromL0);
  },
});

Deno.test({
  name: "tiny PIVOT: samples and FLOPs add up from the stage metrics",
  ...opts,
  fn: async () => {
    const { out, pre, result: r } = await tinyPivot();
    const metrics = async (name: string, key: string) =>
      JSON.parse(await Deno.readTextFile(join(stageDir(out, name, key), "metrics.json")));
    for (const row of r.rows) {
      const e0 = pre.summary.find((s) => s.stage === `e0-${row.encoder}`)!;
      assert.equal(row.pretraining.flops, e0.flops);
      assert.equal(row.pretraining.samples, e0.samples);
      if (row.pivot) {
        let flops = 0;
        let samples = 0;
        for (const label of row.pivot.stages) {
          const m = /^(\S+) \[([0-9a-f]{16})\]$/.exec(label)!;
          const metric = await metrics(m[1], m[2]);
          flops += metric.flops;
          samples += metric.samples ?? 0;
        }
        const arm = row.variant === "sft" ? "mllm-2-sft" : "mllm-2-dpo";
        assert.deepEqual(row.pivot.stages.map((x) => x.split(" ")[0]), [
          "mllm-1a",
          "mllm-1b",
          ...(arm === "mllm-2-dpo" ? ["mllm-dpo-ref"] : []),
          arm,
        ]);
        assert.equal(row.pivot.flops, flops);
        assert.equal(row.pivot.samples, samples);
        assert.ok(flops > 0 && samples > 0);
        assert.ok(Math.abs(row.ratio! - flops / e0.flops) < 1e-12);
      } else {
        assert.equal(row.ratio, null);
      }
      // Stage-3 FLOPs per seed: 3a + 3b of each seed, from their metrics.
      let s3 = 0;
      for (let k = 0; k < row.stageKeys.length; k += 3) {
        s3 += (await metrics("mllm-3a", row.stageKeys[k])).flops;
        s3 += (await metrics("mllm-3b", row.stageKeys[k + 1])).flops;
      }
      assert.ok(Math.abs(row.stage3Flops - s3 / r.seeds.length) <= 1e-9 * s3);
    }
  },
});

Deno.test({
  name: "tiny PIVOT: a second run loads every stage from the cache and gives the same table",
  ...opts,
  fn: async () => {
    const { out, pre, result: r } = await tinyPivot();
    const again = await runPivot(pre, "tiny", { out, log: () => {} });
    assert.ok(again.stages.every((s) => s.cached));
    assert.deepEqual(
      again.rows.map((x) => [x.id, x.test, x.pivot, x.params]),
      r.rows.map((x) => [x.id, x.test, x.pivot, x.params]),
    );
    assert.deepEqual(again.comparisons.map((c) => c.verdict), r.comparisons.map((c) => c.verdict));
  },
});
