import { attention, causalMask, MASKED_SCORE, maskScores } from "../../src/tensor/ops/attention.ts";
import { tensor } from "../../src/tensor/tensor.ts";
import { tidy } from "../../src/tensor/scope.ts";
import { assertClose, checkOp, gpuReady, Rng } from "../helpers.ts";
import { attentionRef, maskScoresRef, type RefMasks } from "../ref/attention.ts";

await gpuReady();

function size(s: number[]): number {
  return s.reduce((x, y) => x * y, 1);
}

/** Masks as reference arrays and as the tensor the op takes. */
function maskInputs(shape: number[], m: RefMasks) {
  const [b, , t] = shape;
  const keyPadding = m.lengths
    ? tensor(Int32Array.from(m.lengths), [b], "i32")
    : m.mask
    ? tensor(Float32Array.from(m.mask), [b, t])
    : undefined;
  return { causal: m.causal, keyPadding };
}

const GRAD_CASES: [number[], RefMasks][] = [
  [[1, 1, 3, 4], {}],
  [[2, 2, 5, 4], { causal: true }],
  [[2, 1, 6, 8], { lengths: [6, 3] }],
  [[2, 2, 5, 4], { causal: true, lengths: [2, 5] }],
  [[2, 1, 4, 4], { mask: [1, 0, 1, 1, 0, 1, 1, 0] }],
  [[1, 1, 3, 4], { lengths: [0] }], // no valid key: output and gradients 0
];

Deno.test("attention: forward and gradients of q, k, v match float64 (causal, padding)", async () => {
  const rng = new Rng(11);
  for (const [shape, m] of GRAD_CASES) {
    const n = size(shape);
    await checkOp({
      name: `attention ${JSON.stringify(shape)} ${JSON.stringify(m)}`,
      op: ([q, k, v]) => attention(q, k, v, maskInputs(shape, m)),
      ref: attentionRef(shape, m),
      inputs: [0, 1, 2].map(() => ({ shape, values: rng.normals(n) })),
      forwardTol: { atol: 1e-5, rtol: 1e-5 },
      gradTol: { atol: 2e-4, rtol: 2e-3 },
    });
  }
});

Deno.test("attention: larger shapes (T = 1, 65, 127, 160; Dh = 32, 64) match float64", async () => {
  const rng = new Rng(12);
  const cases: [number[], RefMasks][] = [
    [[2, 2, 1, 32], { causal: true }],
    [[2, 2, 65, 32], { causal: true, lengths: [65, 40] }],
    [[1, 3, 127, 64], { lengths: [100] }],
    [[2, 4, 96, 32], { causal: true }],
    [[1, 2, 160, 64], {}],
  ];
  for (const [shape, m] of cases) {
    const n = size(shape);
    const xs = [0, 1, 2].map(() => rng.normals(n));
    const expected = attentionRef(shape, m)(xs.map((x) => Float64Array.from(x)));
    const got = await tidy(async () => {
      const [q, k, v] = xs.map((x) => tensor(x, shape));
      return await attention(q, k, v, maskInputs(shape, m)).data();
    });
    // Outputs are convex combinations of V rows: errors stay near f32 ε·|v|.
    assertClose(got, expected, { atol: 2e-5, rtol: 1e-4 }, `attention ${JSON.stringify(shape)}`);
  }
});

Deno.test("maskScores: forward and zero gradient at masked positions; causalMask", async () => {
  const rng = new Rng(13);
  const cases: [number[], RefMasks][] = [
    [[2, 4, 4], { causal: true }],
    [[2, 3, 5, 5], { causal: true, lengths: [2, 5] }],
    [[2, 3, 4], { mask: [1, 1, 0, 1, 0, 1, 1, 1] }],
  ];
  for (const [shape, m] of cases) {
    const t = shape.at(-1)!;
    await checkOp({
      name: `maskScores ${JSON.stringify(shape)} ${JSON.stringify(m)}`,
      op: ([x]) => maskScores(x, maskInputs([shape[0], 1, t], m)),
      ref: maskScoresRef(shape, m, MASKED_SCORE),
      inputs: [{ shape, values: rng.normals(size(shape)) }],
      forwardTol: { atol: 0, rtol: 0 },
      gradTol: { atol: 1e-4, rtol: 1e-4 },
      // The op is linear, so a large step is exact and keeps the ±1e9 fill from cancelling.
      eps: 1e-2,
    });
  }
  const got = await tidy(() => causalMask(3).data());
  assertClose(got, [1, 0, 0, 1, 1, 0, 1, 1, 1], { atol: 0, rtol: 0 }, "causalMask(3)");
});

Deno.test("attention: shape errors name the op and shapes", () => {
  tidy(() => {
    const q = tensor(new Float32Array(2 * 3 * 4), [1, 2, 3, 4]);
    const k = tensor(new Float32Array(2 * 2 * 4), [1, 2, 2, 4]);
    let msg = "";
    try {
      attention(q, k, k);
    } catch (e) {
      msg = (e as Error).message;
    }
    if (!msg.startsWith("attention:") || !msg.includes("[1, 2, 3, 4]")) throw new Error(msg);
  });
});
