import { matmul, type MatmulVersion } from "../../src/tensor/ops/matmul.ts";
import { tensor } from "../../src/tensor/tensor.ts";
import { tidy } from "../../src/tensor/scope.ts";
import { assertClose, checkOp, gpuReady, Rng } from "../helpers.ts";
import { matmulRef } from "../ref/matmul.ts";

await gpuReady();

const VERSIONS: MatmulVersion[] = [1, 2, 3, 4];

function size(s: number[]): number {
  return s.reduce((x, y) => x * y, 1);
}

/**
 * Forward tolerance: f32 accumulation over K terms errs by about sqrt(K)·ε·Σ|a||b|; with
 * standard normal inputs we bound it by atol = 1e-6·sqrt(K)·max|a|·max|b|·4 plus rtol 1e-5.
 */
function fwdTol(k: number, a: Float32Array, b: Float32Array) {
  let ma = 0;
  let mb = 0;
  for (const x of a) ma = Math.max(ma, Math.abs(x));
  for (const x of b) mb = Math.max(mb, Math.abs(x));
  return { atol: 4e-6 * Math.sqrt(Math.max(k, 1)) * ma * mb, rtol: 1e-5 };
}

async function checkForward(
  aShape: number[],
  bShape: number[],
  transA: boolean,
  transB: boolean,
  version: MatmulVersion,
  seed = 1,
) {
  const rng = new Rng(seed);
  const av = rng.normals(size(aShape));
  const bv = rng.normals(size(bShape));
  const expected = matmulRef(aShape, bShape, transA, transB)([
    Float64Array.from(av),
    Float64Array.from(bv),
  ]);
  const got = await tidy(async () => {
    const c = matmul(tensor(av, aShape), tensor(bv, bShape), { transA, transB, version });
    return await c.data();
  });
  const k = transA ? aShape.at(-2)! : aShape.at(-1)!;
  assertClose(
    got,
    expected,
    fwdTol(k, av, bv),
    `matmul_${version} ${JSON.stringify(aShape)}${transA ? "ᵀ" : ""}·${JSON.stringify(bShape)}${
      transB ? "ᵀ" : ""
    }`,
  );
}

function shapesFor(
  m: number,
  k: number,
  n: number,
  transA: boolean,
  transB: boolean,
  batchA: number[] = [],
  batchB: number[] = [],
) {
  return [
    [...batchA, ...(transA ? [k, m] : [m, k])],
    [...batchB, ...(transB ? [n, k] : [k, n])],
  ];
}

const AWKWARD: [number, number, number][] = [
  [1, 1, 1],
  [3, 5, 7],
  [65, 3, 127],
  [17, 64, 33],
  [127, 65, 1],
];

for (const version of VERSIONS) {
  Deno.test(`matmul_${version}: awkward sizes and every transpose match float64`, async () => {
    for (const [m, k, n] of AWKWARD) {
      for (const transA of [false, true]) {
        for (const transB of [false, true]) {
          const [as, bs] = shapesFor(m, k, n, transA, transB);
          await checkForward(as, bs, transA, transB, version);
        }
      }
    }
  });

  Deno.test(`matmul_${version}: broadcast batch dims match float64`, async () => {
    const cases: [number[], number[], boolean, boolean][] = [
      [[3, 5, 7], [7, 9], false, false], // folded into one product
      [[3, 7, 5], [7, 9], true, false],
      [[5, 7], [4, 7, 9], false, false],
      [[2, 1, 5, 7], [1, 3, 9, 7], false, true],
      [[6, 17, 33], [6, 33, 20], false, false],
      [[2, 3, 0], [0, 4], false, false], // K = 0: zeros
    ];
    for (const [as, bs, ta, tb] of cases) await checkForward(as, bs, ta, tb, version);
  });
}

Deno.test("matmul: gradients match central differences (transposes, broadcast batch)", async () => {
  const rng = new Rng(3);
  const cases: [number[], number[], boolean, boolean][] = [
    [[3, 5], [5, 4], false, false],
    [[5, 3], [5, 4], true, false],
    [[3, 5], [4, 5], false, true],
    [[5, 3], [4, 5], true, true],
    [[2, 3, 5], [5, 4], false, false], // B shared: folded forward and dB
    [[2, 3, 5], [4, 5], false, true],
    [[2, 5, 3], [5, 4], true, false], // B shared, A transposed: dB via batch sum
    [[3, 5], [2, 5, 4], false, false], // A shared: dA summed over the batch
    [[2, 1, 3, 5], [1, 2, 5, 4], false, false],
  ];
  for (const [as, bs, transA, transB] of cases) {
    await checkOp({
      name: `matmul ${JSON.stringify(as)}${transA ? "ᵀ" : ""}·${JSON.stringify(bs)}${
        transB ? "ᵀ" : ""
      }`,
      op: ([a, b]) => matmul(a, b, { transA, transB }),
      ref: matmulRef(as, bs, transA, transB),
      inputs: [{ shape: as, values: rng.normals(size(as)) }, {
        shape: bs,
        values: rng.normals(size(bs)),
      }],
      forwardTol: { atol: 1e-5, rtol: 1e-5 },
      gradTol: { atol: 1e-4, rtol: 1e-4 },
    });
  }
});

