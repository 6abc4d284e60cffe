/**
 * The reproduce report composed from a results.json: a synthetic SFT-vs-DPO record whose
 * paired comparisons are computed by src/stats from known correctness vectors (DPO clearly
 * above SFT on the strongly-vision groups, an exact tie on Knowledge), so every verdict is
 * known in advance. Checks: verdicts come from the results (and flip when the data do),
 * claims of experiments that did not run say "not run yet" and carry no verdict, the claims
 * table comes first, every figure is also a PNG file, and the README section says plainly
 * what held, and that no run exists when none does.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  CLAIMS,
  readmeResultsSection,
  replaceReadmeSection,
  reproduceClaims,
  reproduceReportSpec,
  type ReproduceResults,
  type SftVsDpoRecord,
  verdictWithin,
  writeReproduceReport,
} from "../../src/report/reproduce_report.ts";
import { pairedComparison, summarize, verdictGreater } from "../../src/stats/mod.ts";
import { GROUP_KEYS, type GroupKey, sftVsDpoFigures } from "../../src/experiments/sft_vs_dpo.ts";

const SEEDS = [0, 1, 2];
const ITEMS = 100;

/** Correctness of one seed: the first `k` items right (k varies a little with the seed). */
const correct = (k: number, seed: number) =>
  Array.from({ length: ITEMS }, (_, i) => (i < k + seed ? 1 : 0));

/** Accuracy (fraction right) of each arm per group. */
const ACC: Record<string, number> = {
  "base-1b": 30,
  "blank-image": 10,
  "tuned/sft": 40,
  "tuned/dpo": 55,
  "tuned/unlikelihood": 45,
  "paper-ratio/dpo": 50,
  "clear/sft": 42,
  "clear/dpo": 48,
  "size-8/sft": 35,
  "size-8/dpo": 50,
  "size-16/sft": 40,
  "size-16/dpo": 55,
};

function accuracy(id: string, g: GroupKey): number {
  // Knowledge: every arm the same, so DPO − SFT is exactly 0 there.
  return g === "knowledge" ? 50 : ACC[id];
}

function record(moved = 1e-3): SftVsDpoRecord {
  const arms = Object.keys(ACC).map((id) => {
    const [condition, arm] = id.includes("/") ? id.split("/") : ["base", id];
    const test = Object.fromEntries(
      GROUP_KEYS.map((g) => [g, summarize(SEEDS.map((s) => (accuracy(id, g) + s) / ITEMS))]),
    ) as SftVsDpoRecord["arms"][number]["test"];
    return {
      id,
      condition,
      arm: arm as "sft",
      label: id,
      lr: null,
      data: null,
      size: null,
      seeds: SEEDS,
      test,
      stageKeys: [],
      encoderMovement: id.includes("/") ? SEEDS.map(() => moved) : [],
    };
  });
  const comparisons: SftVsDpoRecord["comparisons"] = [];
  const compare = (condition: string, a: string, b: string, groups = GROUP_KEYS) => {
    for (const g of groups) {
      const stat = pairedComparison(
        SEEDS.map((s) => correct(accuracy(a, g), s)),
        SEEDS.map((s) => correct(accuracy(b, g), s)),
      );
      comparisons.push({
        id: `${a} − ${b}`,
        condition,
        a,
        b,
        group: g,
        stat,
        verdict: stat.verdict,
        encoder: { aMoved: true, bMoved: true },
        note: null,
      });
    }
  };
  compare("tuned", "tuned/dpo", "tuned/sft");
  compare("tuned", "tuned/dpo", "tuned/unlikelihood");
  compare("tuned", "tuned/sft", "base-1b", ["visionAverage", "overall"]);
  compare("tuned", "tuned/dpo", "base-1b", ["visionAverage", "overall"]);
  compare("paper-ratio", "paper-ratio/dpo", "tuned/sft");
  compare("clear", "clear/dpo", "clear/sft");
  compare("data-efficiency", "size-8/dpo", "size-16/sft");
  return {
    plan: {
      preset: "tiny",
      seeds: SEEDS,
      lrGrid: [1e-3],
      sweepSeeds: [0],
      paperRatio: 5,
      sizes: [8, 16],
      secondarySeeds: SEEDS,
      vqa: { batch: 8 },
      raw: null,
    },
    seeds: SEEDS,
    lr: {
      tuned: { sft: 1e-3, dpo: 1e-3, unlikelihood: 1e-3 },
      paperRatio: { sft: 1e-3, dpo: 2e-4 },
    },
    sweep: (["sft", "dpo", "unlikelihood"] as const).map((arm) => ({
      arm,
      lr: 1e-3,
      perSeed: [0.4],
      mean: 0.4,
      chosen: true,
    })),
    arms,
    comparisons,
    worldBlind: {
      general: { items: 100, accuracy: 0.2 },
      vision: { items: 100, accuracy: 0.2 },
      ocr_chart: { items: 100, accuracy: 0.1 },
      knowledge: { items: 100, accuracy: 0.3 },
    },
    stages: [],
    dpoCurves: SEEDS.map((seed) => ({
      seed,
      curve: {
        step: [1, 2, 3],
        chosen: [-9, -8, -8],
        rejected: [-9, -11, -13],
        margin: [0, .2, .5],
      },
    })),
    allLossesFell: true,
    seconds: 1,
  };
}

