import { crossEntropy, sequenceLogProbs, tokenLogProbs } from "../../src/tensor/ops/loss.ts";
import { tensor } from "../../src/tensor/tensor.ts";
import { tidy } from "../../src/tensor/scope.ts";
import { backward } from "../../src/tensor/autograd.ts";
import { assertClose, checkOp, gpuReady, Rng } from "../helpers.ts";
import { crossEntropyRef, sequenceLogProbsRef, tokenLogProbsRef } from "../ref/loss.ts";
import { assertEq } from "./eq.ts";
import { expectShapeError } from "./expect.ts";

await gpuReady();

// f32 log-sum-exp over ≤ a few thousand logits: forward within 1e-5 (relative 1e-5 on the
// larger values); gradients (softmax − one-hot) within 2e-5 of central differences.
const FWD = { atol: 1e-5, rtol: 1e-5 };
const GRAD = { atol: 2e-5, rtol: 1e-4 };

Deno.test("crossEntropy: forward and gradient, ignored and out-of-range targets skipped", async () => {
  const rng = new Rng(1);
  const cases: [number, number, number[], number][] = [
    [5, 7, [3, -100, 0, 6, 7], -100], // 7 is out of range: skipped like -100
    [3, 65, [64, 0, 17], -100],
    [4, 3, [1, 2, 1, 0], 1], // ignoreIndex may be a real class
    [1, 1, [0], -100], // log softmax of one logit is 0
  ];
  for (const [n, v, targets, ignoreIndex] of cases) {
    await checkOp({
      name: `crossEntropy N=${n} V=${v} ignore=${ignoreIndex}`,
      op: ([x, t]) => crossEntropy(x, t, { ignoreIndex }),
      ref: crossEntropyRef(v, ignoreIndex),
      inputs: [
        { shape: [n, v], values: rng.normals(n * v, 2) },
        { shape: [n], values: Int32Array.from(targets), int: true },
      ],
      forwardTol: FWD,
      gradTol: GRAD,
    });
  }
});

Deno.test("crossEntropy: every row ignored gives 0 and a zero gradient, not NaN", async () => {
  const [loss, grad] = await tidy(async () => {
    const x = tensor(new Rng(2).normals(12), [3, 4]);
    x.requiresGrad = true;
    const l = crossEntropy(x, tensor(Int32Array.from([-100, -100, -100])));
    backward(l);
    const out = [await l.item(), Array.from(await x.grad!.data())] as const;
    x.grad!.dispose();
    return out;
  });
  assertEq(loss, 0);
  assertEq(grad, new Array(12).fill(0));
});

Deno.test("crossEntropy: large vocabulary and huge logits stay finite and match float64", async () => {
  const rng = new Rng(3);
  const [n, v] = [4, 3000];
  const x = rng.normals(n * v, 3);
  for (let i = 0; i < v; i++) x[i] += 1e4; // row 0 near 1e4: exp would overflow unshifted
  x[v + 5] = 80; // row 1 dominated by one logit
  const targets = Int32Array.from([2999, 5, 0, 1234]);
  await checkOp({
    name: "crossEntropy N=4 V=3000",
    op: ([a, t]) => crossEntropy(a, t),
    ref: crossEntropyRef(v),
    inputs: [{ shape: [n, v], values: x }, { shape: [n], values: targets, int: true }],
    // x − max is exact in f32 and kept apart from log Σ exp, so 1e4 offsets cost nothing.
    forwardTol: FWD,
  });
  await checkOp({
    name: "tokenLogProbs N=4 V=3000",
    op: ([a, t]) => tokenLogProbs(a, t),
    ref: tokenLogProbsRef(v),
    inputs: [{ shape: [n, v], values: x }, { shape: [n], values: targets, int: true }],
    forwardTol: FWD,
  });
});

