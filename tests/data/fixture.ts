/** A tiny world in a temporary folder, with only the splits a test asks for generated. */
import { loadOrGenerateWorld, type World } from "../../src/world/mod.ts";

/** Seed of the tiny world the data and E0 tests use. */
export const DATA_SEED = 7;

let world: Promise<World> | null = null;

/** The shared tiny world (splits are generated on first use, ~0.3 s each). */
export function tinyDataWorld(): Promise<World> {
  if (!world) {
    world = (async () => {
      const root = await Deno.makeTempDir({ prefix: "pivotlab-data-test-" });
      globalThis.addEventListener("unload", () => Deno.removeSync(root, { recursive: true }));
      return await loadOrGenerateWorld("tiny", DATA_SEED, root);
    })();
  }
  return world;
}
