import assert from "node:assert/strict";
import {
  compileScene,
  NUM_CLASSES,
  patchLabels,
  rasteriseMasks,
  renderScene,
  type Scene,
  sceneSvg,
} from "../../src/world/mod.ts";

function sceneWith(objects: Scene["objects"], size = 32): Scene {
  return {
    size,
    domain: "objects",
    background: { base: "#e4e4e4", texture: "plain", ink: "#d0d0d0", angle: 0, period: 4 },
    noise: 0,
    noiseSeed: 1,
    objects,
  };
}

Deno.test("masks: a filled square covers the pixels whose centres it contains; later shapes occlude", () => {
  const square = {
    kind: "shape",
    shape: "square",
    colour: "red",
    size: "large",
    filled: true,
    cx: 16,
    cy: 16,
    radius: 10 / 0.82,
    rotation: 0,
  } as const;
  const circle = {
    kind: "shape",
    shape: "circle",
    colour: "blue",
    size: "small",
    filled: true,
    cx: 16,
    cy: 16,
    radius: 3,
    rotation: 0,
  } as const;
  const scene = sceneWith([square, circle]);
  const masks = rasteriseMasks(compileScene(scene), 32);
  assert.equal(masks.ownPixels[1], 400); // x, y in [6, 26): 20 x 20 pixel centres
  assert.ok(masks.visiblePixels[2] > 20 && masks.visiblePixels[2] < 36);
  assert.equal(masks.visiblePixels[1], 400 - masks.visiblePixels[2]);
  assert.equal(masks.classes[16 * 32 + 16], 1); // circle class
  assert.equal(masks.instance[0], 0);
});

Deno.test("masks agree with the rendered image: object pixels have the object's colour", async () => {
  const square = {
    kind: "shape",
    shape: "square",
    colour: "red",
    size: "large",
    filled: true,
    cx: 20,
    cy: 20,
    radius: 12,
    rotation: 0.2,
  } as const;
  const scene = sceneWith([square], 40);
  const masks = rasteriseMasks(compileScene(scene), 40);
  const rgb = await renderScene(scene, sceneSvg(scene));
  let inside = 0;
  for (let p = 0; p < masks.instance.length; p++) {
    // Nearer to the object's red than to the grey background (edge pixels are blended).
    const d = (c: number[]) =>
      (rgb[3 * p] - c[0]) ** 2 + (rgb[3 * p + 1] - c[1]) ** 2 + (rgb[3 * p + 2] - c[2]) ** 2;
    const isRed = d([214, 39, 40]) < d([228, 228, 228]);
    if (masks.instance[p] === 1) inside += isRed ? 1 : 0;
    else assert.ok(!(rgb[3 * p] > 200 && rgb[3 * p + 1] < 60), `background pixel ${p} is pure red`);
  }
  assert.ok(
    inside >= 0.95 * masks.visiblePixels[1],
    `${inside} of ${masks.visiblePixels[1]} mask pixels are red`,
  );
});

Deno.test("patch labels: multi-hot classes per patch for any dividing patch size", () => {
  const size = 8;
  const classes = new Uint8Array(size * size);
  classes[0] = 3; // top-left pixel
  classes[size * size - 1] = 5; // bottom-right pixel
  const labels = patchLabels(classes, size, 4);
  assert.equal(labels.length, 4 * NUM_CLASSES);
  assert.deepEqual([labels[0], labels[3], labels[5]], [1, 1, 0]);
  assert.deepEqual([labels[3 * NUM_CLASSES + 5], labels[3 * NUM_CLASSES]], [1, 1]);
  assert.equal(patchLabels(classes, size, 4, 2)[3], 0);
  assert.throws(() => patchLabels(classes, size, 3), /does not divide/);
});
