import assert from "node:assert/strict";
import { Module, ModuleList } from "../../src/nn/module.ts";
import { LayerNorm, Linear, MLP } from "../../src/nn/layers.ts";
import { AdamW, decayGroups } from "../../src/nn/adamw.ts";
import { type Tensor, tensor } from "../../src/tensor/tensor.ts";
import { keep, tidy } from "../../src/tensor/scope.ts";
import { backward } from "../../src/tensor/autograd.ts";
import { sub } from "../../src/tensor/ops/binary.ts";
import { square } from "../../src/tensor/ops/unary.ts";
import { meanAll } from "../../src/tensor/ops/reduce.ts";
import { memoryStats } from "../../src/gpu/pool.ts";
import { sync } from "../../src/gpu/batch.ts";
import { gpuReady, Rng } from "../helpers.ts";

await gpuReady();

class Net extends Module {
  readonly blocks: ModuleList<MLP>;
  readonly norm: LayerNorm;
  constructor(seed: number) {
    super();
    const rng = new Rng(seed);
    this.blocks = this.child("blocks", new ModuleList([0, 1].map(() => new MLP(4, 8, 4, rng))));
    this.norm = this.child("norm", new LayerNorm(4, rng));
  }
  forward(x: Tensor): Tensor {
    let h = x;
    for (const b of this.blocks.items) h = b.forward(h);
    return this.norm.forward(h);
  }
}

Deno.test("Module: dotted names, counts, train/eval, decay rule", () => {
  const net = new Net(1);
  const names = net.namedParameters().map(([n]) => n);
  assert.deepEqual(names, [
    "blocks.0.fc1.weight",
    "blocks.0.fc1.bias",
    "blocks.0.fc2.weight",
    "blocks.0.fc2.bias",
    "blocks.1.fc1.weight",
    "blocks.1.fc1.bias",
    "blocks.1.fc2.weight",
    "blocks.1.fc2.bias",
    "norm.weight",
    "norm.bias",
  ]);
  assert.equal(net.parameterCount(), 2 * (4 * 8 + 8 + 8 * 4 + 4) + 8);
  net.nameParameters();
  assert.equal(net.parameters()[2].name, "blocks.0.fc2.weight");
  net.eval();
  assert.equal(net.blocks.items[1].fc2.training, false);
  net.train();
  assert.equal(net.blocks.items[1].fc2.training, true);
  const [decay, noDecay] = decayGroups(net.parameters(), { lr: 1, weightDecay: 0.1 });
  assert.deepEqual(
    decay.params.map((p) => p.name),
    names.filter((n) => n.endsWith("fc1.weight") || n.endsWith("fc2.weight")),
  );
  assert.equal(noDecay.weightDecay, 0);
  assert.equal(noDecay.params.length, 6);
  net.dispose();
});

Deno.test("Module: a frozen module gets no gradient; the optimizer leaves it unchanged", async () => {
  const net = new Net(2);
  net.blocks.items[0].freeze();
  assert.equal(net.parameterCount(true), net.parameterCount() - (4 * 8 + 8 + 8 * 4 + 4));
  const opt = new AdamW([{ params: net.parameters(), lr: 0.1 }]);
  const frozen = net.blocks.items[0].parameters();
  const before = await Promise.all(frozen.map((p) => p.data()));
  tidy(() => {
    const x = tensor(new Rng(3).normals(12), [3, 4]);
    backward(meanAll(square(net.forward(x))));
    assert.ok(frozen.every((p) => p.grad === null));
    assert.ok(net.blocks.items[1].parameters().every((p) => p.grad !== null));
    opt.step();
    opt.zeroGrad();
  });
  const after = await Promise.all(frozen.map((p) => p.data()));
  assert.deepEqual(after, before);
  net.blocks.items[0].unfreeze();
  assert.equal(net.parameterCount(true), net.parameterCount());
  net.dispose();
  opt.dispose();
});

async function trainMlp(seed: number, steps: number): Promise<Float32Array[]> {
  const rng = new Rng(seed);
  const net = new Net(seed);
  const x = keep(tensor(rng.normals(6 * 4), [6, 4]));
  const target = keep(tensor(rng.normals(6 * 4), [6, 4]));
  const opt = new AdamW(decayGroups(net.parameters(), { lr: 0.01, weightDecay: 0.1 }), {
    maxGradNorm: 0.5,
  });
  for (let s = 0; s < steps; s++) {
    tidy(() => {
      backward(meanAll(square(sub(net.forward(x), target))));
      opt.step();
      opt.zeroGrad();
    });
  }
  const out = await Promise.all(net.parameters().map((p) => p.data()));
  net.dispose();
  opt.dispose();
  x.dispose();
  target.dispose();
  return out;
}

Deno.test("Determinism: the same seed gives bit-identical MLP parameters after 10 steps", async () => {
  await sync();
  const live = memoryStats().liveBuffers;
  const a = await trainMlp(7, 10);
  await sync();
  assert.equal(memoryStats().liveBuffers, live, "training leaks no GPU buffers");
  const b = await trainMlp(7, 10);
  a.forEach((t, i) => assert.deepEqual(new Uint8Array(t.buffer), new Uint8Array(b[i].buffer)));
  const c = await trainMlp(8, 10);
  assert.notDeepEqual(new Uint8Array(a[0].buffer), new Uint8Array(c[0].buffer));
});

Deno.test("Module: duplicate names are rejected", () => {
  const rng = new Rng(1);
  class Bad extends Module {
    constructor() {
      super();
      this.child("a", new Linear(1, 1, rng));
      this.child("a", new Linear(1, 1, rng));
    }
  }
  assert.throws(() => new Bad(), /taken/);
});

Deno.test("Module: a tied parameter is listed once, under its first path", () => {
  const rng = new Rng(1);
  class Tied extends Module {
    constructor() {
      super();
      const a = this.child("a", new Linear(2, 2, rng));
      const b = this.child("b", new Module());
      b.child("again", a);
    }
  }
  const m = new Tied();
  assert.deepEqual(m.namedParameters().map(([n]) => n), ["a.weight", "a.bias"]);
  m.dispose();
});
