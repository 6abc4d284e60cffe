/**
 * PIVOT budget benchmark: the `small` PIVOT plan (src/protocol/pivot.ts) stage by stage, with
 * FLOPs per step counted by the engine and the wall time projected at a planning rate.
 *
 * Each kind of Stage-1 / Stage-3 step (1a, 1b, 3a, 3b frozen, 3b with the ViT trained, per
 * encoder shape) runs for `--steps N` steps through the real stage code on stand-in weights
 * (seeded random E0 ViTs and L0 LM saved as checkpoints: FLOPs do not depend on the
 * weights), as does a VQA evaluation of `--questions` per group (the `val_*` splits, whose
 * questions are built like the test splits'; random weights never emit <eos>, so every answer
 * runs to maxNew: an upper bound). Stage 2 and the DPO reference use the FLOPs per step
 * counted in docs/PROTOCOL.md ("Post-training: measured step times"), so the preference split
 * need not be generated. Not a test: nothing here asserts a time.
 *
 *   deno run -A tasks/bench_pivot.ts [--preset small] [--steps 2] [--rate 16] [--world DIR]
 */

import { integerFlag, parseFlags } from "../src/cli/args.ts";
import { initGpuOrExit } from "../src/gpu/device.ts";
import { flopCount } from "../src/gpu/flops.ts";
import { Rng } from "../src/tensor/random.ts";
import { Module } from "../src/nn/module.ts";
import { ViT } from "../src/nn/vit.ts";
import { CausalLM } from "../src/nn/causal_lm.ts";
import { saveCheckpoint } from "../src/nn/checkpoint.ts";
import { loadOrGenerateWorld } from "../src/world/world.ts";
import { worldTokenizer } from "../src/world/tokenizer.ts";
import { pretrainProtocol } from "../src/protocol/presets.ts";
import { postTrainProtocol, stage2Steps } from "../src/protocol/posttrain.ts";
import { type EncoderId, pivotProtocol } from "../src/protocol/pivot.ts";
import type { StageDef, StageOutput } from "../src/train/stage.ts";
import {
  loadMLLM,
  type MLLMStageMetrics,
  stage1aConfig,
  stage1aStage,
  stage1bConfig,
  stage1bStage,
} from "../src/train/mllm/mod.ts";
import {
  evolveProtocol,
  type RecipeContext,
  runAndTrim,
  stage3aConfig,
  stage3bConfig,
} from "../src/pivot/mod.ts";
import { pivotRows } from "../src/experiments/pivot.ts";
import { groupSplits, vqaStage } from "../src/eval/vqa.ts";

const USAGE = "deno run -A tasks/bench_pivot.ts [--preset small] [--steps 2] [--rate 16] " +
  "[--questions 16] [--world DIR]";
const flags = parseFlags(Deno.args, {
  preset: {
    type: "string",
    default: "small",
    choices: ["tiny", "small", "paper"],
    description: "preset",
  },
  steps: { type: "string", default: "2", description: "steps measured per kind of stage" },
  questions: { type: "string", default: "16", description: "questions per group measured" },
  rate: { type: "string", default: "16", description: "planning rate, GFLOP per wall second" },
  world: { type: "string", default: "runs/world-cache", description: "world cache folder" },
}, USAGE);

/** FLOPs per step of Stage 2 and the reference at batch 16 (`small`, docs/PROTOCOL.md). */
const STAGE2_COUNTED = { sft: 15.1e9, dpo: 25.8e9, referencePer16: 8.2e9 };

await initGpuOrExit();
const preset = flags.preset as string;
const steps = integerFlag(flags, "steps", USAGE);
const questions = integerFlag(flags, "questions", USAGE);
const rate = Number(flags.rate) * 1e9;
const piv = pivotProtocol(preset);
const pre = pretrainProtocol(preset);
const post = postTrainProtocol(preset);
const out = await Deno.makeTempDir({ prefix: "pivotlab-bench-pivot-" });
const world = await loadOrGenerateWorld(pre.world.preset, pre.world.seed, flags.world as string);
const run = { out, log: () => {} };

