import { attention, attentionPacked } from "../../src/tensor/ops/attention.ts";
import { tensor } from "../../src/tensor/tensor.ts";
import { backward } from "../../src/tensor/autograd.ts";
import { tidy } from "../../src/tensor/scope.ts";
import { permute, reshape, slice } from "../../src/tensor/ops/shape_ops.ts";
import { assertClose, checkOp, gpuReady, Rng } from "../helpers.ts";
import { expectShapeError } from "./expect.ts";
import { attentionPackedRef, type RefMasks } from "../ref/attention.ts";

await gpuReady();

/** [B, T, H, Dh] cases with their masks. */
type Case = [number, number, number, number, RefMasks];

function keyPadding(b: number, t: number, m: RefMasks) {
  return m.lengths
    ? tensor(Int32Array.from(m.lengths), [b], "i32")
    : m.mask
    ? tensor(Float32Array.from(m.mask), [b, t])
    : undefined;
}

Deno.test("attentionPacked: forward and packed gradient match float64 (causal, padding, awkward T)", async () => {
  const rng = new Rng(21);
  const cases: Case[] = [
    [1, 3, 1, 4, {}],
    [2, 5, 2, 4, { causal: true }],
    [2, 6, 1, 8, { lengths: [6, 3] }],
    [2, 7, 3, 4, { causal: true, lengths: [2, 7] }],
    [2, 4, 2, 4, { mask: [1, 0, 1, 1, 0, 1, 1, 0] }],
    [2, 5, 2, 4, { causal: true, mask: [1, 1, 0, 1, 1, 0, 1, 1, 1, 0] }],
    [1, 3, 2, 4, { lengths: [0] }], // no valid key: output and gradients 0
    [1, 33, 2, 8, { causal: true }], // two row blocks, the last one partial
  ];
  for (const [b, t, h, dh, m] of cases) {
    await checkOp({
      name: `attentionPacked B${b} T${t} H${h} Dh${dh} ${JSON.stringify(m)}`,
      op: ([qkv]) => attentionPacked(qkv, h, { causal: m.causal, keyPadding: keyPadding(b, t, m) }),
      ref: attentionPackedRef(b, t, h, dh, m),
      inputs: [{ shape: [b, t, 3 * h * dh], values: rng.normals(b * t * 3 * h * dh) }],
      forwardTol: { atol: 1e-5, rtol: 1e-5 },
      gradTol: { atol: 2e-4, rtol: 2e-3 },
    });
  }
});

Deno.test("attentionPacked: scale option and larger shapes (T = 1, 65, 97; Dh = 32) match float64", async () => {
  const rng = new Rng(22);
  const cases: [...Case, number?][] = [
    [2, 1, 2, 32, { causal: true }],
    [2, 65, 4, 32, { causal: true, lengths: [65, 40] }],
    [1, 97, 3, 32, { lengths: [80] }, 0.05],
  ];
  for (const [b, t, h, dh, m, scale] of cases) {
    const x = rng.normals(b * t * 3 * h * dh);
    const expected = attentionPackedRef(b, t, h, dh, m, scale)([Float64Array.from(x)]);
    const got = await tidy(async () => {
      const qkv = tensor(x, [b, t, 3 * h * dh]);
      return await attentionPacked(qkv, h, {
        causal: m.causal,
        keyPadding: keyPadding(b, t, m),
        scale,
      }).data();
    });
    assertClose(got, expected, { atol: 2e-5, rtol: 1e-4 }, `attentionPacked T${t} H${h}`);
  }
});

Deno.test("attentionPacked equals attention on the permuted/sliced heads, gradients too (bit for bit)", async () => {
  const rng = new Rng(23);
  const [b, t, h, dh] = [2, 37, 4, 16];
  const d = h * dh;
  const x = rng.normals(b * t * 3 * d);
  const w = rng.normals(b * t * d);
  const run = (packed: boolean) =>
    tidy(async () => {
      const qkv = tensor(x, [b, t, 3 * d]);
      qkv.requiresGrad = true;
      const opts = { causal: true, keyPadding: tensor(Int32Array.from([37, 20]), [b], "i32") };
      let y;
      if (packed) {
        y = attentionPacked(qkv, h, opts);
      } else {
        const p = permute(reshape(qkv, [b, t, 3, h, dh]), [2, 0, 3, 1, 4]);
        const [q, k, v] = [0, 1, 2].map((i) => reshape(slice(p, 0, i, i + 1), [b, h, t, dh]));
        y = reshape(permute(attention(q, k, v, opts), [0, 2, 1, 3]), [b, t, d]);
      }
      backward(y, tensor(w, [b, t, d]));
      const out = [await y.data(), await qkv.grad!.data()];
      qkv.grad!.dispose();
      return out;
    });
  const [yp, gp] = await run(true);
  const [yu, gu] = await run(false);
  assertClose(yp, yu, { atol: 0, rtol: 0 }, "packed forward vs unpacked");
  assertClose(gp, gu, { atol: 0, rtol: 0 }, "packed gradient vs unpacked");
});

Deno.test("attentionPacked: shape errors name the op and shape", () => {
  tidy(() => {
    expectShapeError(
      () => attentionPacked(tensor(new Float32Array(2 * 3 * 25), [2, 3, 25]), 1),
      "attentionPacked",
    );
    expectShapeError(
      () => attentionPacked(tensor(new Float32Array(2 * 3 * 24), [2, 3, 24]), 4),
      "[2, 3, 24]",
    );
    expectShapeError(
      () => attentionPacked(tensor(new Float32Array(2 * 24), [2, 24]), 1),
      "attentionPacked",
    );
  });
});
