/**
 * `deno task bench`: the engine's speed, measured on this machine's WebGPU adapter. Prints
 * a readable table per section and writes every figure as JSON (with the adapter's name,
 * Deno version and date) to `--json FILE` (default bench-results.json in the out folder).
 * Targets live here, never in tests.
 */

import { parseFlags } from "../src/cli/args.ts";
import { initGpuOrExit } from "../src/gpu/device.ts";
import { benchMatmul, formatMatmulResults } from "../src/bench/matmul_bench.ts";
import { normBenchmarks } from "../src/bench/norm_bench.ts";
import { benchAttention } from "../src/bench/attention_bench.ts";
import { dispatchOverhead, readbackCost } from "../src/bench/overhead_bench.ts";
import {
  benchLMTrain,
  benchMLLMTrain,
  benchViTTrain,
  formatTrainResult,
} from "../src/bench/train_bench.ts";
import { benchGenerate } from "../src/bench/generate_bench.ts";

const SECTIONS = ["engine", "train", "world", "all"] as const;
const USAGE = "deno task bench [--only engine|train|world|all] [--json FILE]";
const flags = parseFlags(Deno.args, {
  only: { type: "string", default: "all", choices: SECTIONS, description: "which benchmarks" },
  json: {
    type: "string",
    default: "runs/bench/bench-results.json",
    description: "where to write the JSON results",
  },
}, USAGE);

const gpu = await initGpuOrExit();
const only = flags.only as (typeof SECTIONS)[number];
const report: Record<string, unknown> = {
  adapter: gpu.adapterName,
  deno: Deno.version.deno,
  date: new Date().toISOString(),
  lpNumThreads: Deno.env.get("LP_NUM_THREADS") ?? null,
  cores: navigator.hardwareConcurrency,
};
console.log(`adapter: ${gpu.adapterName} · Deno ${Deno.version.deno} · ${report.cores} cores`);

/** Targets from the engine issue, on a 2-core machine through lavapipe. */
const MATMUL_TARGET_GFLOPS = 80;

if (only === "engine" || only === "all") {
  console.log("\n== matmul (fastest version picked by the heuristic, and every version) ==");
  const matmul = await benchMatmul({ conversion: true });
  console.log(formatMatmulResults(matmul));
  report.matmul = matmul;
  const best = new Map<string, number>();
  for (const r of matmul) {
    if (r.name.startsWith("matmul_")) best.set(r.shape, Math.max(best.get(r.shape) ?? 0, r.gflops));
  }
  console.log("\nmatmul best per shape (target ≥ 80 GFLOP/s at the first three shapes):");
  for (const [shape, g] of best) {
    console.log(`  ${shape.padEnd(28)} ${g.toFixed(1).padStart(6)} GFLOP/s`);
  }
  report.matmulBest = Object.fromEntries(best);
  report.matmulTarget = MATMUL_TARGET_GFLOPS;

  console.log("\n== attention ==");
  const attention = await benchAttention();
  for (const r of attention) {
    console.log(
      `  ${r.name.padEnd(22)} ${r.shape.padEnd(28)} ${r.ms.toFixed(3)} ms  ${
        r.gflops.toFixed(1)
      } GFLOP/s`,
    );
  }
  report.attention = attention;

  console.log("\n== bandwidth ==");
  const bandwidth = await normBenchmarks();
  for (const r of bandwidth) {
    console.log(
      `  ${r.name.padEnd(22)} ${String(r.shape).padEnd(16)} ${r.ms.toFixed(3)} ms  ${
        r.gbPerS.toFixed(1)
      } GB/s`,
    );
  }
  report.bandwidth = bandwidth;

  console.log("\n== fixed costs ==");
  const overheads = [await dispatchOverhead(), await readbackCost()];
  for (const r of overheads) console.log(`  ${r.name.padEnd(42)} ${r.us.toFixed(1)} µs`);
  report.overheads = overheads;
}

if (only === "train" || only === "all") {
  // The training steps are compared with this run's own matmul rate at the models' main
  // shape, measured right before them (the machine's speed drifts).
  const [ref] = await benchMatmul({
    versions: [4],
    shapes: [{ batch: 1, m: 4096, k: 128, n: 512 }],
  });
  console.log(
    `\n== training steps (vs matmul_4 at ${ref.shape}: ${
      ref.gflops.toFixed(1)
    } GFLOP/s; target ≥ 40%) ==`,
  );
  const train = [
    await benchViTTrain({ matmulGflops: ref.gflops }),
    await benchLMTrain({ matmulGflops: ref.gflops }),
    await benchMLLMTrain({ matmulGflops: ref.gflops }),
  ];
  for (const r of train) console.log(formatTrainResult(r));
  report.trainReferenceMatmul = ref;
  report.train = train;

  console.log("\n== greedy generation with the KV cache (small MLLM, batch 32) ==");
  const generation = await benchGenerate();
  console.log(JSON.stringify(generation));
  report.generation = generation;
}

if (only === "world" || only === "all") {
  console.log("\n== world generation (small preset) ==");
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./bench_world.ts", import.meta.url).pathname, "--preset", "small"],
    stdout: "piped",
    stderr: "inherit",
  });
  const out = await child.output();
  const text = new TextDecoder().decode(out.stdout);
  console.log(text.trimEnd());
  const last = text.trim().split("\n").at(-1) ?? "";
  report.world = out.code === 0 ? JSON.parse(last) : { error: `exit ${out.code}` };
}

const path = flags.json as string;
await Deno.mkdir(path.split("/").slice(0, -1).join("/") || ".", { recursive: true });
await Deno.writeTextFile(path, JSON.stringify(report, null, 2) + "\n");
console.log(`\nJSON: ${path}`);