function results(sftVsDpo: ReproduceResults["sftVsDpo"], preset = "tiny"): ReproduceResults {
  return {
    preset,
    only: "sft-vs-dpo",
    fullReproduction: false,
    notBuilt: [],
    finished: "2026-05-01T12:00:00.000Z",
    environment: { deno: "2.9.6", adapter: "llvmpipe", os: "linux", arch: "x86_64", cores: 2 },
    seconds: 12,
    summary: [{
      stage: "l0-text",
      key: "k",
      cached: false,
      seconds: 3,
      beatsChance: true,
      params: 12345,
      samples: 640,
      flops: 2.5e9,
      trainSeconds: 2.1,
      firstLoss: 4.2,
      finalLoss: 2.0,
      quality: { metric: "held-out perplexity", value: 7.5, chance: 40, higherIsBetter: false },
    }],
    sftVsDpo,
  };
}

const byClaim = (r: ReproduceResults) => new Map(reproduceClaims(r).map((c) => [c.claim, c]));

Deno.test("verdictWithin: inside the margin holds, wholly outside does not, else inconclusive", () => {
  assert.equal(verdictWithin([-0.005, 0.008], 0.01), "holds");
  assert.equal(verdictWithin([0.02, 0.05], 0.01), "does not hold");
  assert.equal(verdictWithin([-0.05, -0.02], 0.01), "does not hold");
  assert.equal(verdictWithin([-0.005, 0.03], 0.01), "inconclusive");
  assert.throws(() => verdictWithin([1, 0], 0.01));
});

