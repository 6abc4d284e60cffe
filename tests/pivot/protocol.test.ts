/**
 * The committed PIVOT protocol is coherent with the pretraining and post-training protocols:
 * every row's encoder is pretrained by the preset, every row runs ≥ 3 Stage-3 seeds, the
 * fallback Stage-2 lrs are values of the post-training grid and the SFT-vs-DPO encoder has a
 * +PIVOT row (so its evolve runs are that sweep's own), the "larger" encoder is larger and longer-pretrained
 * than the small one, and the rows list the table first, then the ablations.
 */

import assert from "node:assert/strict";
import { PIVOT_PROTOCOLS } from "../../src/protocol/pivot.ts";
import { pretrainProtocol } from "../../src/protocol/presets.ts";
import { postTrainProtocol } from "../../src/protocol/posttrain.ts";
import { pivotRows } from "../../src/experiments/pivot.ts";

const vitParams = (e: { width: number; depth: number; mlpRatio?: number }) =>
  e.depth * e.width * e.width * (4 + 2 * (e.mlpRatio ?? 4));

for (const p of Object.values(PIVOT_PROTOCOLS)) {
  Deno.test(`PIVOT protocol ${p.preset}: coherent with pretraining and post-training`, () => {
    const pre = pretrainProtocol(p.preset);
    const post = postTrainProtocol(p.preset);
    assert.ok(p.seeds.length >= 3 && new Set(p.seeds).size === p.seeds.length);
    for (const f of p.rows) {
      assert.ok(pre.encoders[f.encoder], `${f.encoder} has no size in ${p.preset}`);
      assert.ok(pre.e0.some((s) => s.encoder === f.encoder), `${f.encoder} is not pretrained`);
      assert.ok(f.variants.includes("original"), `${f.encoder}: the original row is the baseline`);
    }
    const small = p.rows.find((f) => f.encoder === p.small)!;
    assert.deepEqual(small.variants, ["original", "sft", "pivot"]);
    // The SFT-vs-DPO encoder's evolve runs are that experiment's own (cached) runs.
    const shared = p.rows.find((f) => f.encoder === post.encoder);
    assert.ok(shared?.variants.includes("pivot"), `${post.encoder} has a +PIVOT row`);
    assert.ok(post.stage2.lrGrid.includes(p.fallbackLr.sft));
    assert.ok(post.stage2.lrGrid.includes(p.fallbackLr.dpo));
    assert.ok(post.seeds.primary.includes(p.evolveSeed));
    if (p.larger) {
      const [s, l] = [pre.encoders[p.small]!, pre.encoders[p.larger]!];
      assert.ok(vitParams(l) > vitParams(s), "the larger encoder has more parameters");
      const samples = (e: string) => {
        const spec = pre.e0.find((x) => x.encoder === e)!;
        return spec.batch * spec.steps;
      };
      assert.ok(samples(p.larger) > samples(p.small), "and was pretrained on more samples");
    }
    const rows = pivotRows(p);
    const firstAblation = rows.findIndex((r) => r.ablation);
    assert.ok(firstAblation > 0 && rows.slice(firstAblation).every((r) => r.ablation));
    assert.equal(rows.filter((r) => !r.frozen).length, p.ablations.unfrozen.length);
    assert.ok(rows.filter((r) => !r.ablation).every((r) => r.frozen && r.projector === "fresh"));
    assert.ok(p.stage3b.steps > 0 && p.stage3a.steps > 0);
  });
}
