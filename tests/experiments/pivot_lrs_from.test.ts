/**
 * `reproduce --only pivot --lrs-from FILE` runs PIVOT without SFT vs DPO, with the lrs that
 * an earlier run selected. On a copy of the shared tiny full run's folder every pretraining
 * and PIVOT stage is found cached (same lrs, same keys), SFT vs DPO does not run, and the
 * PIVOT table equals the full run's; results.json says where the lrs came from.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { runReproduceTiny, tinyReproduce, tinyReproduceFull } from "./tiny_reproduce.ts";

Deno.test({
  name: "reproduce --only pivot --lrs-from: PIVOT from saved lrs, all cached, same table",
  // The shared tiny run (tiny_reproduce.ts) is a child process started by whichever test asks
  // first and awaited across test files, so its ops and resources outlive any one test.
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const base = await tinyReproduce();
    const full = await tinyReproduceFull();
    assert.equal(full.code, 0, full.log.slice(-2000));
    const out = `${full.out}-lrs`;
    await Deno.remove(out, { recursive: true }).catch(() => {});
    const cp = await new Deno.Command("cp", { args: ["-a", full.out, out] }).output();
    assert.equal(cp.code, 0);
    try {
      for (const f of ["results.json", "results.json.sha256", "run.json"]) {
        await Deno.remove(join(out, f)).catch(() => {});
      }
      const lrsFile = join(base.out, "results.json");
      const p = await runReproduceTiny(["--only", "pivot", "--lrs-from", lrsFile, "--out", out]);
      const log = p.log;
      assert.equal(p.code, 0, log.slice(-2000));
      assert.doesNotMatch(log, /: running \(/, "a stage ran again instead of being cached");
      const r = JSON.parse(await Deno.readTextFile(join(out, "results.json")));
      const f = JSON.parse(await Deno.readTextFile(join(full.out, "results.json")));
      assert.equal(r.sftVsDpo, null);
      assert.equal(r.lrsFrom, lrsFile);
      assert.equal(r.complete, true);
      assert.equal(r.fullReproduction, false);
      assert.equal(r.pivot.lr.sft, f.sftVsDpo.lr.tuned.sft);
      assert.equal(r.pivot.lr.dpo, f.sftVsDpo.lr.tuned.dpo);
      assert.ok(r.pivot.lr.source.includes(lrsFile), r.pivot.lr.source);
      assert.deepEqual(r.pivot.rows, f.pivot.rows);
    } finally {
      await Deno.remove(out, { recursive: true }).catch(() => {});
    }
  },
});
