/**
 * Measured gradient localisation, SFT vs DPO, as a cached stage per seed
 * (`probe-gradmaps`, inputs: the seed's Stage-1b base and its tuned SFT and DPO models).
 * The gradient of the loss w.r.t. the visual tokens at the projector output, L1 over
 * channels, per patch (src/eval/probes/gradmaps.ts), at two comparable training points:
 *
 * - **start**: the 1b base, with the SFT loss and with the DPO loss (reference = the base
 *   itself, as at DPO's first step): the two objectives' gradients on the same model;
 * - **end**: the SFT model with the SFT loss, the DPO model with the DPO loss (reference =
 *   the frozen 1b base, as in training): where each arm's own gradient points after
 *   training on the same items, epochs and batch.
 *
 * Numbers per evaluation group (the first N items of each `test_<group>` split): the share
 * of gradient mass on the referent objects' patches and the pointing-game hit rate, with
 * their chance level (the referent's share of the patches). Two contact sheets (start, end)
 * of the vision group's first items are written into the stage folder.
 * @module
 */

import { join } from "node:path";
import type { Json, StageDef, StageOutput } from "../train/stage.ts";
import type { World } from "../world/world.ts";
import type { MLLM } from "../mllm/model.ts";
import { gradientMaps, type GradMapResult, gradMapSheet } from "../eval/probes/mod.ts";
import type { Localisation } from "../eval/probes/mod.ts";
import { GROUPS } from "../world/items.ts";
import type { GroupId } from "../world/items.ts";
import type { ProbesProtocol } from "../protocol/probes.ts";
import { worldTag } from "./probe_stages.ts";

/** The two comparable training points. */
export type GradPoint = "start" | "end";
/** The two losses. */
export type GradLossName = "sft" | "dpo";

/** Localisation of one loss at one point on one group (NaN stored as null). */
export interface LocalisationRecord {
  n: number;
  skipped: number;
  share: number | null;
  chanceShare: number | null;
  pointing: number | null;
  chancePointing: number | null;
}

/** What a `probe-gradmaps` stage reports. */
export interface GradMapMetrics extends Record<string, unknown> {
  seed: number;
  /** [point][loss][group]. */
  localisation: Record<
    GradPoint,
    Record<GradLossName, Partial<Record<GroupId, LocalisationRecord>>>
  >;
  /** Items too long for the LM's text positions, per group. */
  tooLong: Partial<Record<GroupId, number>>;
  /** PNG files in the stage folder. */
  sheets: Record<GradPoint, string>;
  seconds: number;
}

const finite = (x: number) => (Number.isFinite(x) ? x : null);

function record(l: Localisation): LocalisationRecord {
  return {
    n: l.n,
    skipped: l.skipped,
    share: finite(l.share),
    chanceShare: finite(l.chanceShare),
    pointing: finite(l.pointing),
    chancePointing: finite(l.chancePointing),
  };
}

/** The maps of `a`'s items with `b`'s maps added (same items: one sheet for both arms). */
function merged(a: GradMapResult, b: GradMapResult): GradMapResult {
  return {
    ...a,
    items: a.items.map((it, k) => ({ ...it, maps: { ...it.maps, ...b.items[k].maps } })),
    localisation: { ...a.localisation, ...b.localisation },
  };
}

/**
 * `probe-gradmaps` of one seed. `load` rebuilds an MLLM from its stage (the caller's
 * `loadMLLM`).
 */
export function gradMapStage(
  models: { base: StageOutput; sft: StageOutput; dpo: StageOutput },
  seed: number,
  world: World,
  p: ProbesProtocol,
  load: (stage: StageOutput) => Promise<MLLM>,
): StageDef<GradMapMetrics> {
  const spec = p.gradMaps;
  return {
    name: "probe-gradmaps",
    config: { world: worldTag(world), seed, spec, groups: [...GROUPS] } as unknown as Json,
    inputs: [models.base, models.sft, models.dpo],
    run: async (ctx) => {
      const started = performance.now();
      const loc = { start: { sft: {}, dpo: {} }, end: { sft: {}, dpo: {} } } as GradMapMetrics[
        "localisation"
      ];
      const tooLong: GradMapMetrics["tooLong"] = {};
      const sheets = { start: "gradmaps-start.png", end: "gradmaps-end.png" };
      const base = await load(models.base);
      base.freeze();
      try {
        for (const g of GROUPS) {
          const split = await world.split(`test_${g}`);
          const opts = { n: spec.itemsPerGroup, batch: spec.batch };
          const start = await gradientMaps(base, split, {
            ...opts,
            losses: ["sft", "dpo"],
            reference: { model: base },
          });
          const sftModel = await load(models.sft);
          let endSft: GradMapResult;
          try {
            endSft = await gradientMaps(sftModel, split, { ...opts, losses: ["sft"] });
          } finally {
            sftModel.dispose();
          }
          const dpoModel = await load(models.dpo);
          let endDpo: GradMapResult;
          try {
            endDpo = await gradientMaps(dpoModel, split, {
              ...opts,
              losses: ["dpo"],
              reference: { model: base },
            });
          } finally {
            dpoModel.dispose();
          }
          for (const name of ["sft", "dpo"] as const) {
            loc.start[name][g] = record(start.localisation[name]!);
          }
          loc.end.sft[g] = record(endSft.localisation.sft!);
          loc.end.dpo[g] = record(endDpo.localisation.dpo!);
          tooLong[g] = start.tooLong;
          if (g === "vision") {
            // Tiles of ~128 px whatever the image size keep the sheets small in results.json.
            const items = {
              items: spec.sheetItems,
              scale: Math.max(1, Math.round(128 / split.imageSize)),
            };
            await Deno.writeFile(
              join(ctx.dir, sheets.start),
              await gradMapSheet(split, start, items),
            );
            await Deno.writeFile(
              join(ctx.dir, sheets.end),
              await gradMapSheet(split, merged(endSft, endDpo), items),
            );
          }
        }
      } finally {
        base.dispose();
      }
      const seconds = (performance.now() - started) / 1000;
      ctx.log(`gradient maps seed ${seed}: ${seconds.toFixed(1)} s`);
      return { seed, localisation: loc, tooLong, sheets, seconds };
    },
  };
}