Deno.test("reproduce claims: verdicts computed from the results, unbuilt claims 'not run yet'", () => {
  const r = results(record());
  const claims = reproduceClaims(r);
  assert.equal(claims.length, CLAIMS.length);
  const c = byClaim(r);
  const dpoSft = r.sftVsDpo && !("pending" in r.sftVsDpo)
    ? r.sftVsDpo.comparisons.find((x) =>
      x.id === "tuned/dpo − tuned/sft" && x.group === "visionAverage"
    )!
    : null;
  assert.equal(verdictGreater(dpoSft!.stat.ci95), "holds");
  assert.equal(
    c.get("DPO beats SFT on the strongly vision-related groups (average)")!.verdict,
    "holds",
  );
  assert.match(c.get("DPO beats SFT on OCR & Chart")!.measured, /^\+15\.0 \[/);
  assert.equal(
    [...c.values()].find((x) => x.claim.startsWith("DPO ≈ SFT on Knowledge"))!.verdict,
    "holds",
  );
  assert.equal(
    c.get("DPO on the smallest preference set beats SFT on the largest (vision avg)")!.verdict,
    "holds",
  );
  assert.equal(
    c.get("Every post-training arm moves the vision encoder (so the comparison is about it)")!
      .verdict,
    "holds",
  );
  for (const x of claims.filter((x) => ["F1", "F3", "F4", "F5", "F6", "C4"].includes(x.id))) {
    assert.equal(x.verdict, "not run yet", x.claim);
    // Every experiment is built: one that did not run names the command that runs it.
    assert.match(x.note ?? "", /did not run here \(deno task reproduce --only (probes|pivot)\)/);
  }
  // The same claims on data where SFT wins and the encoder stayed put.
  const flipped = record(0);
  for (const x of flipped.comparisons) {
    if (x.a === "tuned/dpo" && x.b === "tuned/sft") {
      const stat = pairedComparison(
        SEEDS.map((s) => correct(accuracy("tuned/sft", x.group), s)),
        SEEDS.map((s) =>
          correct(accuracy("tuned/dpo", x.group) + (x.group === "knowledge" ? 10 : 0), s)
        ),
      );
      x.stat = stat;
      x.verdict = stat.verdict;
    }
  }
  const f = byClaim(results(flipped));
  assert.equal(
    f.get("DPO beats SFT on the strongly vision-related groups (average)")!.verdict,
    "does not hold",
  );
  assert.equal(
    [...f.values()].find((x) => x.claim.startsWith("DPO ≈ SFT on Knowledge"))!.verdict,
    "does not hold",
  );
  assert.equal(
    f.get("Every post-training arm moves the vision encoder (so the comparison is about it)")!
      .verdict,
    "does not hold",
  );
  // Nothing ran after pretraining: every claim is "not run yet".
  for (const x of reproduceClaims(results(null))) assert.equal(x.verdict, "not run yet");
  for (const x of reproduceClaims(results({ pending: "training side missing" }))) {
    assert.equal(x.verdict, "not run yet");
  }
});

Deno.test({
  name: "reproduce report: claims first, pretraining, every SFT-vs-DPO table and figure, PNG files",
  sanitizeResources: false,
  fn: async () => {
    const r = results(record());
    const spec = reproduceReportSpec(r);
    assert.equal(spec.sections[0].title, "Claims");
    assert.equal(spec.sections[0].blocks[1].kind, "claims");
    assert.equal(spec.sections[1].title, "Pretraining");
    const titles = spec.sections.map((s) => s.title);
    assert.ok(titles.includes("SFT vs DPO: accuracy by group"), titles.join(" | "));
    assert.ok(titles.includes("SFT vs DPO: paired differences"));
    assert.ok(!titles.includes("SFT vs DPO: claims"), "the claims appear once, at the top");
    const dir = await Deno.makeTempDir({ prefix: "pivotlab-report-" });
    try {
      await Deno.writeTextFile(join(dir, "results.json"), JSON.stringify(r));
      // A figure of an earlier report of this folder is removed; other files stay.
      await Deno.mkdir(join(dir, "figures"));
      await Deno.writeTextFile(join(dir, "figures", "09-an-earlier-figure.png"), "old");
      await Deno.writeTextFile(join(dir, "figures", "notes.txt"), "mine");
      const out = await writeReproduceReport(dir);
      const left = [...Deno.readDirSync(join(dir, "figures"))].map((e) => e.name).sort();
      assert.deepEqual(left, [...out.figures.map((f) => f.split("/").pop()!), "notes.txt"].sort());
      const html = await Deno.readTextFile(out.html);
      const figureBlocks = spec.sections.flatMap((s) => s.blocks).filter((b) =>
        b.kind === "figure"
      );
      assert.ok(figureBlocks.length >= 4);
      assert.equal(out.figures.length, figureBlocks.length);
      for (const p of out.figures) {
        const png = await Deno.readFile(p);
        assert.deepEqual([...png.slice(1, 4)], [0x50, 0x4e, 0x47]);
      }
      assert.ok(html.indexOf('class="claims"') < html.indexOf("Pretraining</h2>"));
      assert.ok(html.includes("not run yet"));
      assert.ok(html.includes("2 cores"));
      assert.equal(html.match(/class="plot"/g)?.length, figureBlocks.length);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("README results section: plain about what held, about the preset, and about no run", () => {
  const none = readmeResultsSection(null, { outDir: "runs/small" });
  assert.match(none, /No `small` run exists yet/);
  assert.doesNotMatch(none, /\d+\.\d/, "no numbers without a run");
  const tiny = readmeResultsSection(
    { results: results(record()), mtime: null, outDir: "runs/tiny" },
    { outDir: "runs/tiny" },
  );
  assert.match(tiny, /\*\*`tiny`\*\* run \(not the `small` preset/);
  assert.match(tiny, /2026-05-01 12:00 UTC/);
  assert.match(tiny, /2 cores/);
  assert.match(tiny, /\*\*Held \(\d+\):\*\*\n- F2: DPO beats SFT on the strongly/);
  assert.match(tiny, /\*\*Not run yet \(\d+\):\*\* F1: /);
  const small = readmeResultsSection(
    { results: results(record(), "small"), mtime: null, outDir: "runs/small" },
    { outDir: "runs/small" },
  );
  assert.doesNotMatch(small, /not the `small` preset/);
  // The SFT-vs-DPO accuracy table, one row per configuration, as plain text.
  assert.match(small, /SFT vs DPO, test accuracy by group\. Test accuracy \(%\)/);
  assert.match(small, /```text\nmodel +lr +seeds +General/);
  assert.match(small, /\ntuned\/dpo +– +3 +/);
  const readme = "# x\n\nintro\n<!-- results:start -->\nold\n<!-- results:end -->\n\n## Next\n";
  const updated = replaceReadmeSection(readme, none);
  assert.ok(updated.startsWith("# x\n\nintro\n<!-- results:start -->\n## Results\n"));
  assert.ok(updated.endsWith("<!-- results:end -->\n\n## Next\n"));
  assert.ok(!updated.includes("old"));
  assert.equal(replaceReadmeSection(updated, none), updated, "idempotent");
  assert.throws(() => replaceReadmeSection("# no markers\n", none), /markers/);
});

Deno.test("a primary-only SFT-vs-DPO run: secondary claims not run yet, said in the README", () => {
  const full = record();
  const primary: SftVsDpoRecord = {
    ...full,
    conditions: "primary",
    arms: full.arms.filter((a) => a.condition === "base" || a.condition === "tuned"),
    comparisons: full.comparisons.filter((c) => c.condition === "tuned"),
  };
  const claims = reproduceClaims(results(primary, "small"));
  const verdict = (re: RegExp) => claims.find((c) => re.test(c.claim))!.verdict;
  assert.equal(verdict(/^DPO beats SFT on the strongly vision-related/), "holds");
  assert.equal(verdict(/lr ratio/), "not run yet");
  assert.equal(verdict(/clear, SFT-friendly/), "not run yet");
  assert.equal(verdict(/smallest preference set/), "not run yet");
  const figures = sftVsDpoFigures(primary).map((f) => f.title);
  assert.ok(figures.some((t) => t.startsWith("Test accuracy by group")));
  assert.ok(!figures.some((t) => t.startsWith("Data efficiency")));
  const readme = readmeResultsSection(
    { results: results(primary, "small"), mtime: null, outDir: "results/small" },
    { outDir: "results/small" },
  );
  assert.match(readme, /ran its primary comparison only \(`--conditions primary`/);
  assert.doesNotMatch(readme, /\nclear\/sft /);
});
