/**
 * Checks on saved weights, read straight from the checkpoint files (no GPU): whether a part
 * of one checkpoint (`vit.*`, `lm.*`) is bit-identical to the same part of another, and by
 * how much it moved. PIVOT uses them to show that a frozen Stage 3 left the evolved encoder
 * exactly as it came, that the unfrozen ablation did not, and that Stage 3's LM starts as
 * L0's weights rather than the evolve run's LM.
 * @module
 */

import { join } from "node:path";
import { CHECKPOINT_FILES } from "../nn/checkpoint.ts";
import { decodeSafetensors } from "../nn/safetensors.ts";

/** The F32 tensors of a checkpoint folder whose names start with `prefix`, keyed without it. */
export async function readPart(dir: string, prefix: string): Promise<Map<string, Float32Array>> {
  const path = join(dir, CHECKPOINT_FILES.model);
  const file = decodeSafetensors(await Deno.readFile(path));
  const out = new Map<string, Float32Array>();
  for (const [name, t] of file.tensors) {
    if (name.startsWith(prefix) && t.data instanceof Float32Array) {
      out.set(name.slice(prefix.length), t.data);
    }
  }
  if (out.size === 0) throw new Error(`${path}: no F32 tensor named ${prefix}*`);
  return out;
}

/** How a part of checkpoint B differs from the same part of checkpoint A. */
export interface PartDiff {
  /** Every tensor of A's part exists in B with the same bits. */
  identical: boolean;
  /** ‖B − A‖ / ‖A‖ over the part's tensors (0 when identical). */
  relative: number;
  /** Elements compared. */
  params: number;
}

/** Compares part `prefixB` of checkpoint `b` with part `prefixA` of checkpoint `a`. */
export async function diffParts(
  a: { dir: string; prefix: string },
  b: { dir: string; prefix: string },
): Promise<PartDiff> {
  const pa = await readPart(a.dir, a.prefix);
  const pb = await readPart(b.dir, b.prefix);
  let identical = true;
  let diff = 0;
  let base = 0;
  let params = 0;
  for (const [name, x] of pa) {
    const y = pb.get(name);
    if (!y || y.length !== x.length) {
      throw new Error(`${b.dir}: ${b.prefix}${name} missing or of another size than in ${a.dir}`);
    }
    const bx = new Uint32Array(x.buffer, x.byteOffset, x.length);
    const by = new Uint32Array(y.buffer, y.byteOffset, y.length);
    for (let i = 0; i < x.length; i++) {
      if (bx[i] !== by[i]) identical = false;
      diff += (y[i] - x[i]) ** 2;
      base += x[i] ** 2;
    }
    params += x.length;
  }
  return { identical, relative: base > 0 ? Math.sqrt(diff / base) : 0, params };
}
