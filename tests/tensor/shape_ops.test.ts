import { assertEq } from "./eq.ts";
import { expectShapeError } from "./expect.ts";
import { concat, permute, reshape, slice, transpose } from "../../src/tensor/ops/shape_ops.ts";
import { tensor } from "../../src/tensor/tensor.ts";
import { tidy } from "../../src/tensor/scope.ts";
import { checkOp, gpuReady, Rng } from "../helpers.ts";
import { concatRef, permuteRef, sliceRef } from "../ref/shape_ops.ts";

await gpuReady();

// Copies are exact: the forward must match bit for bit; gradients are copies too (atol
// covers only the float64 central difference).
const EXACT = { atol: 0, rtol: 0 };
const GRAD = { atol: 1e-4, rtol: 1e-4 };
const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

Deno.test("reshape: a view with one inferred dimension; gradient reshaped back", async () => {
  const rng = new Rng(1);
  await checkOp({
    name: "reshape [2,3,5]→[5,-1]",
    op: ([x]) => reshape(x, [5, -1]),
    ref: ([x]) => Float64Array.from(x),
    inputs: [{ shape: [2, 3, 5], values: rng.normals(30) }],
    forwardTol: EXACT,
    gradTol: GRAD,
  });
  tidy(() => {
    const x = tensor(new Float32Array(30), [2, 3, 5]);
    assertEq(reshape(x, [-1]).shape, [30]);
    expectShapeError(() => reshape(x, [7, -1]), "reshape");
    expectShapeError(() => reshape(x, [-1, -1, 2]), "reshape");
    expectShapeError(() => reshape(x, [4, 8]), "shapes [2, 3, 5]");
  });
});

Deno.test("permute/transpose: forward exact and gradient, ranks 1–6 and awkward sizes", async () => {
  const rng = new Rng(2);
  const cases: [number[], number[]][] = [
    [[65], [0]],
    [[3, 65], [1, 0]],
    [[2, 3, 5], [2, 0, 1]],
    [[1, 3, 1, 4], [3, 1, 0, 2]],
    [[2, 3, 2, 1, 3, 2], [5, 3, 1, 0, 4, 2]],
  ];
  for (const [shape, axes] of cases) {
    await checkOp({
      name: `permute ${JSON.stringify(shape)} by ${JSON.stringify(axes)}`,
      op: ([x]) => permute(x, axes),
      ref: permuteRef(shape, axes),
      inputs: [{ shape, values: rng.normals(size(shape)) }],
      forwardTol: EXACT,
      gradTol: GRAD,
    });
  }
  await checkOp({
    name: "transpose [3,4,5] (-1, 0)",
    op: ([x]) => transpose(x, -1, 0),
    ref: permuteRef([3, 4, 5], [2, 1, 0]),
    inputs: [{ shape: [3, 4, 5], values: rng.normals(60) }],
    forwardTol: EXACT,
    gradTol: GRAD,
  });
});

Deno.test("slice: every axis, negative bounds, gradient scattered into zeros", async () => {
  const rng = new Rng(3);
  const shape = [3, 5, 65];
  const cases: [number, number, number, number, number][] = [
    // axis, start, end as passed; resolved start, end for the reference
    [0, 1, 3, 1, 3],
    [1, -3, -1, 2, 4],
    [-1, 0, 1, 0, 1],
    [2, 7, 65, 7, 65],
  ];
  for (const [axis, start, end, rs, re] of cases) {
    await checkOp({
      name: `slice axis ${axis} [${start}, ${end})`,
      op: ([x]) => slice(x, axis, start, end),
      ref: sliceRef(shape, (axis + 3) % 3, rs, re),
      inputs: [{ shape, values: rng.normals(size(shape)) }],
      forwardTol: EXACT,
      gradTol: GRAD,
    });
  }
});

Deno.test("concat: three inputs along each axis, gradient is the slices", async () => {
  const rng = new Rng(4);
  for (const axis of [0, 1, 2]) {
    const shapes = [1, 3, 2].map((d) => [2, 3, 4].map((s, k) => (k === axis ? d : s)));
    await checkOp({
      name: `concat axis ${axis}`,
      op: (xs) => concat(xs, axis),
      ref: concatRef(shapes, axis),
      inputs: shapes.map((s) => ({ shape: s, values: rng.normals(size(s)) })),
      forwardTol: EXACT,
      gradTol: GRAD,
    });
  }
});

