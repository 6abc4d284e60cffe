import { add, div, mul, sub } from "../../src/tensor/ops/binary.ts";
import { checkOp, gpuReady, Rng } from "../helpers.ts";
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
