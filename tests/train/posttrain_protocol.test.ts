/**
 * The post-training protocol asks for no more questions than the world holds: validation and
 * test questions per group fit their splits, and a test subset (when set) is large enough
 * that one group's accuracy has a binomial sd of at most 3.5 points.
 */

import assert from "node:assert/strict";
import { POSTTRAIN_PROTOCOLS } from "../../src/protocol/posttrain.ts";
import { worldPreset } from "../../src/world/presets.ts";

for (const p of Object.values(POSTTRAIN_PROTOCOLS)) {
  Deno.test(`post-training protocol ${p.preset}: evaluation sizes fit the world's splits`, () => {
    const w = worldPreset(p.preset);
    assert.ok(p.validation.perGroup > 0 && p.validation.perGroup <= w.validationPerGroup);
    const n = p.test.perGroup;
    if (n !== null) {
      assert.ok(Number.isInteger(n) && n <= w.testPerGroup, `${n} > ${w.testPerGroup}`);
      assert.ok(Math.sqrt(0.25 / n) <= 0.035, `${n} questions per group is too few`);
    }
  });
}
