import { embedding, gather, gatherRows, rowIndex } from "../../src/tensor/ops/gather.ts";
import { tensor } from "../../src/tensor/tensor.ts";
import { tidy } from "../../src/tensor/scope.ts";
import { backward } from "../../src/tensor/autograd.ts";
import { assertClose, checkOp, gpuReady, Rng } from "../helpers.ts";
import { gatherRef, scatterAddRef } from "../ref/gather.ts";
import { assertEq } from "./eq.ts";
import { expectShapeError } from "./expect.ts";

await gpuReady();

// Gathers copy (exact); the scatter-add sums a handful of f32 terms per element.
const EXACT = { atol: 0, rtol: 0 };
const GRAD = { atol: 1e-4, rtol: 1e-4 };
const ints = (rng: Rng, n: number, lo: number, hi: number) =>
  Int32Array.from({ length: n }, () => lo + rng.int(hi - lo));

Deno.test("embedding: repeated ids are summed, out-of-range ids give zero rows and no grad", async () => {
  const rng = new Rng(1);
  const cases: [number, number, number[], Int32Array][] = [
    [7, 3, [2, 5], Int32Array.from([0, 3, 3, 6, 3, 0, 1, 3, 3, 6])],
    [5, 65, [9], Int32Array.from([4, -1, 2, 5, 4, 4, 100, 0, 2])], // -1, 5, 100 out of range
    [1, 1, [1], Int32Array.from([0])],
    [3, 4, [2, 2, 3], ints(rng, 12, -1, 4)],
  ];
  for (const [v, d, idShape, ids] of cases) {
    await checkOp({
      name: `embedding V=${v} D=${d} ids ${JSON.stringify(idShape)}`,
      op: ([table, i]) => embedding(table, i),
      ref: gatherRef([v, d], 0),
      inputs: [
        { shape: [v, d], values: rng.normals(v * d) },
        { shape: idShape, values: ids, int: true },
      ],
      forwardTol: EXACT,
      gradTol: GRAD,
    });
  }
});

Deno.test("gatherRows and gather along inner axes: forward and scatter-add gradient", async () => {
  const rng = new Rng(2);
  await checkOp({
    name: "gatherRows [6,5] by 11 ids",
    op: ([x, i]) => gatherRows(x, i),
    ref: gatherRef([6, 5], 0),
    inputs: [
      { shape: [6, 5], values: rng.normals(30) },
      { shape: [11], values: Int32Array.from([5, 0, 0, 2, 5, 5, 1, -3, 2, 6, 0]), int: true },
    ],
    forwardTol: EXACT,
    gradTol: GRAD,
  });
  for (const [shape, axis] of [[[2, 5, 3], 1], [[3, 4, 2], 2], [[4, 3], -1]] as const) {
    const ax = (axis + shape.length) % shape.length;
    const n = shape.reduce((a, b) => a * b, 1);
    await checkOp({
      name: `gather ${JSON.stringify(shape)} axis ${axis}`,
      op: ([x, i]) => gather(x, axis, i),
      ref: gatherRef([...shape], ax),
      inputs: [
        { shape: [...shape], values: rng.normals(n) },
        { shape: [2, 3], values: ints(rng, 6, 0, shape[ax]), int: true },
      ],
      forwardTol: EXACT,
      gradTol: GRAD,
    });
  }
});

Deno.test("gather moves i32 tensors", async () => {
  const got = await tidy(() =>
    gather(tensor(Int32Array.from([10, -20, 30]), [3]), 0, tensor(Int32Array.from([2, 2, 0, 7])))
      .read()
  );
  assertEq(Array.from(got), [30, 30, 10, 0]);
});

/** table.grad of Σ w·embedding(table, ids), as f32 bits. */
async function embeddingGrad(v: number, d: number, ids: Int32Array, w: Float32Array) {
  return await tidy(async () => {
    const table = tensor(new Float32Array(v * d).fill(0.5), [v, d]);
    table.requiresGrad = true;
    const idt = tensor(ids);
    backward(embedding(table, idt), tensor(w, [ids.length, d]));
    const g = (await table.grad!.read()) as Float32Array;
    table.grad!.dispose();
    return g;
  });
}

Deno.test("embedding backward at scale: V=300, N=3001 (non power of two) vs float64, bit-identical twice", async () => {
  const rng = new Rng(3);
  const [v, d, n] = [300, 16, 3001];
  const ids = ints(rng, n, -2, v + 2); // includes a few out-of-range ids
  for (let i = 0; i < 200; i++) ids[rng.int(n)] = 7; // a heavily repeated id
  const w = rng.normals(n * d);
  const first = await embeddingGrad(v, d, ids, w);
  const second = await embeddingGrad(v, d, ids, w);
  assertClose(first, scatterAddRef(w, ids, v, d), { atol: 1e-4, rtol: 1e-5 }, "scatter-add");
  assertEq(
    Array.from(new Uint32Array(first.buffer)),
    Array.from(new Uint32Array(second.buffer)),
    "determinism",
  );
});

Deno.test("rowIndex: a stable CSR index (positions ascend within a row)", async () => {
  const ids = Int32Array.from([3, 1, 3, -1, 0, 1, 9, 3, 0]);
  const [sorted, offsets] = await tidy(async () => {
    const ix = rowIndex(tensor(ids), 4);
    return [await ix.sorted.read(), await ix.offsets.read()];
  });
  assertEq(Array.from(offsets), [0, 2, 4, 4, 7]);
  const pairs = Array.from({ length: ids.length }, (_, k) => [sorted[2 * k], sorted[2 * k + 1]]);
  assertEq(pairs, [[0, 4], [0, 8], [1, 1], [1, 5], [3, 0], [3, 2], [3, 7], [4, 3], [4, 6]]);
});

Deno.test("gathers: ShapeError names the op and shapes", () => {
  tidy(() => {
    const table = tensor(new Float32Array(12), [4, 3]);
    const ids = tensor(Int32Array.from([1, 2]));
    expectShapeError(() => embedding(table, tensor([1, 2])), "embedding", "[4, 3]");
    expectShapeError(() => embedding(tensor(new Float32Array(4), [4]), ids), "embedding", "[4]");
    expectShapeError(() => gatherRows(table, tensor(new Int32Array(4), [2, 2])), "gatherRows");
    expectShapeError(() => gather(table, 2, ids), "gather: axis 2 is out of range", "[4, 3]");
    expectShapeError(() => gather(table, 0, tensor([0.5])), "gather", "i32");
  });
});

Deno.test("gatherRows past 65535 rows of output (grid folded into z) and a 17-pass sort", async () => {
  const rng = new Rng(5);
  const [n, d, m] = [5, 64, 70001];
  const x = rng.normals(n * d);
  const idx = ints(rng, m, -1, n + 1);
  const w = rng.normals(m * d);
  const [out, grad] = await tidy(async () => {
    const xt = tensor(x, [n, d]);
    xt.requiresGrad = true;
    const y = gatherRows(xt, tensor(idx));
    backward(y, tensor(w, [m, d]));
    const res = [await y.data(), await xt.grad!.data()];
    xt.grad!.dispose();
    return res;
  });
  assertClose(
    out,
    gatherRef([n, d], 0)([Float64Array.from(x), Float64Array.from(idx)]),
    EXACT,
    "forward",
  );
  assertClose(grad, scatterAddRef(w, idx, n, d), { atol: 1e-3, rtol: 1e-5 }, "scatter-add");
});
