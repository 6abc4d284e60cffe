import { add, div, mul, sub, sumToShape } from "../../src/tensor/ops/binary.ts";
import { tensor } from "../../src/tensor/tensor.ts";
import { tidy } from "../../src/tensor/scope.ts";
import { assertClose, checkOp, gpuReady, Rng } from "../helpers.ts";
import { binaryRef } from "../ref/elementwise.ts";

await gpuReady();

const cases: [number[], number[]][] = [
  [[3, 5], [3, 5]],
  [[2, 3, 4], [4]],
  [[2, 1, 4], [3, 1]],
  [[5], [1]],
  [[2, 3, 1, 2], [1, 3, 5, 2]],
];
const ops = [
  { name: "add", op: add, f: (x: number, y: number) => x + y },
  { name: "sub", op: sub, f: (x: number, y: number) => x - y },
  { name: "mul", op: mul, f: (x: number, y: number) => x * y },
  { name: "div", op: div, f: (x: number, y: number) => x / y },
];

for (const { name, op, f } of ops) {
  Deno.test(`${name}: forward and gradient with broadcasting match float64`, async () => {
    const rng = new Rng(1);
    for (const [sa, sb] of cases) {
      const na = sa.reduce((x, y) => x * y, 1);
      const nb = sb.reduce((x, y) => x * y, 1);
      // Keep divisors away from zero so central differences stay well conditioned.
      const b = name === "div" ? rng.uniforms(nb, 0.5, 2) : rng.normals(nb);
      await checkOp({
        name: `${name} ${JSON.stringify(sa)}·${JSON.stringify(sb)}`,
        op: ([x, y]) => op(x, y),
        ref: binaryRef(f, sa, sb),
        inputs: [{ shape: sa, values: rng.normals(na) }, { shape: sb, values: b }],
        forwardTol: { atol: 1e-6, rtol: 1e-6 },
        gradTol: { atol: 1e-4, rtol: 1e-4 },
      });
    }
  });
}

Deno.test("broadcast fast paths (merged ≤ 3 dims, vec4) and the general path agree with float64", async () => {
  const rng = new Rng(3);
  const shapes: [number[], number[]][] = [
    [[6, 5, 8], [8]], // bias over rows: vec4 inner
    [[6, 5, 7], [7]], // bias, scalar inner
    [[6, 5, 8], [6, 5, 1]], // per-row scale
    [[4, 1, 8], [4, 3, 8]], // a broadcast along the middle
    [[2, 3, 4, 5, 6], [3, 1, 5, 1]], // merges to > 3 dims: general kernel
    [[1, 1, 1], [1]],
    [[70000, 2], [2]], // many rows (grid y)
  ];
  for (const [sa, sb] of shapes) {
    const na = sa.reduce((x, y) => x * y, 1);
    const nb = sb.reduce((x, y) => x * y, 1);
    await checkOp({
      name: `mul ${JSON.stringify(sa)}·${JSON.stringify(sb)}`,
      op: ([x, y]) => mul(x, y),
      ref: binaryRef((x, y) => x * y, sa, sb),
      inputs: [{ shape: sa, values: rng.normals(na) }, { shape: sb, values: rng.normals(nb) }],
      forwardTol: { atol: 1e-6, rtol: 1e-6 },
      // The big case's gradient check would cost O(n²) in float64: forward only there.
      gradTol: na > 10000 ? undefined : { atol: 1e-4, rtol: 1e-4 },
    });
  }
});

Deno.test("sumToShape over a long axis splits into chunks and stays accurate", async () => {
  const rng = new Rng(4);
  const rows = 9000;
  const values = rng.normals(rows * 3);
  const expected = [0, 0, 0];
  values.forEach((v, i) => (expected[i % 3] += v));
  const got = await tidy(async () => {
    const g = tensor(values, [rows, 3]);
    return await sumToShape(g, [3]).read();
  });
  assertClose(got, expected, { atol: 2e-4, rtol: 1e-5 }, "sumToShape [9000,3]→[3]");
});
