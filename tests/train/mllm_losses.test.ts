/**
 * The post-training losses against float64 references, forward and gradient (central
 * differences of the reference, `checkOp`), on tiny logits: log1mexp, SFT, sigmoid DPO with
 * its logged terms, and SFT + unlikelihood.
 */

import assert from "node:assert/strict";
import { tensor } from "../../src/tensor/tensor.ts";
import { tidy } from "../../src/tensor/scope.ts";
import { reshape } from "../../src/tensor/ops/shape_ops.ts";
import { log1mexp } from "../../src/tensor/ops/log1mexp.ts";
import { sftLoss } from "../../src/train/losses/sft.ts";
import { dpoFromLogProbs, dpoLoss } from "../../src/train/losses/dpo.ts";
import { unlikelihoodLoss } from "../../src/train/losses/unlikelihood.ts";
import { assertClose, checkOp, gpuReady, Rng } from "../helpers.ts";
import {
  dpoRef,
  log1mexpRef,
  sequenceRef,
  sftRef,
  unlikelihoodRef,
} from "../ref/posttrain_losses.ts";

await gpuReady();

// f32 log-softmax over V ≤ 7 and sums of ≤ 12 terms: forward within 1e-5 relative; gradients
// within 1e-3 relative of central differences (eps 1e-3 on float64 references).
const FWD = { atol: 2e-5, rtol: 2e-5 };
const GRAD = { atol: 2e-5, rtol: 1e-3 };

const [N, T, V] = [2, 4, 7];

/** Labels [2N, T]: responses of 2–3 tokens after 1–2 prompt positions, −100 elsewhere. */
function labels(rng: Rng): { labels: number[]; mask: number[] } {
  const labels = new Array(2 * N * T).fill(-100);
  const mask = new Array(2 * N * T).fill(0);
  for (let r = 0; r < 2 * N; r++) {
    const start = 1 + (r % 2);
    for (let k = start; k < T; k++) {
      labels[r * T + k] = rng.int(V);
      mask[r * T + k] = 1;
    }
  }
  return { labels, mask };
}

Deno.test("log1mexp: forward and gradient vs float64 on both sides of −ln 2, clamp near 0", async () => {
  const xs = [-20, -5, -1.5, -0.7, -0.69, -0.5, -0.1, -0.02, -0.005, -1e-4, -3e-6];
  await checkOp({
    name: "log1mexp",
    op: ([x]) => log1mexp(x),
    ref: ([x]) => x.map((v) => log1mexpRef(v)),
    inputs: [{ shape: [xs.length], values: xs }],
    // Relative accuracy matters near 0 (y → −13.8) and far below (y → −2e-9).
    forwardTol: { atol: 1e-9, rtol: 1e-5 },
    gradTol: { atol: 1e-6, rtol: 2e-3 },
    eps: 1e-7,
  });
  // At and above the clamp: finite, equal to log1mexp(−1e-6).
  const y = await tidy(() => log1mexp(tensor([0, -1e-8], [2]))).data();
  assertClose(y, [log1mexpRef(-1e-6), log1mexpRef(-1e-6)], { atol: 0, rtol: 1e-4 }, "clamp");
});

Deno.test("sftLoss: mean CE over response tokens, forward and gradient", async () => {
  const rng = new Rng(3);
  const { labels: lab } = labels(rng);
  await checkOp({
    name: "sft",
    op: ([x, l]) => sftLoss(reshape(x, [2 * N, T, V]), reshape(l, [2 * N, T])),
    ref: ([x, l]) => Float64Array.of(sftRef(V, x, l)),
    inputs: [
      { shape: [2 * N * T, V], values: rng.normals(2 * N * T * V) },
      { shape: [2 * N * T], values: lab, int: true },
    ],
    forwardTol: FWD,
    gradTol: GRAD,
    eps: 1e-3,
  });
});

