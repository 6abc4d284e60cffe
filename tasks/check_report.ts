/**
 * `deno task check-report --report PATH [--screenshot PNG]`: opens a report in headless
 * Chromium (installed with apt when missing) and checks that every chart renders, nothing is
 * logged to the console, and the PNG fallbacks load without JavaScript. Prints the findings
 * as JSON; exits 1 when the report fails a check, 2 on bad input or a missing browser.
 *
 * Runs with --allow-all: playwright-core reads /proc at import, which Deno allows only so.
 */
import { parseFlags } from "../src/cli/args.ts";
import { browserCheckFailures, checkReportInBrowser } from "../src/report/browser.ts";
import { MissingToolError } from "../src/report/setup.ts";

const USAGE = "deno task check-report --report PATH [--screenshot PNG]";
const flags = parseFlags(Deno.args, {
  report: { type: "string", description: "the report.html to check" },
  screenshot: { type: "string", description: "where to save a full-page screenshot" },
}, USAGE);
if (!flags.report) {
  console.error(`error: --report is required\nusage: ${USAGE}`);
  Deno.exit(2);
}
try {
  await Deno.stat(flags.report as string);
} catch {
  console.error(`error: no report at ${flags.report}`);
  Deno.exit(2);
}
try {
  const check = await checkReportInBrowser(flags.report as string, {
    screenshot: flags.screenshot as string | undefined,
  });
  const failures = browserCheckFailures(check);
  console.log(JSON.stringify({ ...check, failures }));
  if (failures.length) {
    console.error(`error: ${flags.report}: ${failures.join("; ")}`);
    Deno.exit(1);
  }
} catch (error) {
  if (!(error instanceof MissingToolError)) throw error;
  console.error(error.message);
  Deno.exit(2);
}
