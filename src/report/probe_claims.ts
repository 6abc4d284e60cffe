/**
 * The claims the encoder analyses measure (F1, F3 ×2, F4 ×2, F5 and our control C4), as
 * `measure` functions of the reproduce report's claims catalogue: each reads
 * `results.probes` (src/experiments/probes.ts) and returns the measurement with its computed
 * verdict, or null when the analyses did not run (the claim then says "not run yet").
 * @module
 */

import type { Verdict } from "../stats/mod.ts";
import type { StudyComparison } from "../experiments/probes.ts";
import { bothHold, onlyFirstRises } from "../experiments/probe_stats.ts";
import { formatComparison, type ProbesRecord } from "./probe_views.ts";

/** What a measure returns (the shape of the reproduce report's `Measured`). */
export interface ProbeMeasured {
  measured: string;
  verdict: Verdict;
  note?: string;
}

/** Any results.json that may hold the analyses under `probes`. */
export type WithProbes = { probes?: unknown };

/** The analyses' record of a run, or null when they did not run (or are pending). */
export function probesOf(r: WithProbes): ProbesRecord | null {
  const p = r.probes as ProbesRecord | { pending: string } | null | undefined;
  return p && !("pending" in p) && Array.isArray(p.comparisons) ? p : null;
}

function find(
  p: ProbesRecord,
  study: StudyComparison["study"],
  id: string,
  metric: string,
): StudyComparison | null {
  return p.comparisons.find((c) => c.study === study && c.id === id && c.metric === metric) ??
    null;
}

function describe(c: StudyComparison): string {
  const n = c.items === null
    ? `${c.seeds} seed${c.seeds === 1 ? "" : "s"}`
    : `${c.seeds} seed${c.seeds === 1 ? "" : "s"} × ${c.items} items`;
  return `${formatComparison(c)} points (${n})`;
}

function single(c: StudyComparison | null, extra?: string): ProbeMeasured | null {
  if (!c) return null;
  const note = [c.note, extra].filter(Boolean).join("; ");
  return { measured: describe(c), verdict: c.verdict, ...(note ? { note } : {}) };
}

/** F1: the larger encoder's VQA gain (under DPO) is larger on the vision groups than on Knowledge. */
export function measureF1(r: WithProbes): ProbeMeasured | null {
  const p = probesOf(r);
  if (!p) return null;
  const [small, big] = [p.encoderSweep.sizes[0], p.encoderSweep.sizes.at(-1)!];
  const id = `${big}/dpo − ${small}/dpo`;
  const diff = find(p, "encoder", id, "VQA gain: vision avg − knowledge");
  const vision = find(p, "encoder", id, "VQA visionAverage");
  const knowledge = find(p, "encoder", id, "VQA knowledge");
  if (!diff || !vision || !knowledge) return null;
  return {
    measured: `gain ${big} over ${small} (DPO): vision avg ${formatComparison(vision)}, ` +
      `knowledge ${formatComparison(knowledge)}; difference ${describe(diff)}`,
    verdict: diff.verdict,
    ...(diff.note ? { note: diff.note } : {}),
  };
}

/** F3: the headline linear probe is higher after DPO than after SFT. */
export function measureF3Probe(r: WithProbes): ProbeMeasured | null {
  const p = probesOf(r);
  return p
    ? single(find(p, "main", "tuned/dpo − tuned/sft", p.headline.metric), p.headline.metric)
    : null;
}

/** F3: only DPO's headline probe rises with the post-training data size. */
export function measureF3Trend(r: WithProbes): ProbeMeasured | null {
  const p = probesOf(r);
  if (!p) return null;
  const dpo = find(p, "data", "dpo trend", p.headline.metric);
  const sft = find(p, "data", "sft trend", p.headline.metric);
  if (!dpo || !sft) return null;
  return {
    measured: `slope per doubling of the data: DPO ${formatComparison(dpo)}, SFT ` +
      `${formatComparison(sft)} points (${dpo.seeds} seeds)`,
    verdict: onlyFirstRises(dpo, sft),
    note: `DPO rises: ${dpo.verdict}; SFT rises: ${sft.verdict}. Holds only if DPO's slope ` +
      `interval is above 0 and SFT's is not (${p.headline.metric})`,
  };
}

/** F4: the segmentation probe (macro recall, ViT) is higher after DPO than after SFT. */
export function measureF4Seg(r: WithProbes): ProbeMeasured | null {
  const p = probesOf(r);
  return p
    ? single(
      find(p, "main", "tuned/dpo − tuned/sft", "seg recall (vit)"),
      "macro recall, ViT alone",
    )
    : null;
}

/** F4: after training, DPO's gradient puts more mass on the referent than SFT's (vision groups). */
export function measureF4Grad(r: WithProbes): ProbeMeasured | null {
  const p = probesOf(r);
  if (!p) return null;
  const c = find(p, "gradmaps", "end: dpo − sft", "referent share (visionAverage)");
  const pointing = find(p, "gradmaps", "end: dpo − sft", "pointing (visionAverage)");
  return single(
    c,
    `referent share of the gradient, strongly-vision groups${
      pointing ? `; pointing game ${formatComparison(pointing)} (${pointing.verdict})` : ""
    }`,
  );
}

/** F5: the larger LM gives a better encoder (headline probe, DPO arm). */
export function measureF5(r: WithProbes): ProbeMeasured | null {
  const p = probesOf(r);
  if (!p) return null;
  const [small, big] = [p.lmSweep.sizes[0], p.lmSweep.sizes.at(-1)!];
  const dpo = find(p, "lm", `${big}/dpo − ${small}/dpo`, p.headline.metric);
  const sft = find(p, "lm", `${big}/sft − ${small}/sft`, p.headline.metric);
  return single(
    dpo,
    `${p.headline.metric} after DPO${
      sft ? `; after SFT ${formatComparison(sft)} (${sft.verdict})` : ""
    }`,
  );
}

/** C4: the 1b encoder's headline probe sits below both arms (SFT and DPO each beat it). */
export function measureC4(r: WithProbes): ProbeMeasured | null {
  const p = probesOf(r);
  if (!p) return null;
  const sft = find(p, "main", "tuned/sft − base-1b", p.headline.metric);
  const dpo = find(p, "main", "tuned/dpo − base-1b", p.headline.metric);
  if (!sft || !dpo) return null;
  return {
    measured: `SFT − 1b ${describe(sft)}; DPO − 1b ${formatComparison(dpo)}`,
    verdict: bothHold(sft.verdict, dpo.verdict),
    note: `SFT > 1b: ${sft.verdict}; DPO > 1b: ${dpo.verdict} (${p.headline.metric})`,
  };
}

/**
 * The measures in the order of the catalogue's probe claims: F1, F3 (probe), F3 (trend),
 * F4 (seg), F4 (gradients), F5, C4.
 */
export const PROBE_CLAIM_MEASURES = {
  F1: measureF1,
  F3: [measureF3Probe, measureF3Trend],
  F4: [measureF4Seg, measureF4Grad],
  F5: measureF5,
  C4: measureC4,
} as const;