Deno.test("dpoLoss: sigmoid DPO on summed log-probs vs float64, gradient, logged terms", async () => {
  const rng = new Rng(4);
  const { labels: lab, mask } = labels(rng);
  const reference = Array.from({ length: 2 * N }, () => -3 - 2 * rng.uniform());
  const beta = 0.5; // larger than 0.1 so the gradient check sees more than the linear regime
  const shape = [2 * N, T, V];
  await checkOp({
    name: "dpo",
    op: ([x, l, m, r]) =>
      dpoLoss(reshape(x, shape), reshape(l, [2 * N, T]), reshape(m, [2 * N, T]), r, beta).loss,
    ref: ([x, l, m, r]) => Float64Array.of(dpoRef(sequenceRef(2 * N, T, V, x, l, m), r, beta).loss),
    inputs: [
      { shape: [2 * N * T, V], values: rng.normals(2 * N * T * V) },
      { shape: [2 * N * T], values: lab, int: true },
      { shape: [2 * N * T], values: mask, noGrad: true },
      { shape: [2 * N], values: reference, noGrad: true },
    ],
    forwardTol: FWD,
    gradTol: GRAD,
    eps: 1e-3,
  });
  // The logged terms: mean chosen / rejected summed log-probs and the β-scaled margin.
  const logits = rng.normals(2 * N * T * V);
  const got = await tidy(async () => {
    const t = dpoLoss(
      tensor(logits, shape),
      tensor(Int32Array.from(lab), [2 * N, T], "i32"),
      tensor(mask, [2 * N, T]),
      tensor(reference, [2 * N]),
      beta,
    );
    return await Promise.all([t.loss, t.chosenLogp, t.rejectedLogp, t.margin].map((x) => x.item()));
  });
  const seq = sequenceRef(
    2 * N,
    T,
    V,
    Float64Array.from(logits),
    Float64Array.from(lab),
    Float64Array.from(mask),
  );
  const want = dpoRef(seq, Float64Array.from(reference), beta);
  assertClose(got, [want.loss, want.chosen, want.rejected, want.margin], FWD, "dpo terms");
});

Deno.test("dpo: policy = reference gives loss log 2 and margin 0; odd rows rejected", async () => {
  const policy = [-4, -6, -5, -3];
  const [loss, margin] = await tidy(async () => {
    const t = dpoFromLogProbs(tensor(policy, [4]), tensor(policy, [4]), 0.1);
    return [await t.loss.item(), await t.margin.item()];
  });
  assertClose([loss, margin], [Math.LN2, 0], { atol: 1e-6, rtol: 0 }, "start");
  assert.throws(
    () => tidy(() => dpoFromLogProbs(tensor([1, 2, 3], [3]), tensor([1, 2, 3], [3]), 0.1)),
    /2N/,
  );
});

Deno.test("unlikelihoodLoss: SFT on chosen + α·mean −log(1 − p) on differing rejected tokens", async () => {
  const rng = new Rng(5);
  const { labels: lab } = labels(rng);
  const chosen = lab.map((l, i) => (i < N * T ? l : -100));
  const diffTargets = new Array(2 * N * T).fill(-100);
  const diffMask = new Array(2 * N * T).fill(0);
  // Two differing tokens in each rejected row.
  for (let r = N; r < 2 * N; r++) {
    for (const k of [2, 3]) {
      diffTargets[r * T + k] = lab[r * T + k];
      diffMask[r * T + k] = 1;
    }
  }
  const count = diffMask.reduce((a, b) => a + b, 0);
  const alpha = 0.7;
  const shape = [2 * N, T, V];
  // Logits scaled up so some targets are likely (p near 1 exercises log1mexp's upper branch).
  const logits = rng.normals(2 * N * T * V).map((x) => 3 * x);
  await checkOp({
    name: "unlikelihood",
    op: ([x, c, d, m]) =>
      unlikelihoodLoss(
        reshape(x, shape),
        reshape(c, [2 * N, T]),
        reshape(d, [2 * N, T]),
        m,
        count,
        alpha,
      ).loss,
    ref: ([x, c, d, m]) => Float64Array.of(unlikelihoodRef(V, x, c, d, m, alpha).loss),
    inputs: [
      { shape: [2 * N * T, V], values: logits },
      { shape: [2 * N * T], values: chosen, int: true },
      { shape: [2 * N * T], values: diffTargets, int: true },
      { shape: [2 * N * T], values: diffMask, noGrad: true },
    ],
    forwardTol: FWD,
    gradTol: GRAD,
    eps: 1e-3,
  });
  const got = await tidy(async () => {
    const t = unlikelihoodLoss(
      tensor(logits, shape),
      tensor(Int32Array.from(chosen), [2 * N, T], "i32"),
      tensor(Int32Array.from(diffTargets), [2 * N, T], "i32"),
      tensor(diffMask, [2 * N * T]),
      count,
      alpha,
    );
    return await Promise.all([t.sft, t.unlikelihood].map((x) => x.item()));
  });
  const want = unlikelihoodRef(
    V,
    Float64Array.from(logits),
    Float64Array.from(chosen),
    Float64Array.from(diffTargets),
    Float64Array.from(diffMask),
    alpha,
  );
  assertClose(got, [want.sft, want.ul], FWD, "unlikelihood parts");
});
