import assert from "node:assert/strict";
import { attentionDecode, cacheWrite } from "../../src/tensor/ops/attention_decode.ts";
import { argmax } from "../../src/tensor/ops/argmax.ts";
import { attention } from "../../src/tensor/ops/attention.ts";
import { tensor } from "../../src/tensor/tensor.ts";
import { tidy } from "../../src/tensor/scope.ts";
import { assertClose, gpuReady, Rng } from "../helpers.ts";
import { argmaxRef, attentionDecodeRef, cacheWriteRef } from "../ref/attention_decode.ts";

await gpuReady();

const f64 = (x: ArrayLike<number>) => Float64Array.from(x);

Deno.test("attentionDecode: per-row valid lengths over a cache match float64", async () => {
  const rng = new Rng(21);
  // [B, H, S, L, Dh], lengths: full, partial, zero (output 0), above L (clamped).
  const cases: [number[], number[]][] = [
    [[3, 2, 1, 9, 8], [9, 4, 0]],
    [[2, 1, 1, 1, 4], [1, 1]],
    [[2, 4, 1, 130, 32], [130, 77]],
    [[2, 2, 5, 12, 16], [12, 7]], // S > 1: causal among the new rows
    [[1, 2, 11, 20, 4], [30]],
    [[1, 3, 3, 6, 64], [2]], // rows 0 and 1 see no key
  ];
  for (const [[b, h, s, l, dh], lens] of cases) {
    const shape = { b, h, s, l, dh };
    const q = rng.normals(b * h * s * dh);
    const k = rng.normals(b * h * l * dh);
    const v = rng.normals(b * h * l * dh);
    const out = await tidy(() =>
      attentionDecode(
        tensor(q, [b, h, s, dh]),
        tensor(k, [b, h, l, dh]),
        tensor(v, [b, h, l, dh]),
        tensor(Int32Array.from(lens), [b], "i32"),
      ).data()
    );
    const expected = attentionDecodeRef(f64(q), f64(k), f64(v), lens, shape);
    assertClose(out, expected, { atol: 2e-6, rtol: 1e-5 }, `decode ${[b, h, s, l, dh]}`);
  }
});

Deno.test("attentionDecode with S = T over a full cache equals causal attention", async () => {
  const rng = new Rng(22);
  const [b, h, t, dh] = [2, 2, 13, 16];
  const [q, k, v] = [0, 1, 2].map(() => rng.normals(b * h * t * dh));
  const [dec, full] = await tidy(async () => {
    const [tq, tk, tv] = [q, k, v].map((x) => tensor(x, [b, h, t, dh]));
    const lens = tensor(Int32Array.of(t, t), [b], "i32");
    return [
      await attentionDecode(tq, tk, tv, lens).data(),
      await attention(tq, tk, tv, { causal: true }).data(),
    ];
  });
  assertClose(dec, full, { atol: 1e-6, rtol: 1e-5 }, "decode vs causal attention");
});

Deno.test("cacheWrite: rows land at per-row positions; rows past L are dropped", async () => {
  const rng = new Rng(23);
  const [b, h, s, l, dh] = [3, 2, 3, 7, 4];
  const cache = rng.normals(b * h * l * dh);
  const x = rng.normals(b * h * s * dh);
  const start = [0, 2, 5]; // the last entry's third row falls past L
  const out = await tidy(() => {
    const c = tensor(cache, [b, h, l, dh]);
    cacheWrite(c, tensor(x, [b, h, s, dh]), tensor(Int32Array.from(start), [b], "i32"));
    return c.data();
  });
  const expected = cacheWriteRef(f64(cache), f64(x), start, { b, h, s, l, dh });
  assertClose(out, expected, { atol: 0, rtol: 0 }, "cacheWrite");
});

Deno.test("argmax: first maximum per row, ties to the lowest index", async () => {
  const rng = new Rng(24);
  const v = 37;
  const x = rng.normals(5 * v);
  x.fill(2, v, 2 * v); // an all-tied row → 0
  x[2 * v + 7] = 9;
  x[2 * v + 30] = 9; // a tie → 7
  const out = await tidy(() => argmax(tensor(x, [5, v])).read());
  assert.deepEqual([...out], [...argmaxRef(x, v)]);
  assert.equal(out[1], 0);
  assert.equal(out[2], 7);
});
