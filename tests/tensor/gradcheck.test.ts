/**
 * gradCheck (src/tensor/gradcheck.ts, used by the notebooks): passes correct gradients and
 * catches a wrong one.
 */
import assert from "node:assert/strict";
import { gradCheck } from "../../src/tensor/gradcheck.ts";
import { record } from "../../src/tensor/autograd.ts";
import { matmul } from "../../src/tensor/ops/matmul.ts";
import { softmax } from "../../src/tensor/ops/norm.ts";
import { scale, tanh } from "../../src/tensor/ops/unary.ts";
import { noGrad, type Tensor } from "../../src/tensor/tensor.ts";
import { gpuReady, Rng } from "../helpers.ts";

await gpuReady();

Deno.test("gradCheck: autograd matches central differences for softmax(tanh(a)·b)", async () => {
  const rng = new Rng(2);
  const rows = await gradCheck(([a, b]) => softmax(matmul(tanh(a), b)), [
    { name: "a", shape: [3, 4], values: rng.normals(12) },
    { name: "b", shape: [4, 2], values: rng.normals(8) },
  ]);
  assert.deepEqual(rows.map((r) => [r.input, r.elements, r.ok]), [["a", 12, true], ["b", 8, true]]);
  for (const r of rows) assert.ok(r.maxAbsError < 1e-3, `${r.input}: ${r.maxAbsError}`);
});

Deno.test("gradCheck: catches an op whose backward is off by a factor of two", async () => {
  // y = 3x, but the recorded backward says dy/dx = 1.5.
  const wrong = (x: Tensor) =>
    record(noGrad(() => scale(x, 3)), "wrong_scale", [x], (g) => [scale(g, 1.5)]);
  const [row] = await gradCheck(([x]) => wrong(x), [{
    name: "x",
    shape: [5],
    values: [1, 2, 3, 4, 5],
  }]);
  assert.equal(row.ok, false);
  for (let j = 0; j < 5; j++) assert.ok(Math.abs(row.numeric[j] / row.analytic[j] - 2) < 1e-2);
});
