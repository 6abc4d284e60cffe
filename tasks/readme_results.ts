/**
 * `deno task readme-results [--out runs/small] [--readme README.md]`: rewrites the README's
 * results section (between `<!-- results:start -->` and `<!-- results:end -->`) from the
 * results.json of the run in `--out`: its date, machine (cores, adapter), preset, and which
 * claims held, did not hold, were inconclusive or have not run (src/report/reproduce_report.ts).
 * When that folder holds no run the section says so; nothing is invented. A run of another
 * preset than `small` is named as such in the text.
 */
import { exitWithError, parseFlags } from "../src/cli/args.ts";
import {
  readmeResultsSection,
  readResults,
  replaceReadmeSection,
} from "../src/report/reproduce_report.ts";

const USAGE = "deno task readme-results [--out runs/small] [--readme README.md]";
const flags = parseFlags(Deno.args, {
  out: { type: "string", default: "runs/small", description: "the reproduce run to report" },
  readme: { type: "string", default: "README.md", description: "the README to rewrite" },
}, USAGE);
const outDir = (flags.out as string).replace(/\/+$/, "");
const readme = flags.readme as string;

let run = null;
try {
  run = { ...(await readResults(outDir)), outDir };
} catch (e) {
  if (!(e instanceof Deno.errors.NotFound)) {
    exitWithError(`cannot read ${outDir}/results.json: ${(e as Error).message}`, USAGE);
  }
}
let text: string;
try {
  text = await Deno.readTextFile(readme);
} catch (e) {
  exitWithError(`cannot read ${readme}: ${(e as Error).message}`, USAGE);
}
let updated: string;
try {
  updated = replaceReadmeSection(text, readmeResultsSection(run, { outDir }));
} catch (e) {
  exitWithError((e as Error).message, USAGE);
}
await Deno.writeTextFile(`${readme}.tmp`, updated);
await Deno.rename(`${readme}.tmp`, readme);
console.log(
  run
    ? `${readme}: results section from ${outDir}/results.json (preset ${run.results.preset})`
    : `${readme}: no run at ${outDir}; the results section says so`,
);
