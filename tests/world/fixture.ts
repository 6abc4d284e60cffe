/** A tiny world generated once per test process and shared by the world tests. */
import { loadOrGenerateWorld, type SplitData, type World } from "../../src/world/mod.ts";

/** Seed of the shared tiny world. */
export const FIXTURE_SEED = 7;

let world: Promise<{ world: World; root: string; splits: Map<string, SplitData> }> | null = null;

/** The shared tiny world with every split loaded. */
export function tinyWorld(): Promise<
  { world: World; root: string; splits: Map<string, SplitData> }
> {
  if (!world) {
    world = (async () => {
      const root = await Deno.makeTempDir({ prefix: "pivotlab-world-test-" });
      globalThis.addEventListener("unload", () => Deno.removeSync(root, { recursive: true }));
      const w = await loadOrGenerateWorld("tiny", FIXTURE_SEED, root, { generateAll: true });
      const splits = new Map<string, SplitData>();
      for (const name of w.splitNames) splits.set(name, await w.split(name));
      return { world: w, root, splits };
    })();
  }
  return world;
}

/** Total variation distance between two count tables. */
export function totalVariation(a: Map<string, number>, b: Map<string, number>): number {
  const total = (m: Map<string, number>) => [...m.values()].reduce((s, v) => s + v, 0);
  const ta = total(a);
  const tb = total(b);
  let sum = 0;
  for (const key of new Set([...a.keys(), ...b.keys()])) {
    sum += Math.abs((a.get(key) ?? 0) / ta - (b.get(key) ?? 0) / tb);
  }
  return sum / 2;
}
