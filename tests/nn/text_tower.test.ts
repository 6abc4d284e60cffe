/**
 * The text tower against a float64 reference built from the layer references: embedding +
 * positions, non-causal blocks with key padding from the lengths, final LayerNorm, mean over
 * the real tokens, projection. Every parameter's gradient by central differences. Padding
 * must not matter: changing the ids after a caption's length leaves its embedding unchanged.
 *
 * Tolerances as the other module checks (tests/nn/layers.test.ts): forward atol 1e-5, rtol
 * 1e-4; gradients (eps 1e-4 in float64) atol 1e-4, rtol 1e-3.
 */

import assert from "node:assert/strict";
import { TextTower, type TextTowerConfig } from "../../src/nn/text_tower.ts";
import { tensor } from "../../src/tensor/tensor.ts";
import { tidy } from "../../src/tensor/scope.ts";
import { checkModule, randomizeParameters } from "./module_check.ts";
import { layerNormRef, linearRef } from "./ref_layers.ts";
import { blockRefAt, type RefParams } from "../ref/transformer.ts";
import { poolRef } from "../ref/vision.ts";
import { gpuReady, Rng } from "../helpers.ts";

await gpuReady();

const CFG: TextTowerConfig = {
  vocab: 9,
  maxLen: 6,
  width: 8,
  depth: 2,
  heads: 2,
  mlpRatio: 2,
  embedDim: 5,
};

function towerRef(ids: Float64Array, p: RefParams, lengths: number[], t: number): Float64Array {
  const { width: d, embedDim } = CFG;
  const b = lengths.length;
  const table = p.get("tok_embed.weight")!;
  const pos = p.get("pos")!;
  let x: Float64Array = new Float64Array(b * t * d);
  for (let r = 0; r < b * t; r++) {
    const id = ids[r];
    for (let k = 0; k < d; k++) {
      const e = id >= 0 && id < CFG.vocab ? table[id * d + k] : 0;
      x[r * d + k] = e + pos[(r % t) * d + k];
    }
  }
  const mask = Array.from(
    { length: b * t },
    (_, r) => (r % t < lengths[Math.floor(r / t)] ? 1 : 0),
  );
  const dims = { b, t, d, h: CFG.heads, hidden: d * CFG.mlpRatio! };
  for (let l = 0; l < CFG.depth; l++) {
    x = blockRefAt(x, p, `blocks.${l}.`, dims, { keyPadding: mask });
  }
  x = layerNormRef(x, p.get("norm.weight")!, p.get("norm.bias")!, d);
  const pooled = poolRef([b, t, d], true)([x, Float64Array.from(mask)]);
  return linearRef(pooled, p.get("proj.weight")!, p.get("proj.bias"), d, embedDim);
}

Deno.test("TextTower: forward and every parameter gradient vs float64, with padding", async () => {
  const rng = new Rng(11);
  const tower = new TextTower(CFG, rng);
  randomizeParameters(tower, rng);
  const [b, t] = [3, 5]; // T < maxLen: the position table is sliced
  const lengths = [5, 2, 3];
  const ids = Int32Array.from({ length: b * t }, (_, r) => (r * 5 + 1) % CFG.vocab);
  await checkModule({
    name: "TextTower",
    module: tower,
    forward: (x) => tower.forward(x, tensor(Int32Array.from(lengths), [b], "i32")),
    ref: (x, p) => towerRef(x, p, lengths, t),
    input: { shape: [b, t], values: ids, int: true },
    forwardTol: { atol: 1e-5, rtol: 1e-4 },
    gradTol: { atol: 1e-4, rtol: 1e-3 },
  });
  // Padded positions change nothing.
  const other = ids.map((v, r) => (r % t >= lengths[Math.floor(r / t)] ? (v + 3) % CFG.vocab : v));
  const [a, c] = await tidy(async () => {
    const len = tensor(Int32Array.from(lengths), [b], "i32");
    return [
      await tower.forward(tensor(ids, [b, t], "i32"), len).data(),
      await tower.forward(tensor(other, [b, t], "i32"), len).data(),
    ];
  });
  assert.deepEqual(a, c);
  assert.throws(
    () =>
      tower.forward(
        tensor(new Int32Array(7 * 1), [1, 7], "i32"),
        tensor(Int32Array.of(7), [1], "i32"),
      ),
    /maxLen/,
  );
  tower.dispose();
});
