/**
 * Views of the encoder analyses for notebook 03: one block at a time out of the report
 * sections of src/report/probe_views.ts (so the notebook shows exactly what report.html
 * shows, with prose between), and the analyses' claims with their computed verdicts.
 * Nothing here computes a result.
 * @module
 */

import type { Block, Claim } from "./html.ts";
import { type ProbesRecord, probesReport } from "./probe_views.ts";
import { CLAIMS } from "./reproduce_report.ts";
import { PROBE_CLAIM_MEASURES, type ProbeMeasured, type WithProbes } from "./probe_claims.ts";

/** The report sections of the analyses, by what they show. */
export type ProbeSectionName = "probes" | "gradients" | "data" | "lm" | "encoder";

const SECTION_TITLES: Record<ProbeSectionName, RegExp> = {
  probes: /linear and segmentation probes/,
  gradients: /gradient localisation/,
  data: /data size/,
  lm: /LM size/,
  encoder: /encoder size/,
};

/** A section's blocks by kind: score tables, comparison tables, figures, images, text. */
export type ProbeBlockKind = "scores" | "comparisons" | "figure" | "image" | "text";

function kindOf(b: Block): ProbeBlockKind | null {
  if (b.kind === "table") return b.columns[0] === "A − B" ? "comparisons" : "scores";
  if (b.kind === "figure" || b.kind === "image" || b.kind === "text") return b.kind;
  return null;
}

/**
 * The `index`-th block of `kind` in a section of the analyses' report (throws naming it when
 * the run has no such block, e.g. no segmentation table where no view was segmented).
 */
export function probeBlock(
  r: ProbesRecord,
  section: ProbeSectionName,
  kind: ProbeBlockKind,
  index = 0,
): Block {
  const s = probesReport(r).sections.find((x) => SECTION_TITLES[section].test(x.title));
  if (!s) throw new Error(`the encoder analyses have no "${section}" section`);
  const block = s.blocks.filter((b) => kindOf(b) === kind)[index];
  if (!block) throw new Error(`the "${section}" section has no ${kind} block #${index}`);
  return block;
}

/** How many blocks of `kind` a section has (e.g. gradient-map sheets). */
export function probeBlockCount(
  r: ProbesRecord,
  section: ProbeSectionName,
  kind: ProbeBlockKind,
): number {
  const s = probesReport(r).sections.find((x) => SECTION_TITLES[section].test(x.title));
  return s ? s.blocks.filter((b) => kindOf(b) === kind).length : 0;
}

type Measure = (r: WithProbes) => ProbeMeasured | null;

/** The analyses' measures in the catalogue's order of their claims (F1, F3 ×2, F4 ×2, F5, C4). */
const MEASURES: Record<string, Measure[]> = {
  F1: [PROBE_CLAIM_MEASURES.F1],
  F3: [...PROBE_CLAIM_MEASURES.F3],
  F4: [...PROBE_CLAIM_MEASURES.F4],
  F5: [PROBE_CLAIM_MEASURES.F5],
  C4: [PROBE_CLAIM_MEASURES.C4],
};

/**
 * The claims the encoder analyses measure, as in the reproduce report's catalogue (its
 * wording and the paper's numbers), each measured on `r` with its computed verdict.
 */
export function probeClaimsOf(r: ProbesRecord): Claim[] {
  const next: Record<string, number> = {};
  const claims: Claim[] = [];
  for (const spec of CLAIMS) {
    const measures = MEASURES[spec.id];
    if (!measures) continue;
    const k = next[spec.id] ?? 0;
    next[spec.id] = k + 1;
    const measure = measures[k];
    if (!measure) continue;
    const m = measure({ probes: r });
    claims.push(
      m ? { id: spec.id, claim: spec.claim, paper: spec.paper, ...m } : {
        id: spec.id,
        claim: spec.claim,
        paper: spec.paper,
        measured: "–",
        verdict: "not run yet",
        note: `the ${r.preset} analyses have no such comparison`,
      },
    );
  }
  return claims;
}
