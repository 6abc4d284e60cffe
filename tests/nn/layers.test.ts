import { Embedding, LayerNorm, Linear, MLP } from "../../src/nn/layers.ts";
import { checkModule, randomizeParameters } from "./module_check.ts";
import { geluRef, layerNormRef, linearRef, mlpRef } from "./ref_layers.ts";
import { gpuReady, Rng } from "../helpers.ts";

await gpuReady();

// f32 forward vs float64: products of O(1) values over ≤ 16 terms.
const forwardTol = { atol: 1e-5, rtol: 1e-4 };
// Central differences (eps 1e-4 in float64) vs the f32 GPU gradient.
const gradTol = { atol: 1e-4, rtol: 1e-3 };

Deno.test("Linear: forward and gradients (weight, bias, input) on [2, 3, 5] → 4", async () => {
  const rng = new Rng(1);
  for (const bias of [true, false]) {
    const lin = new Linear(5, 4, rng, { bias });
    randomizeParameters(lin, rng);
    await checkModule({
      name: `Linear bias=${bias}`,
      module: lin,
      forward: (x) => lin.forward(x),
      ref: (x, p) => linearRef(x, p.get("weight")!, p.get("bias"), 5, 4),
      input: { shape: [2, 3, 5], values: rng.normals(30) },
      forwardTol,
      gradTol,
    });
    lin.dispose();
  }
  const lin = new Linear(3, 2, rng); // rank-1 input
  randomizeParameters(lin, rng);
  await checkModule({
    name: "Linear rank 1",
    module: lin,
    forward: (x) => lin.forward(x),
    ref: (x, p) => linearRef(x, p.get("weight")!, p.get("bias"), 3, 2),
    input: { shape: [3], values: rng.normals(3) },
    forwardTol,
    gradTol,
  });
  lin.dispose();
});

Deno.test("LayerNorm: forward and gradients on [3, 2, 8]", async () => {
  const rng = new Rng(2);
  const ln = new LayerNorm(8, rng);
  randomizeParameters(ln, rng);
  await checkModule({
    name: "LayerNorm",
    module: ln,
    forward: (x) => ln.forward(x),
    ref: (x, p) => layerNormRef(x, p.get("weight")!, p.get("bias")!, 8),
    input: { shape: [3, 2, 8], values: rng.normals(48, 2) },
    forwardTol,
    gradTol,
  });
  ln.dispose();
});

Deno.test("Embedding: forward and table gradient with repeated and out-of-range ids", async () => {
  const rng = new Rng(3);
  const emb = new Embedding(6, 4, rng);
  const ids = [0, 5, 2, 2, 7, 0];
  await checkModule({
    name: "Embedding",
    module: emb,
    forward: (x) => emb.forward(x),
    ref: (x, p) => {
      const t = p.get("weight")!;
      const out = new Float64Array(x.length * 4);
      x.forEach((id, r) => {
        if (id >= 0 && id < 6) { for (let d = 0; d < 4; d++) out[r * 4 + d] = t[id * 4 + d]; }
      });
      return out;
    },
    input: { shape: [2, 3], values: ids, int: true },
    forwardTol: { atol: 0, rtol: 0 },
    gradTol,
  });
  emb.dispose();
});

Deno.test("MLP: Linear → GELU → Linear forward and gradients on [2, 3, 4] → 8 → 5", async () => {
  const rng = new Rng(4);
  const mlp = new MLP(4, 8, 5, rng);
  randomizeParameters(mlp, rng);
  await checkModule({
    name: "MLP",
    module: mlp,
    forward: (x) => mlp.forward(x),
    ref: (x, p) => mlpRef(x, p, "", [4, 8, 5]),
    input: { shape: [2, 3, 4], values: rng.normals(24) },
    forwardTol,
    gradTol,
  });
  mlp.dispose();
  if (Math.abs(geluRef(1) - 0.8411919906) > 1e-9) throw new Error("gelu reference");
});
