import { dropout } from "../../src/tensor/ops/dropout.ts";
import { tensor } from "../../src/tensor/tensor.ts";
import { tidy } from "../../src/tensor/scope.ts";
import { checkOp, gpuReady, Rng } from "../helpers.ts";
import { dropoutRef } from "../ref/dropout.ts";
import { expectShapeError } from "./expect.ts";

await gpuReady();

Deno.test("dropout: forward (same hash as the TS reference) and gradient", async () => {
  const rng = new Rng(19);
  for (const shape of [[1], [7], [3, 5], [2, 1, 33], [130, 17]]) {
    for (const [p, seed] of [[0.3, 1], [0.5, 123456789], [0.9, 0xffffffff]]) {
      const n = shape.reduce((x, y) => x * y, 1);
      await checkOp({
        name: `dropout ${JSON.stringify(shape)} p ${p} seed ${seed}`,
        op: ([x]) => dropout(x, p, seed),
        ref: dropoutRef(p, seed),
        inputs: [{ shape, values: rng.normals(n) }],
        // Kept values differ from float64 only by the f32 rounding of 1/(1 − p) and x·s.
        forwardTol: { atol: 0, rtol: 2e-7 },
        gradTol: { atol: 1e-6, rtol: 1e-5 },
      });
    }
  }
});

/** The keep mask of dropout(ones(n), p, seed), read back. */
async function mask(n: number, p: number, seed: number): Promise<Uint8Array> {
  const y = await tidy(() => dropout(tensor(new Float32Array(n).fill(1)), p, seed).data());
  return Uint8Array.from(y, (v) => (v !== 0 ? 1 : 0));
}

Deno.test("dropout keeps ≈ 1 − p; same seed, same mask; other seeds differ", async () => {
  const n = 1 << 20;
  for (const p of [0.1, 0.5, 0.9]) {
    const m = await mask(n, p, 42);
    const frac = m.reduce((s, v) => s + v, 0) / n;
    // 6 standard deviations of a binomial fraction (≈ 3e-3 at p = 0.5).
    if (Math.abs(frac - (1 - p)) > 6 * Math.sqrt(p * (1 - p) / n)) {
      throw new Error(`p ${p}: kept fraction ${frac}`);
    }
  }
  const a = await mask(n, 0.5, 7);
  const again = await mask(n, 0.5, 7);
  const b = await mask(n, 0.5, 8);
  let same = 0;
  let agree = 0;
  for (let i = 0; i < n; i++) {
    same += a[i] === again[i] ? 1 : 0;
    agree += a[i] === b[i] ? 1 : 0;
  }
  if (same !== n) throw new Error(`same seed: ${n - same} elements differ`);
  // Independent masks agree on p² + (1 − p)² = half of the elements.
  if (Math.abs(agree / n - 0.5) > 0.005) throw new Error(`seeds 7 and 8 agree on ${agree / n}`);
});

Deno.test("dropout with p = 0 is the identity; bad p or dtype throws", () => {
  tidy(() => {
    const x = tensor([1, 2, 3], [3]);
    if (dropout(x, 0, 5) !== x) throw new Error("p = 0 is not the identity");
    expectShapeError(() => dropout(x, 1, 5), "dropout", "[3]");
    expectShapeError(() => dropout(x, -0.1, 5), "dropout", "[3]");
    expectShapeError(() => dropout(tensor(new Int32Array(2), [2], "i32"), 0.5, 1), "dropout");
  });
});
