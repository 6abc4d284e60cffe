/**
 * Benchmark: generate every split of a world preset (default `small`) into a fresh
 * directory and report seconds and scenes per second per split, as a table and one JSON line.
 *
 *   deno run --allow-read --allow-write --allow-env --allow-ffi --allow-sys tasks/bench_world.ts [--preset small] [--seed 0]
 */
import { integerFlag, parseFlags } from "../src/cli/args.ts";
import { loadOrGenerateWorld, WORLD_PRESETS } from "../src/world/mod.ts";

const USAGE = "bench_world.ts [--preset tiny|small|paper] [--seed S] [--keep DIR]";
const flags = parseFlags(Deno.args, {
  preset: {
    type: "string",
    default: "small",
    choices: Object.keys(WORLD_PRESETS),
    description: "world preset",
  },
  seed: { type: "string", default: "0", description: "world seed" },
  keep: {
    type: "string",
    description: "write the world here and keep it (default: a temporary directory)",
  },
}, USAGE);
const preset = flags.preset as string;
const seed = integerFlag(flags, "seed", USAGE, 0);
const root = (flags.keep as string | undefined) ??
  await Deno.makeTempDir({ prefix: "pivotlab-world-bench-" });

const rows: { split: string; count: number; seconds: number }[] = [];
const start = performance.now();
await loadOrGenerateWorld(preset, seed, root, {
  generateAll: true,
  onSplit: (split, seconds, _generated, count) => rows.push({ split, count, seconds }),
});
const totalSeconds = (performance.now() - start) / 1000;
if (!flags.keep) await Deno.remove(root, { recursive: true });

const scenes = rows.filter((r) => r.split !== "text").reduce((sum, r) => sum + r.count, 0);
console.log(`world preset ${preset}, seed ${seed}, ${navigator.hardwareConcurrency} cores`);
console.log("split                    items   seconds   items/s");
for (const r of rows) {
  console.log(
    `${r.split.padEnd(22)} ${String(r.count).padStart(7)} ${r.seconds.toFixed(2).padStart(9)} ${
      (r.count / r.seconds).toFixed(0).padStart(9)
    }`,
  );
}
console.log(
  `total: ${scenes} scenes (+ ${rows.find((r) => r.split === "text")?.count ?? 0} text lines) in ${
    totalSeconds.toFixed(1)
  } s = ${(scenes / totalSeconds).toFixed(0)} scenes/s`,
);
console.log(
  JSON.stringify({
    bench: "world",
    preset,
    seed,
    scenes,
    seconds: Number(totalSeconds.toFixed(2)),
    scenesPerSecond: Math.round(scenes / totalSeconds),
  }),
);
