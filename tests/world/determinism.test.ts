import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  DOMAINS,
  FAMILIES,
  GROUPS,
  loadOrGenerateWorld,
  type QuestionRecord,
  type SceneRecord,
  splitPath,
  WORLD_PRESETS,
} from "../../src/world/mod.ts";
import { FIXTURE_SEED, tinyWorld } from "./fixture.ts";

Deno.test("determinism: the same seed gives byte-identical split files; another seed does not", async () => {
  const { world } = await tinyWorld();
  const root = await Deno.makeTempDir({ prefix: "pivotlab-world-again-" });
  try {
    const again = await loadOrGenerateWorld("tiny", FIXTURE_SEED, root, { generateAll: true });
    for (const name of world.splitNames) {
      const a = await Deno.readFile(splitPath(world.directory, name));
      const b = await Deno.readFile(splitPath(again.directory, name));
      assert.ok(
        a.byteLength === b.byteLength && a.every((v, i) => v === b[i]),
        `${name} differs between runs`,
      );
    }
    const other = await loadOrGenerateWorld("tiny", FIXTURE_SEED + 1, root);
    const a = await Deno.readFile(splitPath(world.directory, "val_general"));
    await other.split("val_general");
    const b = await Deno.readFile(splitPath(other.directory, "val_general"));
    assert.ok(a.byteLength !== b.byteLength || a.some((v, i) => v !== b[i]), "seed has no effect");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("splits: sizes follow the preset, scenes are disjoint across splits", async () => {
  const { splits } = await tinyWorld();
  const preset = WORLD_PRESETS.tiny;
  assert.equal(splits.get("preference")!.count, preset.preference);
  assert.equal(splits.get("test_vision")!.count, preset.testPerGroup);
  assert.equal(splits.get("classification_test")!.count, preset.classificationTest);
  assert.equal(splits.get("text")!.count, preset.textLines);
  const seen = new Map<string, string>();
  for (const split of splits.values()) {
    if (split.kind === "text") continue;
    assert.equal(split.images!.length, split.count * preset.imageSize * preset.imageSize * 3);
    for (const record of split.records as SceneRecord[]) {
      const key = createHash("sha256").update(JSON.stringify(record.scene)).digest("hex");
      assert.ok(!seen.has(key), `a scene of ${split.name} also appears in ${seen.get(key)}`);
      seen.set(key, split.name);
    }
  }
  assert.ok(
    WORLD_PRESETS.small.testPerGroup >= 3000 && WORLD_PRESETS.small.classificationTest >= 5000,
  );
});

Deno.test("coverage: every family, group and domain appears, each test split holds its group only", async () => {
  const { splits } = await tinyWorld();
  const families = new Set<string>();
  for (const record of splits.get("preference")!.records as QuestionRecord[]) {
    families.add(record.item.family);
  }
  assert.deepEqual([...families].sort(), FAMILIES.map((f) => f.id).sort());
  for (const group of GROUPS) {
    const records = splits.get(`test_${group}`)!.records as QuestionRecord[];
    assert.ok(records.every((r) => r.item.group === group));
  }
  for (const name of ["captions", "segmentation_train", "instruction"]) {
    const domains = new Set(
      (splits.get(name)!.records as SceneRecord[]).map((r) => r.scene.domain),
    );
    assert.deepEqual([...domains].sort(), [...DOMAINS].sort(), `${name} lacks a domain`);
  }
  const captions = splits.get("captions")!.records as {
    caption: { partial: boolean; noisy: boolean };
  }[];
  const partial = captions.filter((c) => c.caption.partial).length / captions.length;
  const noisy = captions.filter((c) => c.caption.noisy).length / captions.length;
  assert.ok(partial > 0.1 && partial < 0.3, `partial caption rate ${partial}`);
  assert.ok(noisy > 0.03 && noisy < 0.15, `noisy caption rate ${noisy}`);
});
