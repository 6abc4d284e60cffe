/**
 * `deno task reproduce`: the paper's end-to-end reproduction. The stages it runs (pretraining,
 * SFT vs DPO, probes, PIVOT) are not built yet; until they are, this says so and exits
 * non-zero rather than pretending to reproduce anything.
 */

console.error(
  "pivotlab: `deno task reproduce` is not available yet. The tensor engine and the " +
    "generated world exist; the training stages, probes, PIVOT and the report are still " +
    "being built (see README.md, 'Status'). Run `deno task test` or `deno task bench` meanwhile.",
);
Deno.exit(2);
