/**
 * `reproduce --only sft-vs-dpo --conditions primary` keeps the tuned comparison and drops the
 * secondary conditions: on a copy of the shared tiny run's folder every stage it needs is
 * cached, its arms are the bases and the tuned arms with the full run's numbers, and
 * results.json says which conditions ran.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { runReproduceTiny, tinyReproduce } from "./tiny_reproduce.ts";

Deno.test({
  name: "reproduce --conditions primary: the tuned comparison only, from cache, same numbers",
  // The shared tiny run (tiny_reproduce.ts) is a child process started by whichever test asks
  // first and awaited across test files, so its ops and resources outlive any one test.
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const base = await tinyReproduce();
    assert.equal(base.code, 0, base.log.slice(-2000));
    const out = `${base.out}-primary`;
    await Deno.remove(out, { recursive: true }).catch(() => {});
    const cp = await new Deno.Command("cp", { args: ["-a", base.out, out] }).output();
    assert.equal(cp.code, 0);
    try {
      for (const f of ["results.json", "results.json.sha256", "run.json"]) {
        await Deno.remove(join(out, f)).catch(() => {});
      }
      const p = await runReproduceTiny([
        "--only",
        "sft-vs-dpo",
        "--conditions",
        "primary",
        "--out",
        out,
      ]);
      const log = p.log;
      assert.equal(p.code, 0, log.slice(-2000));
      assert.doesNotMatch(log, /: running \(/, "a stage ran again instead of being cached");
      const r = JSON.parse(await Deno.readTextFile(join(out, "results.json"))).sftVsDpo;
      const f = JSON.parse(await Deno.readTextFile(join(base.out, "results.json"))).sftVsDpo;
      assert.equal(r.conditions, "primary");
      assert.equal(f.conditions, "all");
      const ids = r.arms.map((a: { id: string }) => a.id);
      assert.deepEqual(ids, [
        "base-1b",
        "blank-image",
        "tuned/sft",
        "tuned/dpo",
        "tuned/unlikelihood",
      ]);
      for (const a of r.arms) {
        assert.deepEqual(a, f.arms.find((x: { id: string }) => x.id === a.id), a.id);
      }
      assert.ok(r.comparisons.every((c: { condition: string }) => c.condition === "tuned"));
      assert.deepEqual(
        r.comparisons,
        f.comparisons.filter((c: { condition: string }) => c.condition === "tuned"),
      );
    } finally {
      await Deno.remove(out, { recursive: true }).catch(() => {});
    }
  },
});
