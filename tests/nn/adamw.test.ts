import assert from "node:assert/strict";
import { AdamW, decayGroups } from "../../src/nn/adamw.ts";
import { parameter, tensor } from "../../src/tensor/tensor.ts";
import { keep, tidy } from "../../src/tensor/scope.ts";
import { backward } from "../../src/tensor/autograd.ts";
import { mul } from "../../src/tensor/ops/binary.ts";
import { memoryStats } from "../../src/gpu/pool.ts";
import { sync } from "../../src/gpu/batch.ts";
import { assertClose, gpuReady, Rng } from "../helpers.ts";
import { refAdamWStep, type RefParam } from "../ref/adamw.ts";

await gpuReady();

const shapes = [[5, 3], [3], [7], [4]];

async function runAgainstReference(maxGradNorm: number | undefined): Promise<void> {
  const rng = new Rng(11);
  const init = shapes.map((s) => rng.normals(s.reduce((a, b) => a * b, 1)));
  const groupOf = [0, 1, 0, 1];
  const opts = {
    groups: [{ lr: 1e-2, weightDecay: 0.1 }, { lr: 2e-3, weightDecay: 0 }],
    betas: [0.9, 0.95] as [number, number],
    eps: 1e-8,
    maxGradNorm,
  };
  const ps = init.map((v, k) => parameter(v, shapes[k], `p${k}`));
  ps[3].requiresGrad = false; // frozen: must be skipped even though it gets a gradient
  const ref: RefParam[] = init.map((v, k) => ({
    p: Float64Array.from(v),
    m: new Float64Array(v.length),
    v: new Float64Array(v.length),
    step: 0,
    group: groupOf[k],
    frozen: k === 3,
  }));
  const opt = new AdamW(
    [0, 1].map((g) => ({ params: ps.filter((_, k) => groupOf[k] === g), ...opts.groups[g] })),
    { betas: opts.betas, eps: opts.eps, maxGradNorm, trackGradNorm: true },
  );
  let last = { pre: 0, post: 0 };
  for (let step = 0; step < 6; step++) {
    // Gradient scale varies so some steps clip and others do not; p2 skips step 2.
    const scale = [0.1, 3, 0.5, 10, 0.05, 2][step];
    const grads = ps.map((p, k) =>
      k === 2 && step === 2 ? null : Float64Array.from(rng.normals(p.size, scale))
    );
    ps.forEach((p, k) => {
      p.grad?.dispose();
      p.grad = grads[k] ? keep(tensor(Float32Array.from(grads[k]!), p.shape)) : null;
    });
    // Round gradients to f32 for the reference too: both see the same inputs.
    const lrFactor = [0.3, 1, 0.8, 0.5, 0.2, 0.1][step];
    last = refAdamWStep(
      ref,
      grads.map((g) => g && Float64Array.from(Float32Array.from(g))),
      opts,
      lrFactor,
    );
    tidy(() => opt.step(lrFactor));
  }
  for (let k = 0; k < ps.length; k++) {
    assertClose(await ps[k].data(), ref[k].p, { atol: 1e-6, rtol: 1e-5 }, `param ${k}`);
    const s = opt.stateOf(ps[k]);
    if (k === 3) {
      assert.equal(s, undefined, "frozen parameter got optimizer state");
      continue;
    }
    assert.equal(s!.step, ref[k].step);
    assertClose(await s!.m.data(), ref[k].m, { atol: 1e-7, rtol: 1e-5 }, `m ${k}`);
    assertClose(await s!.v.data(), ref[k].v, { atol: 1e-9, rtol: 1e-5 }, `v ${k}`);
  }
  const norms = await opt.readGradNorms();
  assertClose(
    [norms.preClip, norms.postClip],
    [last.pre, last.post],
    { atol: 1e-6, rtol: 1e-5 },
    "norms",
  );
  if (maxGradNorm) assert.ok(norms.clipFactor < 1 && last.pre > maxGradNorm, "last step clips");
  else assert.equal(norms.clipFactor, 1);
  assert.equal(opt.stepCount, 6);
  opt.zeroGrad();
  ps[3].grad?.dispose();
  ps.forEach((p) => p.dispose());
  opt.dispose();
}

Deno.test("AdamW: 6 steps with groups, a frozen and a missing gradient match float64", async () => {
  await runAgainstReference(undefined);
});

Deno.test("AdamW: global-norm clipping on the GPU matches float64 (clipping some steps)", async () => {
  await runAgainstReference(4);
});

Deno.test("decayGroups: matrices decay, parameters marked no-decay do not", () => {
  const w = parameter([1, 2, 3, 4], [2, 2]);
  const b = parameter([1, 2], [2]);
  const groups = decayGroups([w, b], { lr: 1, weightDecay: 0.1, name: "lm" });
  // Plain parameters carry no layer mark, so both decay here; layers mark biases (see layers tests).
  assert.equal(groups.length, 1);
  assert.equal(groups[0].name, "lm.decay");
  w.dispose();
  b.dispose();
});

async function trainVector(seed: number): Promise<Float32Array> {
  const rng = new Rng(seed);
  const p = parameter(rng.normals(1000), [1000]);
  const w = keep(tensor(rng.normals(1000), [1000]));
  const opt = new AdamW([{ params: [p], lr: 0.05, weightDecay: 0.01 }], { maxGradNorm: 1 });
  for (let step = 0; step < 20; step++) {
    tidy(() => {
      // L = Σ w·p², an element-wise loss needing only binary ops.
      backward(mul(p, p), w);
      opt.step(1 - step / 20);
      opt.zeroGrad();
    });
  }
  const out = await p.data();
  p.dispose();
  w.dispose();
  opt.dispose();
  return out;
}

Deno.test("AdamW: the same seed gives bit-identical parameters; steps leak no memory", async () => {
  await sync();
  const before = memoryStats().liveBuffers;
  const a = await trainVector(3);
  await sync();
  assert.equal(memoryStats().liveBuffers, before, "live buffers after training and disposal");
  const b = await trainVector(3);
  assert.deepEqual(new Uint8Array(a.buffer), new Uint8Array(b.buffer));
  const c = await trainVector(4);
  assert.notDeepEqual(new Uint8Array(a.buffer), new Uint8Array(c.buffer));
});

Deno.test("AdamW: rejects a parameter in two groups", () => {
  const p = parameter([1], [1]);
  assert.throws(() => new AdamW([{ params: [p], lr: 1 }, { params: [p], lr: 1 }]), /two groups/);
  p.dispose();
});