Deno.test("strided copies: launch-grid paths (u32, vec4, 4 dims, offsets) and the general kernel", async () => {
  const rng = new Rng(5);
  // [shape, axes]: collapsed regions of 3 dims vec4, 4 dims vec4 (two outer dims on z),
  // 4 dims u32, 5 dims (the general kernel).
  const perms: [number[], number[]][] = [
    [[2, 3, 5, 8], [1, 0, 2, 3]],
    [[2, 3, 4, 5, 4], [2, 0, 1, 3, 4]],
    [[3, 2, 5, 3], [1, 3, 0, 2]],
    [[2, 3, 2, 3, 2], [4, 3, 2, 1, 0]],
    [[2, 8, 8, 8, 3], [0, 1, 3, 2, 4]], // 4 dims, u32, two outer dims on z
    [[2, 4, 8, 4, 24], [0, 1, 3, 2, 4]], // patchify 32×32, p 8, C 3: [B, Hp, p, Wp, p·C], vec4
  ];
  for (const [shape, axes] of perms) {
    await checkOp({
      name: `permute ${JSON.stringify(shape)} by ${JSON.stringify(axes)}`,
      op: ([x]) => permute(x, axes),
      ref: permuteRef(shape, axes),
      inputs: [{ shape, values: rng.normals(size(shape)) }],
      forwardTol: EXACT,
      gradTol: size(shape) <= 1000 ? GRAD : undefined,
    });
  }
  // Offsets that do (4) and do not (1, 6) allow vec4 moves.
  for (const [start, end] of [[1, 5], [4, 8], [6, 7]]) {
    await checkOp({
      name: `slice [3, 8, 8] axis 2 [${start}, ${end})`,
      op: ([x]) => slice(x, 2, start, end),
      ref: sliceRef([3, 8, 8], 2, start, end),
      inputs: [{ shape: [3, 8, 8], values: rng.normals(192) }],
      forwardTol: EXACT,
      gradTol: GRAD,
    });
  }
  // More outer workgroups than the device allows per dimension: the general kernel.
  const big = [70000, 2, 3, 2];
  const values = rng.normals(size(big));
  const got = await tidy(() => permute(tensor(values, big), [0, 3, 2, 1]).data());
  const want = permuteRef(big, [0, 3, 2, 1])([Float64Array.from(values)]);
  let bad = -1;
  for (let i = 0; i < want.length && bad < 0; i++) if (got[i] !== Math.fround(want[i])) bad = i;
  assertEq(bad, -1);
});

Deno.test("shape ops move i32 tensors bit for bit", async () => {
  const ids = Int32Array.from({ length: 24 }, (_, i) => i * 1000003 - 7);
  const got = await tidy(async () => {
    const x = tensor(ids, [2, 3, 4]);
    const p = permute(x, [2, 0, 1]);
    const y = concat([slice(p, 0, 1, 3), slice(p, 0, 0, 1)], 0);
    return [y.dtype, await y.read(), await transpose(x, 0, 2).read()] as const;
  });
  const p = permuteRef([2, 3, 4], [2, 0, 1])([Float64Array.from(ids)]);
  const t = permuteRef([2, 3, 4], [2, 1, 0])([Float64Array.from(ids)]);
  assertEq(got[0], "i32");
  assertEq(Array.from(got[1]), [...p.slice(6, 18), ...p.slice(0, 6)]);
  assertEq(Array.from(got[2]), Array.from(t));
});

Deno.test("shape ops: ShapeError names the op and shapes", () => {
  tidy(() => {
    const x = tensor(new Float32Array(24), [2, 3, 4]);
    expectShapeError(() => permute(x, [0, 1]), "permute");
    expectShapeError(() => permute(x, [0, 1, 1]), "shapes [2, 3, 4]");
    expectShapeError(() => transpose(x, 0, 3), "transpose: axis 3 is out of range");
    expectShapeError(() => slice(x, 3, 0, 1), "slice: axis 3");
    expectShapeError(() => slice(x, 1, 2, 4), "slice");
    expectShapeError(() => concat([x, tensor(new Float32Array(6), [2, 3, 1])], 1), "concat");
    expectShapeError(() => concat([x, tensor(new Int32Array(24), [2, 3, 4])], 0), "concat");
    expectShapeError(() => concat([x], -4), "concat: axis -4");
    expectShapeError(
      () => permute(tensor(new Float32Array(128), [2, 2, 2, 2, 2, 2, 2]), [0]),
      "rank above 6",
    );
  });
});
