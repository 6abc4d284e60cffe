/**
 * The two F6 (PIVOT) claims' measures, for the claims catalogue of
 * src/report/reproduce_report.ts: the same signature as a `ClaimSpec`'s `measure` — the
 * run's results.json in, a measurement and a computed verdict out, or null when PIVOT did
 * not run (or its protocol has no such comparison). They read `results.pivot`.
 * @module
 */

import type { PairedComparison, Verdict } from "../stats/mod.ts";
import type { PivotResult } from "../experiments/pivot.ts";
import type { Claim } from "./html.ts";

/** What the measures and views read: the experiment's result without its report. */
export type PivotRecord = Omit<PivotResult, "report"> & { report?: unknown };

/** The PIVOT record of a `reproduce` run's results (`results.pivot`), or null. */
export function pivotOf(results: object): PivotRecord | null {
  const p = (results as { pivot?: unknown }).pivot as
    | PivotRecord
    | { pending: string }
    | null
    | undefined;
  return p && typeof p === "object" && "rows" in p ? p : null;
}

const signed = (x: number) => `${x >= 0 ? "+" : "−"}${Math.abs(100 * x).toFixed(1)}`;

/** "+3.1 [1.2, 5.0]" in points. */
export function formatPivotDiff(c: PairedComparison): string {
  return `${signed(c.diff)} [${signed(c.ci95[0])}, ${signed(c.ci95[1])}]`;
}

/** What a claim's measure returns when its experiment ran (as reproduce_report.ts's). */
export interface PivotMeasured {
  measured: string;
  verdict: Verdict;
  note?: string;
}

const pct = (x: number) => (100 * x).toFixed(1);

/** F6: original < +SFT < +PIVOT (Average, the small encoder), both links paired. */
export function measurePivotChain(results: object): PivotMeasured | null {
  const r = pivotOf(results);
  if (!r) return null;
  const s = r.protocol.small;
  const row = (v: string) => r.rows.find((x) => x.id === `${s}/${v}`);
  const [o, sft, piv] = [row("original"), row("sft"), row("pivot")];
  const links = r.comparisons.filter((c) => c.kind === "chain" && c.group === r.chain.group);
  if (!o || !sft || !piv || links.length < 2) return null;
  const g = r.chain.group;
  const seeds = links[0].stat.seeds;
  return {
    measured: `${s}: ${pct(o.test[g].mean)} → ${pct(sft.test[g].mean)} → ${
      pct(piv.test[g].mean)
    } (+SFT − original ${formatPivotDiff(links[0].stat)}, +PIVOT − +SFT ${
      formatPivotDiff(links[1].stat)
    } points; ${seeds} Stage-3 seeds × ${links[0].stat.items} items)`,
    verdict: r.chain.verdict,
    note: links.some((c) => c.note)
      ? links.map((c) => c.note).filter(Boolean).join("; ")
      : r.chain.note,
  };
}

/** F6: the small encoder + PIVOT beats the larger, longer-pretrained original (Average). */
export function measurePivotBeatsLarger(results: object): PivotMeasured | null {
  const r = pivotOf(results);
  if (!r || !r.protocol.larger) return null;
  const c = r.comparisons.find((x) => x.kind === "larger" && x.group === "overall");
  if (!c) return null;
  const a = r.rows.find((x) => x.id === c.a)!;
  const b = r.rows.find((x) => x.id === c.b)!;
  return {
    measured: `${pct(a.test.overall.mean)} vs ${pct(b.test.overall.mean)}: ${
      formatPivotDiff(c.stat)
    } points (${c.stat.seeds} Stage-3 seeds × ${c.stat.items} items; ViT ${
      a.params.toLocaleString("en-US")
    } vs ${b.params.toLocaleString("en-US")} params)`,
    verdict: c.verdict,
    note: c.note ?? undefined,
  };
}

/** The two F6 claims of a PIVOT record, for its own report section. */
export function pivotClaims(r: PivotRecord): Claim[] {
  const specs = [
    {
      claim: "PIVOT: original < +SFT < +PIVOT encoder in a fresh MLLM",
      paper: "SigLIP2-So 52.4 → 54.6 → 55.6",
      measure: measurePivotChain,
    },
    {
      claim: "A PIVOT-evolved encoder beats a larger, longer-pretrained one",
      paper: "So + PIVOT 55.6 vs g/16 53.9",
      measure: measurePivotBeatsLarger,
    },
  ];
  return specs.map((s) => {
    const m = s.measure({ pivot: r });
    return m ? { id: "F6", claim: s.claim, paper: s.paper, ...m } : {
      id: "F6",
      claim: s.claim,
      paper: s.paper,
      measured: "–",
      verdict: "not run yet" as const,
      note: `the ${r.preset} protocol has no such comparison`,
    };
  });
}
