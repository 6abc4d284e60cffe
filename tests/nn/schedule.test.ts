import assert from "node:assert/strict";
import { cosineWarmup, warmupStepsOf } from "../../src/nn/schedule.ts";

function near(a: number, b: number, tol: number): void {
  if (!(Math.abs(a - b) <= tol)) throw new Error(`${a} is not within ${tol} of ${b}`);
}

Deno.test("cosineWarmup: linear warm-up, cosine decay, floor", () => {
  const s = { totalSteps: 110, warmupSteps: 10, minLrRatio: 0.1 };
  near(cosineWarmup(0, s), 0.1, 1e-12);
  near(cosineWarmup(4, s), 0.5, 1e-12);
  near(cosineWarmup(9, s), 1, 1e-12);
  near(cosineWarmup(10, s), 1, 1e-12); // decay starts at the peak
  near(cosineWarmup(60, s), 0.1 + 0.9 * 0.5, 1e-12); // half way
  near(cosineWarmup(110, s), 0.1, 1e-12);
  near(cosineWarmup(500, s), 0.1, 1e-12); // stays at the floor
  for (let k = 10; k < 110; k++) {
    if (cosineWarmup(k + 1, s) > cosineWarmup(k, s)) throw new Error(`rises at ${k}`);
  }
});

Deno.test("cosineWarmup: warm-up fraction, no warm-up, errors", () => {
  assert.equal(warmupStepsOf({ totalSteps: 200, warmupFraction: 0.05 }), 10);
  assert.equal(warmupStepsOf({ totalSteps: 200, warmupSteps: 3, warmupFraction: 0.5 }), 3);
  assert.equal(cosineWarmup(0, { totalSteps: 100 }), 1);
  near(cosineWarmup(100, { totalSteps: 100 }), 0, 1e-12);
  assert.equal(cosineWarmup(5, { totalSteps: 5, warmupSteps: 5 }), 1); // all warm-up
  assert.throws(() => cosineWarmup(-1, { totalSteps: 10 }));
  assert.throws(() => cosineWarmup(0, { totalSteps: 10, minLrRatio: 2 }));
});