/** A stand-in checkpoint stage: random weights of the right shape (FLOPs ignore values). */
function standIn(name: string, build: () => Module): StageDef {
  return {
    name,
    config: { standIn: name },
    run: async (ctx) => {
      const m = build().nameParameters();
      await saveCheckpoint(ctx.checkpointDir, { model: m });
      m.dispose();
      return {};
    },
  };
}
const encoders = [...new Set(piv.rows.map((r) => r.encoder))] as EncoderId[];
const e0 = new Map<EncoderId, StageOutput>();
for (const enc of encoders) {
  e0.set(
    enc,
    await runAndTrim(
      standIn(`e0-${enc}`, () => {
        const holder = new Module();
        holder.child("vit", new ViT({ ...pre.encoders[enc]!, channels: 3 }, new Rng(1)));
        return holder;
      }),
      run,
    ),
  );
}
const lm = { ...pre.lms[post.lm]!, vocab: worldTokenizer().vocabSize };
const l0 = await runAndTrim(standIn(`l0-${post.lm}`, () => new CausalLM(lm, new Rng(2))), run);
const cut = { ...piv, stage3a: { ...piv.stage3a, steps }, stage3b: { ...piv.stage3b, steps } };
const ctx: RecipeContext = {
  preset,
  world,
  pre,
  pivot: cut,
  e0: (enc) => e0.get(enc)!,
  l0,
  run,
};

/** Counted FLOPs and wall seconds per step of one kind of stage, measured on `steps` steps. */
interface PerStep {
  flops: number;
  seconds: number;
}
const measured = new Map<string, PerStep>();
const perStep = (o: StageOutput<MLLMStageMetrics>): PerStep => ({
  flops: o.metrics.flops / o.metrics.steps,
  seconds: o.metrics.trainSeconds / o.metrics.steps,
});
const shape = (enc: EncoderId) => JSON.stringify(pre.encoders[enc]);
const shapes = new Map<string, EncoderId>();
for (const enc of encoders) if (!shapes.has(shape(enc))) shapes.set(shape(enc), enc);
for (const [sh, enc] of shapes) {
  const spec = { encoder: enc, source: e0.get(enc)!, projector: "fresh" as const, seed: 1 };
  const s3a = await runAndTrim(
    stage1aStage(stage3aConfig(ctx, { ...spec, frozen: true }), world, { e0: spec.source, l0 }),
    run,
  );
  measured.set(`3a|${sh}`, perStep(s3a));
  const s3b = await runAndTrim(
    stage1bStage(stage3bConfig(ctx, { ...spec, frozen: true }), world, s3a),
    run,
  );
  measured.set(`3b-frozen|${sh}`, perStep(s3b));
  const s3u = await runAndTrim(
    stage1bStage(stage3bConfig(ctx, { ...spec, frozen: false }), world, s3a),
    run,
  );
  measured.set(`3b-trained|${sh}`, perStep(s3u));
  const p = evolveProtocol(preset, enc);
  const p1 = { ...p, stage1a: { ...p.stage1a, steps }, stage1b: { ...p.stage1b, steps } };
  const s1a = await runAndTrim(
    stage1aStage(stage1aConfig(p1, pre, 1), world, { e0: spec.source, l0 }),
    run,
  );
  measured.set(`1a|${sh}`, perStep(s1a));
  const s1b = await runAndTrim(stage1bStage(stage1bConfig(p1, pre, 1), world, s1a), run);
  measured.set(`1b|${sh}`, perStep(s1b));
  const f0 = flopCount().flops;
  const v = await runAndTrim(
    vqaStage(s3b, loadMLLM, world, {
      name: "vqa-bench",
      splits: groupSplits("val"),
      batch: piv.vqa.batch,
      maxNew: piv.vqa.maxNew,
      perSplit: questions,
    }),
    run,
  );
  const asked = 4 * questions;
  measured.set(`vqa|${sh}`, {
    flops: (flopCount().flops - f0) / asked,
    seconds: v.metrics.seconds / asked,
  });
}

