/**
 * Pretraining benchmark: runs a preset's E0 and L0 stages (default `small`) into a fresh
 * folder and reports, per stage, wall and CPU seconds, counted FLOPs and achieved GFLOP/s
 * (a table, and JSON with `--json FILE`). With `--max-steps N` every stage is cut to N steps
 * and the full protocol's time is projected from the measured seconds per step: a quick
 * check of the ≤ 25-minute budget. A benchmark, not a test: nothing here asserts a time.
 *
 *   deno run -A tasks/bench_pretrain.ts [--preset small] [--max-steps 12] [--json FILE]
 */

import { integerFlag, parseFlags } from "../src/cli/args.ts";
import { initGpuOrExit } from "../src/gpu/device.ts";
import { type PretrainProtocol, pretrainProtocol } from "../src/protocol/presets.ts";
import { pretrain } from "../src/train/pretrain.ts";

const USAGE = "deno run -A tasks/bench_pretrain.ts [--preset small] [--max-steps N] [--json FILE]";
const flags = parseFlags(Deno.args, {
  preset: {
    type: "string",
    default: "small",
    choices: ["tiny", "small", "paper"],
    description: "protocol preset",
  },
  "max-steps": { type: "string", description: "cut every stage to N steps and project" },
  json: { type: "string", description: "also write the results as JSON here" },
  out: { type: "string", description: "run folder (default: a fresh temporary folder)" },
  world: { type: "string", description: "world cache folder (default: runs/world-cache)" },
}, USAGE);

const gpu = await initGpuOrExit();
const full = pretrainProtocol(flags.preset as string);
const cap = flags["max-steps"] === undefined ? null : integerFlag(flags, "max-steps", USAGE);
const protocol: PretrainProtocol = cap === null ? full : {
  ...full,
  e0: full.e0.map((s) => ({ ...s, steps: Math.min(s.steps, cap) })),
  l0: full.l0.map((s) => ({ ...s, steps: Math.min(s.steps, cap) })),
  checkpointEvery: 1_000_000,
};
const fullSteps = new Map<string, number>([
  ...full.e0.map((s) => [`e0-${s.encoder}`, s.steps] as [string, number]),
  ...full.l0.map((s) => [`l0-${s.lm}`, s.steps] as [string, number]),
]);
const out = (flags.out as string | undefined) ??
  await Deno.makeTempDir({ prefix: "pivotlab-bench-pretrain-" });
const start = performance.now();
const result = await pretrain(protocol, {
  out,
  worldRoot: (flags.world as string | undefined) ?? "runs/world-cache",
});
const wall = (performance.now() - start) / 1000;

const rows = result.summary.map((s) => {
  const m = result.e0.concat(result.l0).find((o) => o.name === s.stage)!.metrics as {
    steps: number;
    trainCpuSeconds?: number;
  };
  const perStep = s.trainSeconds / m.steps;
  const planned = fullSteps.get(s.stage) ?? m.steps;
  return {
    stage: s.stage,
    params: s.params,
    steps: m.steps,
    samples: s.samples,
    gflop: s.flops / 1e9,
    trainSeconds: s.trainSeconds,
    stageSeconds: s.seconds,
    cpuSeconds: m.trainCpuSeconds ?? null,
    gflopPerSecond: s.flops / 1e9 / s.trainSeconds,
    secondsPerStep: perStep,
    plannedSteps: planned,
    projectedSeconds: perStep * planned + (s.seconds - s.trainSeconds),
    quality: s.quality,
  };
});
const projected = rows.reduce((a, r) => a + r.projectedSeconds, 0);
const report = {
  preset: protocol.preset,
  adapter: gpu.adapterName,
  deno: Deno.version.deno,
  loadAverage: Deno.loadavg(),
  maxSteps: cap,
  wallSeconds: wall,
  projectedSeconds: projected,
  e0Pending: result.e0Pending,
  stages: rows,
};

const f = (x: number, d = 1) => x.toFixed(d);
console.log(
  `\npretraining benchmark, preset ${protocol.preset}, ${gpu.adapterName}` +
    `${cap ? `, every stage cut to ${cap} steps` : ""}; load ${
      Deno.loadavg().map((x) => f(x)).join(" ")
    }`,
);
console.log(
  "stage".padEnd(12) + "params".padStart(10) + "steps".padStart(7) + "GFLOP".padStart(9) +
    "train s".padStart(9) + "CPU s".padStart(8) + "GFLOP/s".padStart(9) + "s/step".padStart(8) +
    "planned".padStart(9) + "proj. s".padStart(9),
);
for (const r of rows) {
  console.log(
    r.stage.padEnd(12) + String(r.params).padStart(10) + String(r.steps).padStart(7) +
      f(r.gflop).padStart(9) + f(r.trainSeconds).padStart(9) +
      (r.cpuSeconds === null ? "-" : f(r.cpuSeconds)).padStart(8) +
      f(r.gflopPerSecond, 2).padStart(9) +
      f(r.secondsPerStep, 2).padStart(8) + String(r.plannedSteps).padStart(9) +
      f(r.projectedSeconds, 0).padStart(9),
  );
}
console.log(
  `total wall ${f(wall)} s; projected full protocol ${f(projected / 60)} min` +
    (result.e0Pending ? ` (E0 pending: ${result.e0Pending})` : ""),
);
if (flags.json) {
  await Deno.writeTextFile(flags.json as string, JSON.stringify(report, null, 2) + "\n");
}
if (flags.out === undefined) await Deno.remove(out, { recursive: true });
