/**
 * A Stage-1 calibration run: Stage 1a and 1b of one seed with the committed protocol, or with
 * the 1b settings named on the command line changed, then the base's answers on the
 * validation splits with the images and with blank ones, read against the calibration rule
 * (src/experiments/base_calibration.ts: every group inside the 30–85 % band and above the
 * text-only baseline; every vision-centric family better with the image than without).
 * Calibration looks at Stage-1 metrics only: nothing here trains or evaluates a Stage-2 model,
 * and nothing reads the test splits. Stages go to the same cache as `reproduce` (`--out`), so
 * the committed setting costs nothing when its seed's base already exists, and a changed one
 * gets its own key. A record of the run is written to `<out>/calibration/<label>.json`.
 *
 *   deno task calibrate [--preset small] [--out DIR] [--seed 1] [--label NAME]
 *     [--steps N] [--lr X] [--vit-lr-ratio R] [--per-group N]
 * @module
 */

import { join } from "node:path";
import { exitWithError, integerFlag, numberFlag, parseFlags } from "../src/cli/args.ts";
import { initGpuOrExit } from "../src/gpu/device.ts";
import { sync } from "../src/gpu/batch.ts";
import { trimPool } from "../src/gpu/pool.ts";
import { pretrain } from "../src/train/pretrain.ts";
import { pretrainProtocol } from "../src/protocol/presets.ts";
import { postTrainProtocol } from "../src/protocol/posttrain.ts";
import { runStage, type StageOutput, writeJsonAtomic } from "../src/train/stage.ts";
import {
  loadMLLM,
  type MLLMStageMetrics,
  stage1aConfig,
  stage1aStage,
  stage1bConfig,
  stage1bStage,
} from "../src/train/mllm/mod.ts";
import { groupSplits, type VqaResult, vqaStage, worldBlindBaseline } from "../src/eval/vqa.ts";
import { GROUPS } from "../src/world/items.ts";
import type { FamilyId } from "../src/world/items.ts";
import type { QuestionRecord } from "../src/world/splits.ts";
import {
  baseCalibration,
  calibrationBlocks,
  calibrationSummary,
} from "../src/experiments/base_calibration.ts";
import { formatTextTable } from "../src/report/display.ts";

const USAGE = "deno task calibrate [--preset small] [--out DIR] [--seed N] [--label NAME] " +
  "[--steps N] [--lr X] [--vit-lr-ratio R] [--per-group N]";
const flags = parseFlags(Deno.args, {
  preset: {
    type: "string",
    default: "small",
    description: "protocol preset",
    choices: ["tiny", "small", "paper"],
  },
  out: { type: "string", description: "stage cache folder (default: runs/<preset>)" },
  seed: { type: "string", default: "1", description: "the base's seed" },
  label: { type: "string", description: "name of the record (default: from the changes)" },
  steps: { type: "string", description: "Stage-1b steps instead of the protocol's" },
  lr: { type: "string", description: "Stage-1b peak lr instead of the protocol's" },
  "vit-lr-ratio": { type: "string", description: "Stage-1b ViT lr / lr instead of the protocol's" },
  "per-group": {
    type: "string",
    description: "validation questions per group (default: every one)",
  },
}, USAGE);

const preset = flags.preset as string;
const out = (flags.out as string | undefined) ?? join("runs", preset);
const seed = integerFlag(flags, "seed", USAGE, 0);
const steps = flags.steps === undefined ? undefined : integerFlag(flags, "steps", USAGE, 1);
const lr = flags.lr === undefined ? undefined : numberFlag(flags, "lr", USAGE);
const ratio = flags["vit-lr-ratio"] === undefined
  ? undefined
  : numberFlag(flags, "vit-lr-ratio", USAGE);
const perGroup = flags["per-group"] === undefined
  ? undefined
  : integerFlag(flags, "per-group", USAGE, 2);

