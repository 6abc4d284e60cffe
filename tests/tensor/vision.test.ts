import { meanPool, patchify, sumPool } from "../../src/tensor/ops/vision.ts";
import { paddingMask } from "../../src/tensor/ops/masks.ts";
import { tensor } from "../../src/tensor/tensor.ts";
import { tidy } from "../../src/tensor/scope.ts";
import { checkOp, gpuReady, Rng } from "../helpers.ts";
import { patchifyRef, poolRef } from "../ref/vision.ts";
import { assertEq } from "./eq.ts";
import { expectShapeError } from "./expect.ts";

await gpuReady();

// patchify is a copy (exact); pooling sums ≤ 65 f32 terms per output (1e-5 relative).
const EXACT = { atol: 0, rtol: 0 };
const FWD = { atol: 1e-6, rtol: 1e-5 };
const GRAD = { atol: 1e-4, rtol: 1e-4 };

Deno.test("patchify: row-major patches, channel fastest; gradient is the inverse", async () => {
  const rng = new Rng(1);
  const cases: [number[], number][] = [
    [[2, 4, 6, 3], 2],
    [[1, 3, 3, 1], 3],
    [[1, 2, 3, 2], 1],
    [[3, 6, 4, 1], 2],
  ];
  for (const [shape, p] of cases) {
    const n = shape.reduce((a, b) => a * b, 1);
    await checkOp({
      name: `patchify ${JSON.stringify(shape)} p=${p}`,
      op: ([x]) => patchify(x, p),
      ref: patchifyRef(shape, p),
      inputs: [{ shape, values: rng.normals(n) }],
      forwardTol: EXACT,
      gradTol: GRAD,
    });
  }
});

Deno.test("meanPool/sumPool: plain and masked, awkward sizes, all-zero mask row gives 0", async () => {
  const rng = new Rng(2);
  const cases: [number[], boolean][] = [[[2, 5, 3], false], [[3, 4, 65], true], [[1, 1, 1], true], [
    [2, 7, 4],
    false,
  ]];
  for (const [shape, masked] of cases) {
    const [b, t, d] = shape;
    // Row n keeps its first n positions: row 0 is all zero.
    const mask = Float32Array.from(
      { length: b * t },
      (_, i) => (i % t < Math.floor(i / t) ? 1 : 0),
    );
    if (masked && b > 1) mask[t + 1] = 0.5; // fractional weights are allowed
    for (
      const [name, op, mean] of [["meanPool", meanPool, true], ["sumPool", sumPool, false]] as const
    ) {
      await checkOp({
        name: `${name} ${JSON.stringify(shape)}${masked ? " masked" : ""}`,
        op: ([x, m]) => op(x, m),
        ref: poolRef(shape, mean),
        inputs: masked
          ? [{ shape, values: rng.normals(b * t * d) }, {
            shape: [b, t],
            values: mask,
            noGrad: true,
          }]
          : [{ shape, values: rng.normals(b * t * d) }],
        forwardTol: FWD,
        gradTol: GRAD,
      });
    }
  }
});

Deno.test("meanPool: masked-out positions holding inf/NaN do not leak", async () => {
  const got = await tidy(() => {
    const x = tensor([1, 2, Infinity, NaN, 5, 6], [1, 3, 2]);
    return meanPool(x, tensor([1, 0, 1], [1, 3])).read();
  });
  assertEq(Array.from(got), [3, 4]);
});

Deno.test("paddingMask: 1 before each length, 0 after", async () => {
  const got = await tidy(() => paddingMask(tensor(Int32Array.from([0, 3, 5, -2])), 4).read());
  assertEq(Array.from(got), [0, 0, 0, 0, 1, 1, 1, 0, 1, 1, 1, 1, 0, 0, 0, 0]);
});

Deno.test("vision ops: ShapeError names the op and shapes", () => {
  tidy(() => {
    const img = tensor(new Float32Array(2 * 4 * 6 * 3), [2, 4, 6, 3]);
    expectShapeError(() => patchify(img, 4), "patchify", "divisible", "[2, 4, 6, 3]");
    expectShapeError(() => patchify(tensor(new Float32Array(8), [2, 4]), 2), "patchify", "[2, 4]");
    const x = tensor(new Float32Array(24), [2, 3, 4]);
    expectShapeError(() => meanPool(x, tensor(new Float32Array(6), [3, 2])), "meanPool", "[3, 2]");
    expectShapeError(() => sumPool(tensor(new Float32Array(6), [2, 3])), "sumPool", "[2, 3]");
    expectShapeError(() => paddingMask(tensor([1, 2]), 3), "paddingMask", "f32");
  });
});
