/**
 * The SFT-vs-DPO orchestration on a stub training side (stubs live only in this test): the
 * stub's stages train nothing; each "model" is a bigram MLLM that answers one fixed word,
 * chosen by arm, lr and seed, so every accuracy is known in advance. Checks: each arm's lr
 * is the validation argmax of the sweep (test splits choose nothing), every configuration ×
 * group has mean, spread and interval, every comparison a verdict from the three, the
 * encoder guard turns a comparison where neither arm moved the encoder inconclusive, the
 * report builds, and a second run is entirely cached.
 */

import assert from "node:assert/strict";
import { MLLM } from "../../src/mllm/model.ts";
import { Rng } from "../../src/tensor/random.ts";
import { gpuReady } from "../helpers.ts";
import { tinyDataWorld } from "../data/fixture.ts";
import { worldTokenizer } from "../../src/world/mod.ts";
import type { PretrainResult } from "../../src/train/pretrain.ts";
import type { StageDef, StageOutput } from "../../src/train/stage.ts";
import type { PosttrainApi, Stage2Spec } from "../../src/experiments/posttrain_api.ts";
import { GROUP_KEYS, runSftVsDpo, type SftVsDpoResult } from "../../src/experiments/sft_vs_dpo.ts";
import { VERDICTS } from "../../src/stats/mod.ts";
import { renderReport } from "../../src/report/html.ts";

await gpuReady();

function bigramModel(word: string): MLLM {
  const tok = worldTokenizer();
  const width = 16;
  const m = new MLLM({
    vit: { imageSize: 32, patch: 8, channels: 3, width: 16, depth: 2, heads: 2, mlpRatio: 2 },
    lm: { vocab: tok.vocabSize, maxLen: 80, width, depth: 1, heads: 2, mlpRatio: 2 },
  }, new Rng(5));
  for (const [, p] of m.lm.blocks.namedParameters()) p.write(new Float32Array(p.size));
  m.lm.pos.write(new Float32Array(m.lm.pos.size));
  const emb = new Float32Array(tok.vocabSize * width);
  emb[tok.special.assistant * width] = 1;
  emb[tok.id(word) * width + 1] = 1;
  m.lm.tokEmbed.weight.write(emb);
  const head = new Float32Array(width * tok.vocabSize);
  head[tok.id(word)] = 10;
  head[tok.vocabSize + tok.special.eos] = 10;
  m.lm.head.weight.write(head);
  return m;
}

/** The word a stub model answers: the sweep prefers lr 2e-3 for DPO, 1e-3 for the others. */
function wordOf(spec: Stage2Spec | null): string {
  if (!spec) return "2";
  if (spec.arm === "dpo") {
    return spec.lr === 2e-3 || spec.lr === 4e-4 ? (spec.seed === 3 ? "2" : "3") : "picture";
  }
  if (spec.arm === "unlikelihood") return spec.lr === 1e-3 ? "1" : "picture";
  return spec.lr === 1e-3 ? "2" : "picture";
}

const stubStage = (
  name: string,
  config: Record<string, unknown>,
  inputs: StageOutput[],
  moved: number | null,
): StageDef => ({
  name,
  // deno-lint-ignore no-explicit-any
  config: config as any,
  inputs,
  run: () =>
    Promise.resolve({
      firstLoss: 2,
      finalLoss: 1,
      encoderMovement: moved,
      ...(config.arm === "dpo"
        ? {
          dpoCurve: {
            step: [1, 2, 3],
            chosen: [-9, -8, -7],
            rejected: [-9, -10, -12],
            margin: [0, 0.2, 0.5],
          },
        }
        : {}),
    }),
});

const STUB: PosttrainApi = {
  plan: (preset) => ({
    preset,
    seeds: [1, 2, 3],
    lrGrid: [1e-3, 2e-3],
    sweepSeeds: [1],
    paperRatio: 5,
    sizes: [100, 200],
    secondarySeeds: [1, 2],
    vqa: { batch: 150 },
    raw: { stub: true },
  }),
  stage1a: (_w, _p, seed) => stubStage("stub-1a", { seed }, [], null),
  stage1b: (_w, s1a, _p, seed) => stubStage("stub-1b", { seed }, [s1a], null),
  // The clear-answer condition "moves" no encoder: the guard must catch it.
  stage2: (_w, base, spec) =>
    Promise.resolve(
      stubStage(
        "stub-2",
        { ...spec, word: wordOf(spec) },
        [base],
        spec.data === "clear" ? 0 : 0.01,
      ),
    ),
  loadMLLM: (o: StageOutput) =>
    Promise.resolve(bigramModel((o.config as { word?: string }).word ?? wordOf(null))),
};