Deno.test("crossEntropy: gradient at V=2000 with 1e4 offsets matches float64 softmax − one-hot", async () => {
  const rng = new Rng(7);
  const [n, v] = [3, 2000];
  const x = rng.normals(n * v, 3);
  for (let i = 0; i < v; i++) x[i] += 1e4;
  const targets = Int32Array.from([17, -100, 1999]);
  const grad = await tidy(async () => {
    const a = tensor(x, [n, v]);
    a.requiresGrad = true;
    backward(crossEntropy(a, tensor(targets)));
    const g = await a.grad!.data();
    a.grad!.dispose();
    return g;
  });
  const expected = new Float64Array(n * v);
  for (const row of [0, 2]) {
    const xs = Array.from(x.subarray(row * v, (row + 1) * v));
    const m = Math.max(...xs);
    const s = xs.reduce((acc, xi) => acc + Math.exp(xi - m), 0);
    xs.forEach((xi, j) => {
      expected[row * v + j] = (Math.exp(xi - m) / s - (j === targets[row] ? 1 : 0)) / 2;
    });
  }
  assertClose(grad, expected, { atol: 1e-7, rtol: 1e-4 }, "gradient");
});

Deno.test("crossEntropy: two runs are bit-identical (loss and gradient)", async () => {
  const rng = new Rng(4);
  const [n, v] = [301, 257];
  const x = rng.normals(n * v);
  const targets = Int32Array.from({ length: n }, () => rng.int(v + 40) - 20);
  const run = () =>
    tidy(async () => {
      const a = tensor(x, [n, v]);
      a.requiresGrad = true;
      const l = crossEntropy(a, tensor(targets));
      backward(l);
      const bits = [
        ...new Uint32Array((await l.read()).buffer),
        ...new Uint32Array((await a.grad!.read()).buffer),
      ];
      a.grad!.dispose();
      return bits;
    });
  const first = await run();
  assertEq(first, await run(), "determinism");
  const expected = crossEntropyRef(v)([Float64Array.from(x), Float64Array.from(targets)]);
  assertClose([new Float32Array(Uint32Array.of(first[0]).buffer)[0]], expected, FWD, "loss");
});

Deno.test("tokenLogProbs: per-row log p, negative targets give 0 and no gradient", async () => {
  const rng = new Rng(5);
  await checkOp({
    name: "tokenLogProbs N=6 V=9",
    op: ([x, t]) => tokenLogProbs(x, t),
    ref: tokenLogProbsRef(9),
    inputs: [
      { shape: [6, 9], values: rng.normals(54, 2) },
      { shape: [6], values: Int32Array.from([0, -100, 8, 3, 9, 3]), int: true },
    ],
    forwardTol: FWD,
    gradTol: GRAD,
  });
});

Deno.test("sequenceLogProbs: masked sum of response log-probs per sequence", async () => {
  const rng = new Rng(6);
  const [b, t, v] = [3, 4, 5];
  await checkOp({
    name: "sequenceLogProbs B=3 T=4 V=5",
    op: ([x, tg, m]) => sequenceLogProbs(x, tg, m),
    ref: sequenceLogProbsRef(b, t, v),
    inputs: [
      { shape: [b, t, v], values: rng.normals(b * t * v, 2) },
      {
        shape: [b, t],
        values: Int32Array.from([1, 2, 3, 4, 0, 0, -100, 1, 4, 4, 4, 4]),
        int: true,
      },
      { shape: [b, t], values: [0, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0], noGrad: true },
    ],
    forwardTol: FWD,
    gradTol: GRAD,
  });
});

Deno.test("losses: ShapeError names the op and shapes", () => {
  tidy(() => {
    const x = tensor(new Float32Array(12), [3, 4]);
    expectShapeError(() => crossEntropy(x, tensor([1, 2, 3])), "crossEntropy", "[3, 4]", "f32");
    expectShapeError(() => crossEntropy(x, tensor(Int32Array.of(1, 2))), "crossEntropy", "[2]");
    expectShapeError(
      () => tokenLogProbs(tensor(new Float32Array(12)), tensor(Int32Array.of(1))),
      "tokenLogProbs",
    );
    const x3 = tensor(new Float32Array(24), [2, 3, 4]);
    const t = tensor(new Int32Array(6), [2, 3]);
    expectShapeError(
      () => sequenceLogProbs(x3, t, tensor(new Float32Array(6), [3, 2])),
      "sequenceLogProbs",
      "[3, 2]",
    );
  });
});
