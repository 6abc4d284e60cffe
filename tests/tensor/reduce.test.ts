import { max, mean, meanAll, sum, sumAll } from "../../src/tensor/ops/reduce.ts";
import { tensor } from "../../src/tensor/tensor.ts";
import { tidy } from "../../src/tensor/scope.ts";
import { backward } from "../../src/tensor/autograd.ts";
import { measureFlops } from "../../src/gpu/flops.ts";
import { assertClose, checkOp, gpuReady, Rng } from "../helpers.ts";
import { maxRef, meanAllRef, meanRef, sumAllRef, sumRef } from "../ref/reduce.ts";
import { expectShapeError } from "./expect.ts";

await gpuReady();

// [shape, axis]: size-1 dims, sizes off multiples of 4/64, negative axes, and axes longer
// than CHUNK (1024) so the two-pass path runs both along the last axis and with inner > 1.
const cases: [number[], number][] = [
  [[7], 0],
  [[3, 5], 0],
  [[3, 5], -1],
  [[2, 1, 33], 1],
  [[2, 1, 33], 2],
  [[4, 3, 2, 5], 2],
  [[2, 2100], -1],
  [[1500, 3], 0],
];

const tol = { atol: 1e-5, rtol: 1e-5 };
// f32 sums of ~1000 normals cancel to O(1) from Σ|x| ≈ 1000: error ≈ 1e-7·Σ|x|.
const longTol = { atol: 2e-4, rtol: 1e-5 };
const ops = [
  { name: "sum", op: sum, ref: sumRef },
  { name: "mean", op: mean, ref: meanRef },
  { name: "max", op: max, ref: maxRef },
];

for (const { name, op, ref } of ops) {
  Deno.test(`${name}: forward and gradient over any axis match float64`, async () => {
    const rng = new Rng(5);
    for (const [shape, axis] of cases) {
      for (const keepdim of [false, true]) {
        const n = shape.reduce((x, y) => x * y, 1);
        await checkOp({
          name: `${name} ${JSON.stringify(shape)} axis ${axis} keepdim ${keepdim}`,
          op: ([x]) => {
            const y = op(x, axis, keepdim);
            const a = axis < 0 ? axis + shape.length : axis;
            const want = keepdim
              ? shape.map((d, k) => (k === a ? 1 : d))
              : shape.filter((_, k) => k !== a);
            if (JSON.stringify(y.shape) !== JSON.stringify(want)) {
              throw new Error(`${name}: shape ${JSON.stringify(y.shape)}, want ${want}`);
            }
            return y;
          },
          ref: ref(shape, axis),
          inputs: [{ shape, values: rng.normals(n) }],
          forwardTol: n > 2000 ? longTol : tol,
          // Skip the (slow, O(n²)) central differences on the long cases once they passed
          // with keepdim = false.
          gradTol: n > 2000 && keepdim ? undefined : tol,
        });
      }
    }
  });
}

Deno.test("sumAll and meanAll match float64 and give a scalar", async () => {
  const rng = new Rng(9);
  for (const shape of [[1], [3, 5], [2, 1, 700]]) {
    const n = shape.reduce((x, y) => x * y, 1);
    const values = rng.normals(n);
    await checkOp({
      name: `sumAll ${shape}`,
      op: ([x]) => sumAll(x),
      ref: sumAllRef,
      inputs: [{ shape, values }],
      forwardTol: tol,
      gradTol: tol,
    });
    await checkOp({
      name: `meanAll ${shape}`,
      op: ([x]) => meanAll(x),
      ref: meanAllRef,
      inputs: [{ shape, values }],
      forwardTol: tol,
      gradTol: tol,
    });
  }
  tidy(() => {
    if (sumAll(tensor([1, 2], [2])).rank !== 0) throw new Error("sumAll is not a scalar");
  });
});

Deno.test("sum and mean of 1M elements are accurate (two-level, fixed order)", async () => {
  const n = 1 << 20;
  const x = new Rng(11).uniforms(n, 0, 1);
  const [s, m, sAgain] = await tidy(async () => {
    const t = tensor(x);
    return [await sumAll(t).item(), await meanAll(t).item(), await sumAll(t).item()];
  });
  const [want] = sumAllRef([Float64Array.from(x)]);
  // One f32 running sum of these values is off by 1.4e-5 relative (measured in JS with
  // Math.fround); chunks of 1024 then a sum of the chunks: 2.7e-7.
  assertClose([s, m], [want, want / n], { atol: 0, rtol: 1e-6 }, "sumAll 1M");
  if (s !== sAgain) throw new Error(`sumAll is not deterministic: ${s} vs ${sAgain}`);
});

Deno.test("max routes the gradient to the first maximal element, across chunks too", async () => {
  const long = new Float32Array(3000).fill(-1);
  long[2500] = 4;
  long[1200] = 4; // first of the tie, in the second chunk
  long[1800] = 4;
  for (const [values, first] of [[Float32Array.of(1, 3, 3, 2), 1], [long, 1200]] as const) {
    const grad = await tidy(async () => {
      const x = tensor(values);
      x.requiresGrad = true;
      const y = max(x, 0);
      backward(y);
      const g = await x.grad!.data();
      x.grad!.dispose();
      return g;
    });
    const want = new Float32Array(values.length);
    want[first] = 1;
    assertClose(grad, want, { atol: 0, rtol: 0 }, `max tie of ${values.length}`);
  }
});

Deno.test("reductions record FLOPs and reject bad input", () => {
  tidy(() => {
    const x = tensor(new Float32Array(15), [3, 5]);
    const { flops } = measureFlops(() => sum(x, 1));
    if (flops !== 15) throw new Error(`sum of 15 elements recorded ${flops} FLOPs`);
    expectShapeError(() => sum(x, 2), "sum", "axis 2", "[3, 5]");
    expectShapeError(() => mean(x, -3), "mean", "[3, 5]");
    expectShapeError(() => max(x, 0.5), "max", "[3, 5]");
    expectShapeError(() => max(tensor(new Float32Array(0), [2, 0]), 1), "max", "[2, 0]");
    expectShapeError(() => sumAll(tensor(new Int32Array(4), [4], "i32")), "sumAll", "[4]");
  });
});
