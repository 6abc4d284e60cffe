/**
 * Preview the world: writes DIR/contact-sheet.png with N question items (image, instance
 * mask, class mask, the question and its preference pair), families taken in turn.
 *
 *   deno task world --n 48 --out DIR [--preset tiny|small|paper] [--seed S]
 */
import { join } from "node:path";
import { integerFlag, parseFlags } from "../src/cli/args.ts";
import { writeContactSheet } from "../src/world/contact_sheet.ts";
import { FAMILIES, generateQuestions, renderScene, WORLD_PRESETS } from "../src/world/mod.ts";

const USAGE = "deno task world --n N --out DIR [--preset tiny|small|paper] [--seed S]";
const flags = parseFlags(Deno.args, {
  n: { type: "string", default: "48", description: "number of items on the sheet" },
  out: { type: "string", description: "output directory (required)" },
  preset: {
    type: "string",
    default: "small",
    choices: Object.keys(WORLD_PRESETS),
    description: "world preset (image size)",
  },
  seed: { type: "string", default: "0", description: "world seed" },
}, USAGE);
if (typeof flags.out !== "string") {
  console.error(`error: --out is required\nusage: ${USAGE} (--help for details)`);
  Deno.exit(2);
}
const count = integerFlag(flags, "n", USAGE);
const seed = integerFlag(flags, "seed", USAGE, 0);
const preset = WORLD_PRESETS[flags.preset as keyof typeof WORLD_PRESETS];

const questions = generateQuestions(
  { name: "contact_sheet", kind: "questions", count, families: FAMILIES },
  preset.imageSize,
  seed,
);
const entries = [];
for (const { sampled, item } of questions) {
  entries.push({ rgb: await renderScene(sampled.scene), masks: sampled.masks, item });
}
await Deno.mkdir(flags.out, { recursive: true });
const path = join(flags.out, "contact-sheet.png");
await writeContactSheet(entries, path);
console.log(`wrote ${path} (${count} items, preset ${preset.name}, seed ${seed})`);