Deno.test("matmul: mismatched inner dims throw a ShapeError naming the op and shapes", () => {
  tidy(() => {
    const a = tensor(new Float32Array(6), [2, 3]);
    const b = tensor(new Float32Array(8), [4, 2]);
    let message = "";
    try {
      matmul(a, b);
    } catch (e) {
      if ((e as Error).name !== "ShapeError") throw e;
      message = (e as Error).message;
    }
    if (!message.includes("matmul") || !message.includes("[2, 3]") || !message.includes("[4, 2]")) {
      throw new Error(`unexpected message: ${message}`);
    }
  });
});

Deno.test("matmul_3/4: vec4 conversion shaders (rows and transposed 4×4 blocks)", async () => {
  const cases: [number[], number[], boolean, boolean][] = [
    [[3, 20, 12], [3, 12, 8], false, false], // rows of 12 and 8 floats
    [[12, 20], [8, 12], true, true], // both transposed, aligned source rows
    [[2, 12, 20], [16, 12], true, true], // batched Aᵀ, shared Bᵀ
    [[7, 8], [7, 5], true, false], // Aᵀ with K = 7: K padding zeroed
    [[9, 8], [7, 8], false, true], // Bᵀ with N = 7
    [[4, 64, 32], [4, 64, 32], false, true], // the attention-score shape Q·Kᵀ
  ];
  for (const version of [3, 4] as MatmulVersion[]) {
    for (const [as, bs, ta, tb] of cases) await checkForward(as, bs, ta, tb, version);
  }
});

Deno.test("matmul_3/4: copy-converted operands (rows of 64·j floats) with awkward M, N and batches", async () => {
  const cases: [number[], number[], boolean, boolean][] = [
    [[65, 64], [64, 128], false, false], // A and B copied, M padded
    [[3, 33, 128], [3, 128, 64], false, false], // batched copies with padded rows
    [[2, 3, 16, 64], [64, 72], false, false], // folded batch, B through the shader
    [[5, 64], [3, 64, 66], false, false], // A shared, K=64 rows of B with N % 64 ≠ 0
    [[7, 61], [61, 64], false, false], // B copied, K padded in A by the shader
    [[64, 7], [64, 64], true, false], // Aᵀ through the shader, B copied
  ];
  for (const version of [3, 4] as MatmulVersion[]) {
    for (const [as, bs, ta, tb] of cases) await checkForward(as, bs, ta, tb, version);
  }
});

Deno.test("matmul_3/4: row chunks and batch chunks under maxTextureDimension2D", async () => {
  const cases: [number[], number[], boolean, boolean][] = [
    [[16500, 64], [64, 8], false, false], // M above 16384: A converted in row chunks (copy)
    [[3, 5500, 12], [12, 8], false, false], // folded batch, M = 16500 (vec4 shader)
    [[300, 64, 8], [300, 8, 8], false, false], // 300 blocks of 64 rows: batch chunks
    [[300, 8, 20], [300, 8, 20], true, false],
  ];
  for (const version of [3, 4] as MatmulVersion[]) {
    for (const [as, bs, ta, tb] of cases) await checkForward(as, bs, ta, tb, version);
  }
});

Deno.test("matmul: gradients through the texture kernels (shapes the heuristic sends to matmul_3)", async () => {
  const rng = new Rng(4);
  const cases: [number[], number[], boolean, boolean][] = [
    [[2, 20, 12], [72, 12], false, true], // 2·40·72·12 FLOPs: above the matmul_1 cut-off
    [[12, 40], [12, 72], true, false],
  ];
  for (const [as, bs, transA, transB] of cases) {
    await checkOp({
      name: `matmul ${JSON.stringify(as)}${transA ? "ᵀ" : ""}·${JSON.stringify(bs)}${
        transB ? "ᵀ" : ""
      }`,
      op: ([a, b]) => matmul(a, b, { transA, transB }),
      ref: matmulRef(as, bs, transA, transB),
      inputs: [{ shape: as, values: rng.normals(size(as)) }, {
        shape: bs,
        values: rng.normals(size(bs)),
      }],
      forwardTol: { atol: 1e-4, rtol: 1e-5 },
      gradTol: { atol: 1e-3, rtol: 1e-3 },
    });
  }
});