const pre = pretrainProtocol(preset);
const post = postTrainProtocol(preset);
const committed = stage1bConfig(post, pre, seed);
const cfg = {
  ...committed,
  steps: steps ?? committed.steps,
  vitLrRatio: ratio ?? committed.vitLrRatio,
  optim: { ...committed.optim, lr: lr ?? committed.optim.lr },
};
const changes = [
  steps !== undefined && steps !== committed.steps ? `steps-${steps}` : null,
  lr !== undefined && lr !== committed.optim.lr ? `lr-${lr}` : null,
  ratio !== undefined && ratio !== committed.vitLrRatio ? `vit-ratio-${ratio}` : null,
].filter((x) => x !== null);
const label = (flags.label as string | undefined) ??
  `seed${seed}-${changes.length > 0 ? changes.join("-") : "protocol"}`;
if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(label)) {
  exitWithError(`--label must be a plain file name (got "${label}")`, USAGE);
}
await initGpuOrExit();
const log = (line: string) => console.error(line);
const pretrained = await pretrain(pre, { out, log });
if (pretrained.e0Pending) {
  console.error(`calibrate: pretraining incomplete: ${pretrained.e0Pending}`);
  Deno.exit(1);
}
const world = pretrained.world;
const find = (list: StageOutput[], name: string) => {
  const o = list.find((x) => x.name === name);
  if (!o) throw new Error(`calibrate: no ${name} stage in ${out}`);
  return o;
};
const run = { out, log };
const s1a = await runStage(
  stage1aStage(stage1aConfig(post, pre, seed), world, {
    e0: find(pretrained.e0, `e0-${post.encoder}`),
    l0: find(pretrained.l0, `l0-${post.lm}`),
  }),
  run,
);
const s1b = await runStage(stage1bStage(cfg, world, s1a), run);
await sync();
trimPool();
const answers = async (blank: boolean) => {
  const o = await runStage(
    vqaStage(s1b, loadMLLM, world, {
      name: blank ? "vqa-blank" : "vqa-val",
      splits: groupSplits("val"),
      blank,
      batch: 128,
      maxNew: post.validation.maxNew,
      perSplit: perGroup,
    }),
    run,
  );
  await sync();
  trimPool();
  return o.metrics as unknown as VqaResult;
};
const withImage = await answers(false);
const blankImage = await answers(true);
const families: Record<string, FamilyId[]> = {};
for (const g of GROUPS) {
  const split = await world.split(`val_${g}`);
  families[split.name] = split.records.map((r) => (r as QuestionRecord).item.family);
}
const blind = (await worldBlindBaseline(world, groupSplits("val"))).byGroup;
const check = baseCalibration([withImage], [blankImage], families, blind, "val");
const m = s1b.metrics as unknown as MLLMStageMetrics;

console.log(`calibration ${label} (preset ${preset}, seed ${seed})`);
console.log(
  `1b: ${cfg.steps} steps × ${cfg.batch}, lr ${cfg.optim.lr}, ViT lr ratio ${cfg.vitLrRatio}; ` +
    `loss ${m.firstLoss.toFixed(3)} → ${m.finalLoss.toFixed(3)}; ViT moved ` +
    `${(100 * m.encoderMovement.weights).toFixed(1)} % (weights) / ` +
    `${(100 * m.encoderMovement.features).toFixed(1)} % (features); ` +
    `${(m.flops / 1e9).toFixed(0)} GFLOP, ${m.trainSeconds.toFixed(0)} s` +
    (s1b.cached ? " (cached)" : ""),
);
for (const b of calibrationBlocks(check)) {
  if (b.kind === "text") console.log(`\n${b.text}`);
  if (b.kind === "table") {
    console.log(`\n${formatTextTable(b.columns, b.rows)}\n${b.caption ?? ""}`);
  }
}
const file = join(out, "calibration", `${label}.json`);
await Deno.mkdir(join(out, "calibration"), { recursive: true });
await writeJsonAtomic(file, {
  label,
  preset,
  seed,
  stage1b: cfg,
  committed: changes.length === 0,
  keys: { s1a: s1a.key, s1b: s1b.key },
  loss: { first: m.firstLoss, final: m.finalLoss },
  encoderMovement: m.encoderMovement,
  flops: m.flops,
  trainSeconds: m.trainSeconds,
  summary: calibrationSummary(check),
  check,
});
console.log(`\nrecord: ${file}`);
