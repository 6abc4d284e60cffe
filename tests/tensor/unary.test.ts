import {
  addScalar,
  exp,
  gelu,
  log,
  logSigmoid,
  neg,
  relu,
  scale,
  sigmoid,
  softplus,
  sqrt,
  square,
  tanh,
  unary,
} from "../../src/tensor/ops/unary.ts";
import { tensor } from "../../src/tensor/tensor.ts";
import { tidy } from "../../src/tensor/scope.ts";
import { sync } from "../../src/gpu/batch.ts";
import { measureFlops } from "../../src/gpu/flops.ts";
import { assertClose, checkOp, gpuReady, Rng } from "../helpers.ts";
import { UNARY_REF, unaryRef } from "../ref/unary.ts";
import { expectShapeError } from "./expect.ts";

await gpuReady();

// Awkward sizes: not multiples of 4 or 64, size-1 dims.
const shapes = [[1], [7], [3, 5], [2, 1, 33], [4, 65]];

/** Inputs away from each op's singular points (log/sqrt need x > 0; relu's kink at 0). */
function inputs(name: string, rng: Rng, n: number): Float32Array {
  if (name === "log" || name === "sqrt") return rng.uniforms(n, 0.2, 3);
  const x = rng.normals(n, 2);
  if (name === "relu") return x.map((v) => (Math.abs(v) < 1e-2 ? v + 0.1 : v));
  return x;
}

const ops = [
  { name: "exp", op: exp },
  { name: "log", op: log },
  { name: "tanh", op: tanh },
  { name: "gelu", op: gelu },
  { name: "relu", op: relu },
  { name: "sigmoid", op: sigmoid },
  { name: "logSigmoid", op: logSigmoid },
  { name: "softplus", op: softplus },
  { name: "neg", op: neg },
  { name: "sqrt", op: sqrt },
  { name: "square", op: square },
  { name: "scale", op: (x: Parameters<typeof exp>[0]) => scale(x, -1.75), s: -1.75 },
  { name: "addScalar", op: (x: Parameters<typeof exp>[0]) => addScalar(x, 0.3), s: 0.3 },
];

// f32 kernels with lavapipe's exp/log against float64: a few ulp plus cancellation near 0.
const forwardTol = { atol: 1e-6, rtol: 2e-6 };
const gradTol = { atol: 1e-5, rtol: 1e-4 };

for (const { name, op, s } of ops) {
  Deno.test(`${name}: forward and gradient match float64`, async () => {
    const rng = new Rng(3);
    for (const shape of shapes) {
      const n = shape.reduce((x, y) => x * y, 1);
      await checkOp({
        name: `${name} ${JSON.stringify(shape)}`,
        op: ([x]) => op(x),
        ref: unaryRef(name, s),
        inputs: [{ shape, values: inputs(name, rng, n) }],
        forwardTol,
        gradTol,
      });
    }
  });
}

Deno.test("stable ops stay finite and accurate at extreme inputs", async () => {
  const x = Float32Array.from([-100, -40, -20, -1e-3, -1e-6, 0, 1e-6, 1e-3, 20, 40, 100]);
  for (const name of ["tanh", "gelu", "sigmoid", "logSigmoid", "softplus"]) {
    await checkOp({
      name: `${name} extremes`,
      op: ([t]) => unary(name as "tanh", t),
      ref: unaryRef(name),
      inputs: [{ shape: [x.length], values: x }],
      // Relative accuracy matters here: softplus(−40) ≈ 4e-18, tanh(1e-6) ≈ 1e-6.
      forwardTol: { atol: 1e-30, rtol: 2e-6 },
    });
  }
});

Deno.test("scale on > 65535·64·4 elements (folded 2-D grid) matches float64", async () => {
  const n = 65535 * 64 * 4 + 37;
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = (i % 1000) - 500;
  const got = await tidy(async () => {
    const y = scale(tensor(x), 0.5);
    return await y.data();
  });
  const want = x.map((v) => UNARY_REF.scale(v, 0.5));
  assertClose(got, want, { atol: 0, rtol: 0 }, "scale folded");
});

Deno.test("unary ops record FLOPs and reject bad input", async () => {
  await tidy(async () => {
    const x = tensor(new Float32Array(10), [2, 5]);
    const { flops } = measureFlops(() => exp(x));
    if (flops !== 10) throw new Error(`exp of 10 elements recorded ${flops} FLOPs`);
    expectShapeError(() => exp(tensor(new Int32Array(3), [3], "i32")), "exp", "[3]");
    await sync();
  });
});
