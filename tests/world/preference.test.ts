import assert from "node:assert/strict";
import {
  applySpans,
  blindBaseline,
  FAMILIES,
  formatBlindBaseline,
  generateQuestions,
  type QuestionItem,
  type QuestionRecord,
  worldTokenizer,
} from "../../src/world/mod.ts";
import { tinyWorld, totalVariation } from "./fixture.ts";

function balanceTables(items: readonly QuestionItem[]) {
  const tables = new Map<string, { chosen: Map<string, number>; rejected: Map<string, number> }>();
  for (const item of items) {
    let t = tables.get(item.family);
    if (!t) tables.set(item.family, t = { chosen: new Map(), rejected: new Map() });
    t.chosen.set(item.balanceKeys.chosen, (t.chosen.get(item.balanceKeys.chosen) ?? 0) + 1);
    t.rejected.set(item.balanceKeys.rejected, (t.rejected.get(item.balanceKeys.rejected) ?? 0) + 1);
  }
  return tables;
}

Deno.test("preference pairs: rejected ≠ chosen, and they differ only in the recorded spans", async () => {
  const { splits } = await tinyWorld();
  const tok = worldTokenizer();
  for (const record of splits.get("preference")!.records as QuestionRecord[]) {
    const { item } = record;
    assert.notEqual(item.chosen, item.rejected);
    assert.notEqual(item.answer, item.rejectedAnswer);
    assert.ok(item.spans.length > 0 && item.clearSpans.length > 0);
    assert.equal(applySpans(item.chosen, item.rejected, item.spans), item.rejected);
    assert.equal(
      applySpans(item.chosenClear, item.rejectedClear, item.clearSpans),
      item.rejectedClear,
    );
    // Outside the token spans the two token sequences are identical.
    const a = tok.encode(item.chosen);
    const b = tok.encode(item.rejected);
    let ia = 0;
    let ib = 0;
    for (const span of item.spans) {
      assert.deepEqual(a.slice(ia, span.chosenTokens[0]), b.slice(ib, span.rejectedTokens[0]));
      const differ =
        a.slice(...span.chosenTokens).join() !== b.slice(...span.rejectedTokens).join();
      assert.ok(differ, `span does not differ: ${item.chosen} / ${item.rejected}`);
      [ia, ib] = [span.chosenTokens[1], span.rejectedTokens[1]];
    }
    assert.deepEqual(a.slice(ia), b.slice(ib));
    assert.ok(item.chosenClear === item.answer && item.rejectedClear === item.rejectedAnswer);
    assert.ok(item.referents.length > 0, `${item.family} has no referent`);
  }
});

// Tolerances: the balancer is greedy, so per family the rejected-value histogram tracks the
// chosen one up to sampling noise; TV ≤ 0.2 at ~50 items per family (tiny preference split),
// TV ≤ 0.05 at 300 items per family.
Deno.test("preference pairs: per family, rejected answers are distributed like chosen ones", async () => {
  const { splits } = await tinyWorld();
  const tiny = (splits.get("preference")!.records as QuestionRecord[]).map((r) => r.item);
  const large = generateQuestions(
    { name: "balance_check", kind: "questions", count: FAMILIES.length * 300, families: FAMILIES },
    32,
    99,
  )
    .map((q) => q.item);
  const report: string[] = [];
  for (const [items, tolerance] of [[tiny, 0.2], [large, 0.05]] as const) {
    for (const [family, t] of balanceTables(items)) {
      const tv = totalVariation(t.chosen, t.rejected);
      report.push(
        `${family} n=${[...t.chosen.values()].reduce((s, v) => s + v, 0)} TV=${
          tv.toFixed(3)
        } (≤ ${tolerance})`,
      );
    }
  }
  console.log(report.join("\n"));
  for (const line of report) {
    const [, tv, tolerance] = line.match(/TV=([\d.]+) \(≤ ([\d.]+)\)/)!;
    assert.ok(Number(tv) <= Number(tolerance), `rejected answers are not balanced: ${line}`);
  }
});

Deno.test("no shortcut: the question-text-only majority answer is right ≤ 35% per family", () => {
  const make = (name: string, seed: number) =>
    generateQuestions(
      { name, kind: "questions", count: FAMILIES.length * 300, families: FAMILIES },
      32,
      seed,
    ).map((q) => q.item);
  const rows = blindBaseline(make("blind_train", 11), make("blind_heldout", 12));
  console.log(formatBlindBaseline(rows));
  assert.equal(rows.length, FAMILIES.length);
  for (const row of rows) {
    assert.ok(row.accuracy <= 0.35, `${row.family}: blind accuracy ${row.accuracy}`);
  }
});

Deno.test("blind baseline: detects a shortcut when the text gives the answer away", () => {
  const items = (n: number) =>
    Array.from(
      { length: n },
      (_, i) => ({ family: "colour" as const, question: `q${i % 5}`, answer: `a${i % 5}` }),
    );
  const [row] = blindBaseline(items(100), items(50));
  assert.equal(row.accuracy, 1);
});