Deno.test({
  name:
    "sft-vs-dpo orchestration on a stub training side: lr choice, tables, verdicts, guard, cache",
  sanitizeResources: false,
  fn: async () => {
    const world = await tinyDataWorld();
    const pre: PretrainResult = { world, e0: [], l0: [], summary: [], e0Pending: null };
    const out = await Deno.makeTempDir({ prefix: "pivotlab-sftdpo-stub-" });
    try {
      const t0 = performance.now();
      const r = await runSftVsDpo(pre, "tiny", { out, api: STUB, log: () => {} }) as SftVsDpoResult;
      const seconds = (performance.now() - t0) / 1000;
      assert.ok(!("pending" in r));
      assert.deepEqual(r.lr.tuned, { sft: 1e-3, dpo: 2e-3, unlikelihood: 1e-3 });
      assert.equal(r.lr.paperRatio.dpo, 1e-3 / 5);
      for (const arm of ["sft", "dpo", "unlikelihood"] as const) {
        const rows = r.sweep.filter((s) => s.arm === arm);
        const best = Math.max(...rows.map((s) => s.mean));
        assert.equal(rows.find((s) => s.chosen)!.mean, best, arm);
      }
      const ids = r.arms.map((a) => a.id);
      for (
        const id of [
          "base-1b",
          "blank-image",
          "tuned/sft",
          "tuned/dpo",
          "tuned/unlikelihood",
          "paper-ratio/dpo",
          "clear/sft",
          "clear/dpo",
          "size-100/sft",
          "size-200/dpo",
        ]
      ) {
        assert.ok(ids.includes(id), `${id} in ${ids.join(", ")}`);
      }
      for (const a of r.arms) {
        for (const g of GROUP_KEYS) {
          const s = a.test[g];
          assert.ok(Number.isFinite(s.mean) && s.sd !== null && s.ci95 !== null, `${a.id} ${g}`);
          assert.equal(s.n, a.seeds.length);
        }
      }
      assert.equal(r.arms.find((a) => a.id === "size-100/sft")!.seeds.length, 2);
      for (const c of r.comparisons) {
        assert.ok(VERDICTS.includes(c.verdict), `${c.id} ${c.group}: ${c.verdict}`);
        assert.ok(VERDICTS.includes(c.stat.verdict));
        assert.ok(c.stat.ci95[0] <= c.stat.diff && c.stat.diff <= c.stat.ci95[1]);
      }
      const clear = r.comparisons.filter((c) => c.condition === "clear");
      assert.ok(clear.length > 0);
      for (const c of clear) {
        assert.equal(c.verdict, "inconclusive");
        assert.match(c.note!, /neither arm moved the vision encoder/);
      }
      // Seed 3's DPO answers like SFT: the DPO − SFT differences vary across seeds.
      const vis = r.comparisons.find((c) =>
        c.id === "tuned/dpo − tuned/sft" && c.group === "vision"
      )!;
      assert.equal(vis.stat.seeds, 3);
      assert.equal(vis.stat.perSeed[2].diff, 0);
      assert.ok(r.allLossesFell);
      assert.equal(r.dpoCurves.length, 3);
      assert.ok(r.report.claims.length >= 8);
      const html = await renderReport({ title: "stub", sections: r.report.sections });
      assert.ok(html.includes("Strongly vision"));
      console.log(
        `stub orchestration: ${r.arms.length} configurations, ${r.comparisons.length} comparisons, ${r.stages.length} stages, ${
          seconds.toFixed(1)
        } s`,
      );

      const again = await runSftVsDpo(pre, "tiny", {
        out,
        api: STUB,
        log: () => {},
      }) as SftVsDpoResult;
      assert.ok(again.stages.every((s) => s.cached));
      assert.deepEqual(
        again.comparisons.map((c) => c.stat.ci95),
        r.comparisons.map((c) => c.stat.ci95),
      );
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});
