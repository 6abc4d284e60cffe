import assert from "node:assert/strict";
import { Module, normalInit } from "../../src/nn/module.ts";
import { AdamW, decayGroups } from "../../src/nn/adamw.ts";
import {
  CHECKPOINT_FILES,
  CheckpointError,
  loadCheckpoint,
  saveCheckpoint,
} from "../../src/nn/checkpoint.ts";
import { decodeSafetensors } from "../../src/nn/safetensors.ts";
import { type Tensor, tensor } from "../../src/tensor/tensor.ts";
import { tidy } from "../../src/tensor/scope.ts";
import { backward } from "../../src/tensor/autograd.ts";
import { mul } from "../../src/tensor/ops/binary.ts";
import { gpuReady, Rng } from "../helpers.ts";

await gpuReady();

class Leaf extends Module {
  constructor(rng: Rng, n: number) {
    super();
    this.param("weight", [n, 2], normalInit(1), rng);
    this.param("bias", [2], normalInit(1), rng, { decay: false });
  }
}
class Toy extends Module {
  constructor(seed: number, n = 3) {
    super();
    const rng = new Rng(seed);
    this.param("scale", [4], normalInit(1), rng);
    this.child("head", new Leaf(rng, n));
  }
}

function optimizerFor(m: Toy): AdamW {
  return new AdamW(decayGroups(m.parameters(), { lr: 0.05, weightDecay: 0.1 }), {
    maxGradNorm: 1,
  });
}

/** One step of L = Σ w·p² over every parameter, with fixed weights per step. */
function trainStep(m: Toy, opt: AdamW, step: number): void {
  tidy(() => {
    const rng = new Rng(100 + step);
    for (const p of m.parameters()) {
      if (!p.requiresGrad) continue;
      backward(mul(p, p), tensor(rng.normals(p.size), p.shape));
    }
    opt.step(1 / (1 + step));
    opt.zeroGrad();
  });
}

async function bits(ts: Tensor[]): Promise<number[][]> {
  return await Promise.all(ts.map(async (t) => [...new Uint32Array((await t.data()).buffer)]));
}

function tempDir(): string {
  return Deno.makeTempDirSync({ prefix: "pivotlab-ckpt-" });
}

Deno.test("checkpoint: save → load into a fresh model and optimizer → identical next step", async () => {
  const dir = tempDir();
  const a = new Toy(1);
  a.child("frozen", new Leaf(new Rng(9), 2)).freeze(); // frozen: saved, no optimizer state
  const optA = optimizerFor(a);
  for (let s = 0; s < 3; s++) trainStep(a, optA, s);
  await saveCheckpoint(dir, { model: a, optimizer: optA, meta: { config: { d: 4 } } });
  assert.deepEqual(
    [...Deno.readDirSync(dir)].map((e) => e.name).sort(),
    Object.values(CHECKPOINT_FILES).sort(),
    "no temporary files left",
  );

  const b = new Toy(2); // different initial values
  b.child("frozen", new Leaf(new Rng(10), 2)).freeze();
  const optB = optimizerFor(b);
  const meta = await loadCheckpoint(dir, { model: b, optimizer: optB });
  assert.equal(meta.step, 3);
  assert.deepEqual(meta.meta, { config: { d: 4 } });
  assert.equal(optB.stepCount, 3);
  assert.deepEqual(await bits(b.parameters()), await bits(a.parameters()));
  for (const [pa, pb] of a.parameters().map((p, i) => [p, b.parameters()[i]])) {
    const [sa, sb] = [optA.stateOf(pa), optB.stateOf(pb)];
    assert.equal(sa?.step, sb?.step);
    if (sa) assert.deepEqual(await bits([sb!.m, sb!.v]), await bits([sa.m, sa.v]));
  }
  trainStep(a, optA, 3);
  trainStep(b, optB, 3);
  assert.deepEqual(await bits(b.parameters()), await bits(a.parameters()));

  // The parameter file is a plain safetensors file keyed by dotted paths.
  const file = decodeSafetensors(Deno.readFileSync(`${dir}/${CHECKPOINT_FILES.model}`));
  assert.deepEqual([...file.tensors.keys()].sort(), [
    "frozen.bias",
    "frozen.weight",
    "head.bias",
    "head.weight",
    "scale",
  ]);
  for (const m of [a, b]) m.dispose();
  optA.dispose();
  optB.dispose();
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("checkpoint: mismatches name the tensor and the file", async () => {
  const dir = tempDir();
  const a = new Toy(1);
  const optA = optimizerFor(a);
  trainStep(a, optA, 0);
  await saveCheckpoint(dir, { model: a, optimizer: optA });
  const rejects = async (model: Module, pattern: RegExp, optimizer?: AdamW) => {
    await assert.rejects(loadCheckpoint(dir, { model, optimizer }), (e: Error) => {
      assert.ok(e instanceof CheckpointError, String(e));
      assert.match(e.message, pattern);
      return true;
    });
  };
  const wrongShape = new Toy(1, 5);
  await rejects(
    wrongShape,
    /model\.safetensors[\s\S]*head\.weight has shape \[3, 2\], model expects \[5, 2\]/,
  );
  const extra = new Toy(1);
  extra.child("more", new Leaf(new Rng(3), 1));
  await rejects(extra, /model\.safetensors[\s\S]*missing tensor more\.weight/);
  // Optimizer over a subset: the state of the others has nowhere to go.
  const c = new Toy(1);
  const partial = new AdamW([{ params: [c.parameters()[0]], lr: 1 }]);
  await rejects(c, /optimizer\.safetensors[\s\S]*does not update/, partial);
  await Deno.remove(`${dir}/${CHECKPOINT_FILES.optimizer}`);
  const d = new Toy(1);
  await rejects(d, /cannot read .*optimizer\.safetensors/, optimizerFor(d));
  d.dispose();
  for (const m of [a, wrongShape, extra, c]) m.dispose();
  for (const o of [optA, partial]) o.dispose();
  Deno.removeSync(dir, { recursive: true });
});
