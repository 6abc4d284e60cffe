import { layerNorm, logSoftmax, softmax } from "../../src/tensor/ops/norm.ts";
import { tensor } from "../../src/tensor/tensor.ts";
import { tidy } from "../../src/tensor/scope.ts";
import { measureFlops } from "../../src/gpu/flops.ts";
import { checkOp, gpuReady, Rng } from "../helpers.ts";
import { layerNormRef, logSoftmaxRef, softmaxRef } from "../ref/norm.ts";
import { expectShapeError } from "./expect.ts";

await gpuReady();

// Row lengths: 1, odd (scalar path), multiples of 4 (vec4 path), size-1 dims, and long
// vocab-size rows on both paths. `grad: false` skips the O(n²) central differences.
const cases: { shape: number[]; grad: boolean }[] = [
  { shape: [1], grad: true },
  { shape: [3, 1], grad: true },
  { shape: [3, 5], grad: true },
  { shape: [2, 1, 7], grad: true },
  { shape: [4, 128], grad: true },
  { shape: [2, 3, 12], grad: true },
  { shape: [70, 36], grad: true },
  { shape: [2, 1001], grad: true },
  { shape: [3, 4096], grad: false },
  { shape: [2, 3001], grad: false },
];

const ops = [
  { name: "softmax", op: softmax, ref: softmaxRef },
  { name: "logSoftmax", op: logSoftmax, ref: logSoftmaxRef },
];

// Probabilities are ≤ 1 and rows sum f32 exps: a few ulp, more for long rows.
const forwardTol = { atol: 1e-6, rtol: 1e-5 };
const gradTol = { atol: 1e-5, rtol: 1e-4 };

for (const { name, op, ref } of ops) {
  Deno.test(`${name}: forward and gradient over the last axis match float64`, async () => {
    const rng = new Rng(13);
    for (const { shape, grad } of cases) {
      const n = shape.reduce((x, y) => x * y, 1);
      await checkOp({
        name: `${name} ${JSON.stringify(shape)}`,
        op: ([x]) => op(x),
        ref: ref(shape[shape.length - 1]),
        // Logit-like spread; log-softmax of long rows reaches −20, hence rtol.
        inputs: [{ shape, values: rng.normals(n, 3) }],
        forwardTol,
        gradTol: grad ? gradTol : undefined,
      });
    }
  });
}

Deno.test("softmax is stable for huge logits", async () => {
  const x = Float32Array.of(1e4, 1e4 - 1, -1e4, 80, 0, -80, 0, 100);
  for (const { name, op, ref } of ops) {
    await checkOp({
      name: `${name} huge`,
      op: ([t]) => op(t),
      ref: ref(4),
      inputs: [{ shape: [2, 4], values: x }],
      forwardTol: { atol: 1e-6, rtol: 1e-6 },
    });
  }
});

Deno.test("layerNorm: forward and dx, dweight, dbias match float64", async () => {
  const rng = new Rng(17);
  // [70, 36]: more rows than one 64-row chunk of the weight gradient.
  for (const { shape, grad } of [...cases, { shape: [130, 3], grad: true }]) {
    const n = shape.reduce((x, y) => x * y, 1);
    const d = shape[shape.length - 1];
    for (const eps of [1e-5, 0.1]) {
      if (d === 1 && eps === 1e-5) continue; // var = 0: y = b, gradients ∝ 1/√eps
      await checkOp({
        name: `layerNorm ${JSON.stringify(shape)} eps ${eps}`,
        op: ([x, w, b]) => layerNorm(x, w, b, eps),
        ref: layerNormRef(d, eps),
        inputs: [
          { shape, values: rng.normals(n, 2).map((v) => v + 0.5) },
          { shape: [d], values: rng.normals(d) },
          { shape: [d], values: rng.normals(d) },
        ],
        forwardTol: { atol: 1e-5, rtol: 1e-5 },
        gradTol: grad ? { atol: 1e-4, rtol: 1e-3 } : undefined,
      });
    }
  }
});

Deno.test("row ops record FLOPs and reject bad input", () => {
  tidy(() => {
    const x = tensor(new Float32Array(15), [3, 5]);
    const { flops } = measureFlops(() => softmax(x));
    if (flops <= 0) throw new Error("softmax recorded no FLOPs");
    const i = tensor(new Int32Array(4), [4], "i32");
    expectShapeError(() => softmax(i), "softmax", "[4]");
    expectShapeError(() => logSoftmax(tensor([1], [])), "logSoftmax", "[]");
    const w = tensor(new Float32Array(4), [4]);
    expectShapeError(() => layerNorm(x, w, w), "layerNorm", "[3, 5]", "[4]");
  });
});
