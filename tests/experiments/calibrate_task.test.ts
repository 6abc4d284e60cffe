/**
 * `deno task calibrate` end to end on `tiny`, in a copy of the shared tiny run's folder (its
 * pretraining and seed-1 base are cached there): the committed base, then one with its 1b
 * steps changed, each checked against the calibration rule on the validation splits and
 * recorded; and bad flags exit 2 with a message before anything runs.
 */

import assert from "node:assert/strict";
import { runTaskScript, tinyReproduce } from "./tiny_reproduce.ts";

function calibrate(args: string[]): Promise<{ code: number; log: string }> {
  return runTaskScript("tasks/calibrate.ts", args);
}

interface Record {
  label: string;
  committed: boolean;
  stage1b: { steps: number };
  keys: { s1b: string };
  summary: string;
  check: { groups: { group: string }[]; families: { group: string }[]; met: boolean };
}

Deno.test("calibrate: bad flags exit 2 and say which", async () => {
  for (
    const [args, message] of [
      [["--steps", "ten"], /--steps must be an integer ≥ 1/],
      [["--lr=-1"], /--lr must be a number > 0/],
      [["--vit-lr-ratio", ""], /--vit-lr-ratio must be a number > 0/],
      [["--label", "a/b"], /--label must be a plain file name/],
      [["--preset", "nope"], /--preset must be one of tiny, small, paper/],
      [["--colour"], /Unknown option '--colour'/],
    ] as const
  ) {
    const r = await calibrate([...args]);
    assert.notEqual(r.code, 0, r.log);
    assert.match(r.log, message);
  }
});

Deno.test({
  name: "calibrate --preset tiny: the committed base and a changed one, checked and recorded",
  sanitizeResources: false,
  fn: async () => {
    const base = await tinyReproduce();
    assert.equal(base.code, 0, base.log);
    const out = await Deno.makeTempDir({ prefix: "pivotlab-calibrate-" });
    try {
      const cp = await new Deno.Command("cp", { args: ["-a", `${base.out}/.`, out] }).output();
      assert.equal(cp.code, 0);
      const committed = await calibrate(["--preset", "tiny", "--out", out]);
      assert.equal(committed.code, 0, committed.log);
      assert.match(committed.log, /stage mllm-1b \[[0-9a-f]+\]: cached/);
      assert.match(committed.log, /Base calibration (met|not met):/);
      const a: Record = JSON.parse(
        await Deno.readTextFile(`${out}/calibration/seed1-protocol.json`),
      );
      assert.equal(a.committed, true);
      assert.deepEqual(a.check.groups.map((g) => g.group), [
        "general",
        "vision",
        "ocr_chart",
        "knowledge",
      ]);
      assert.ok(a.check.families.some((f) => f.group === "vision"));
      const steps = a.stage1b.steps + 1;
      const changed = await calibrate(["--preset", "tiny", "--out", out, "--steps", String(steps)]);
      assert.equal(changed.code, 0, changed.log);
      const b: Record = JSON.parse(
        await Deno.readTextFile(`${out}/calibration/seed1-steps-${steps}.json`),
      );
      assert.equal(b.committed, false);
      assert.equal(b.stage1b.steps, steps);
      assert.notEqual(b.keys.s1b, a.keys.s1b, "a changed 1b is a stage of its own");
      assert.doesNotMatch(changed.log, /test_/, "calibration never reads a test split");
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});
