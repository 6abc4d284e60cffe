/**
 * One seeded training run of the tiny ViT classifier (dropout on) and the tiny causal LM,
 * printing each step's loss as float32 bits in hex, one model per line. Run as its own
 * process by tests/nn/determinism.test.ts; importable for the in-process runs.
 */

import { getGpu } from "../../src/gpu/device.ts";
import { lmTrainer, readLosses, vitTrainer } from "./tiny_models.ts";

/** Float32 bit patterns of the losses, as 8-digit hex. */
export function lossBits(losses: Float32Array): string[] {
  return [...new Uint32Array(losses.buffer, losses.byteOffset, losses.length)].map((u) =>
    u.toString(16).padStart(8, "0")
  );
}

/** 10 training steps of each tiny model from `seed`; returns the hex loss bits per model. */
export async function seededRun(seed: number): Promise<{ vit: string[]; lm: string[] }> {
  const vit = vitTrainer({ seed, batch: 6, dropout: 0.1 });
  const vitLosses = await readLosses(Array.from({ length: 10 }, (_, k) => vit.step(k)));
  vit.dispose();
  const lm = lmTrainer({ seed, batch: 4, tokens: 8, dropout: 0.1 });
  const lmLosses = await readLosses(Array.from({ length: 10 }, (_, k) => lm.step(k)));
  lm.dispose();
  return { vit: lossBits(vitLosses), lm: lossBits(lmLosses) };
}

if (import.meta.main) {
  await getGpu();
  const seed = Number(Deno.args[0] ?? 1);
  const { vit, lm } = await seededRun(seed);
  console.log(`vit ${vit.join(" ")}`);
  console.log(`lm ${lm.join(" ")}`);
}