// The plan: every stage the PIVOT run trains or evaluates, with its steps.
interface PlanLine {
  what: string;
  count: number;
  unit: number;
  flops: number;
  seconds: number;
  source: string;
  evolve: EncoderId | null;
}
const plan: PlanLine[] = [];
const add = (
  what: string,
  count: number,
  unit: number,
  ps: PerStep | null,
  f: number,
  source: string,
  evolve: EncoderId | null = null,
) => {
  plan.push({
    what,
    count,
    unit,
    flops: count * unit * (ps ? ps.flops : f),
    seconds: count * unit * (ps ? ps.seconds : f / rate),
    source,
    evolve,
  });
};
const seeds = piv.seeds.length;
for (const f of piv.rows) {
  const sh = shape(f.encoder);
  const arms = f.variants.filter((v) => v !== "original");
  if (arms.length === 0) continue;
  add(
    `evolve ${f.encoder}: 1a`,
    1,
    post.stage1a.steps,
    measured.get(`1a|${sh}`)!,
    0,
    "counted here",
    f.encoder,
  );
  add(
    `evolve ${f.encoder}: 1b`,
    1,
    post.stage1b.steps,
    measured.get(`1b|${sh}`)!,
    0,
    "counted here",
    f.encoder,
  );
  const s2 = stage2Steps(post, post.stage2.preferenceSize);
  const note = f.encoder === post.encoder
    ? "counted (docs)"
    : "counted for vit-s (docs); same shape";
  if (arms.includes("pivot")) {
    add(
      `evolve ${f.encoder}: DPO reference`,
      1,
      post.stage2.preferenceSize / 16,
      null,
      STAGE2_COUNTED.referencePer16,
      note,
      f.encoder,
    );
    add(`evolve ${f.encoder}: Stage 2 DPO`, 1, s2, null, STAGE2_COUNTED.dpo, note, f.encoder);
  }
  if (arms.includes("sft")) {
    add(`evolve ${f.encoder}: Stage 2 SFT`, 1, s2, null, STAGE2_COUNTED.sft, note, f.encoder);
  }
}
const rows = pivotRows(piv);
const distinct3a = new Set(rows.map((r) => `${r.encoder}/${r.variant}/${r.projector}`));
for (const key of distinct3a) {
  const enc = key.split("/")[0] as EncoderId;
  add(`3a ${key}`, seeds, piv.stage3a.steps, measured.get(`3a|${shape(enc)}`)!, 0, "counted here");
}
for (const r of rows) {
  const kind = r.frozen ? "3b-frozen" : "3b-trained";
  add(
    `${kind} ${r.encoder}/${r.variant}${r.projector === "fresh" ? "" : " (reused fc1)"}`,
    seeds,
    piv.stage3b.steps,
    measured.get(`${kind}|${shape(r.encoder)}`)!,
    0,
    "counted here",
  );
  add(
    `VQA ${r.encoder}/${r.variant}${r.frozen ? "" : " (trained)"}`,
    seeds,
    4 * (piv.vqa.perGroup ?? 3000),
    measured.get(`vqa|${shape(r.encoder)}`)!,
    0,
    "counted here (upper bound)",
  );
}

const g = (x: number) => Math.round(x / 1e9).toLocaleString("en-US");
console.log(
  `PIVOT plan (${preset}): ${seeds} Stage-3 seeds, ${rows.length} rows; per-step FLOPs ` +
    `measured on ${steps} steps, evaluation on ${questions} questions per group`,
);
console.log("stage".padEnd(44) + "runs  units   GFLOP  at-rate-min  measured-min  source");
for (const l of plan) {
  console.log(
    l.what.padEnd(44) + String(l.count).padStart(4) + String(l.unit).padStart(7) +
      g(l.flops).padStart(8) + (l.flops / rate / 60).toFixed(1).padStart(13) +
      (l.seconds / 60).toFixed(1).padStart(14) + "  " + l.source,
  );
}
const sum = (ls: PlanLine[], k: "flops" | "seconds") => ls.reduce((s, l) => s + l[k], 0);
const shared = plan.filter((l) => l.evolve === post.encoder);
const rest = plan.filter((l) => l.evolve !== post.encoder);
const train = (ls: PlanLine[]) => ls.filter((l) => !l.what.startsWith("VQA"));
const evals = plan.filter((l) => l.what.startsWith("VQA"));
console.log(
  `\ntraining (without the ${post.encoder} evolve runs, which the SFT-vs-DPO experiment shares): ` +
    `${g(sum(train(rest), "flops"))} GFLOP = ${
      (sum(train(rest), "flops") / rate / 60).toFixed(1)
    } min ` +
    `at ${rate / 1e9} GFLOP/s`,
);
console.log(
  `evaluation: ${g(sum(evals, "flops"))} GFLOP, ${(sum(evals, "seconds") / 60).toFixed(1)} min ` +
    "at the wall time measured here (generation is bound by dispatches, not FLOPs)",
);
console.log(
  `total: ${((sum(train(rest), "flops") / rate + sum(evals, "seconds")) / 60).toFixed(1)} min; ` +
    `with the ${post.encoder} evolve runs too: ${
      ((sum(train(plan), "flops") / rate + sum(evals, "seconds")) / 60).toFixed(1)
    } min (they are ${g(sum(shared, "flops"))} GFLOP)`,
);
for (const r of [14e9, 20e9]) {
  console.log(
    `at ${r / 1e9} GFLOP/s: ${
      ((sum(train(rest), "flops") / r + sum(evals, "seconds")) / 60).toFixed(1)
    } min ` +
      `(with the ${post.encoder} evolve runs: ${
        ((sum(train(plan), "flops") / r + sum(evals, "seconds")) / 60).toFixed(1)
      } min)`,
  );
}
const measuredRate = [...measured.entries()].filter(([k]) => !k.startsWith("vqa"))
  .reduce((a, [, v]) => [a[0] + v.flops, a[1] + v.seconds], [0, 0]);
console.log(
  `training rate measured here: ${(measuredRate[0] / measuredRate[1] / 1e9).toFixed(1)} GFLOP/s`,
);
await Deno.remove(out, { recursive: true });
