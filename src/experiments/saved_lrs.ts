/**
 * The Stage-2 learning rates an earlier SFT-vs-DPO run selected, read from its results.json,
 * so PIVOT can run without redoing that experiment (`deno task reproduce --only pivot
 * --lrs-from FILE`). The lrs were chosen on validation splits there; here they are only
 * checked: same preset, a finished SFT-vs-DPO part, values from the protocol's grid.
 * @module
 */
import { postTrainProtocol } from "../protocol/posttrain.ts";

/** Selected SFT and DPO lrs with where they came from (recorded in PIVOT's results). */
export interface SavedStage2Lrs {
  sft: number;
  dpo: number;
  source: string;
}

/** Reads and checks the lrs of `file`'s SFT-vs-DPO part for `preset`; throws saying why not. */
export async function readSavedStage2Lrs(file: string, preset: string): Promise<SavedStage2Lrs> {
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (e) {
    throw new Error(`--lrs-from: cannot read ${file}: ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`--lrs-from: ${file} is not JSON: ${(e as Error).message}`);
  }
  return savedStage2Lrs(json, preset, file);
}

/** The checks of `readSavedStage2Lrs` on an already parsed results.json. */
export function savedStage2Lrs(results: unknown, preset: string, file: string): SavedStage2Lrs {
  const r = results as {
    preset?: unknown;
    finished?: unknown;
    environment?: { commit?: unknown };
    sftVsDpo?: { pending?: unknown; lr?: { tuned?: Record<string, unknown> } } | null;
  } | null;
  if (r === null || typeof r !== "object") {
    throw new Error(`--lrs-from: ${file} is not a results.json`);
  }
  if (r.preset !== preset) {
    throw new Error(`--lrs-from: ${file} is a ${String(r.preset)} run, not ${preset}`);
  }
  const s = r.sftVsDpo;
  if (!s || typeof s !== "object" || "pending" in s) {
    throw new Error(`--lrs-from: ${file} has no finished SFT-vs-DPO part`);
  }
  const grid = postTrainProtocol(preset).stage2.lrGrid;
  const pick = (arm: "sft" | "dpo"): number => {
    const v = s.lr?.tuned?.[arm];
    if (typeof v !== "number" || !grid.includes(v)) {
      throw new Error(
        `--lrs-from: ${file}: the ${arm} lr ${String(v)} is not in ${preset}'s grid ` +
          `(${grid.join(", ")})`,
      );
    }
    return v;
  };
  const when = typeof r.finished === "string" ? `finished ${r.finished}` : "unknown date";
  const commit = typeof r.environment?.commit === "string"
    ? `, commit ${r.environment.commit.slice(0, 12)}`
    : "";
  return {
    sft: pick("sft"),
    dpo: pick("dpo"),
    source: `the SFT-vs-DPO experiment's selected lrs (validation), read from ${file} ` +
      `(${when}${commit})`,
  };
}
