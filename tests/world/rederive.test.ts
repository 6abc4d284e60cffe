/**
 * Every answer re-derived from the stored masks (and the RGB image, for colours) must agree
 * with the generator. The derivations here are written independently of the families:
 * counts are distinct instance ids, colours are majority votes of the nearest palette colour
 * over an instance's pixels, positions are mask centroids, sizes are mask extents, and glyphs
 * are read by matching the glyph mask against every candidate glyph drawn in its place.
 */
import assert from "node:assert/strict";
import {
  CLASS_NAMES,
  type ClassificationRecord,
  COLOUR_MIXES,
  COLOURS,
  compileScene,
  type PlateObject,
  type QuestionRecord,
  rasteriseMasks,
  referentMask,
  SHAPE_CORNERS,
  SIGN_GLYPHS,
  SIGN_MEANINGS,
  type SplitData,
  splitImage,
  splitInstanceMask,
} from "../../src/world/mod.ts";
import { tinyWorld } from "./fixture.ts";

interface Seen {
  id: number;
  className: string;
  colour: string;
  pixels: number[];
  cx: number;
  cy: number;
  extent: number;
  height: number;
}

function nearestColour(r: number, g: number, b: number): string {
  let best = "";
  let bestD = Infinity;
  for (const c of COLOURS) {
    const d = (c.rgb[0] - r) ** 2 + (c.rgb[1] - g) ** 2 + (c.rgb[2] - b) ** 2;
    if (d < bestD) [best, bestD] = [c.name, d];
  }
  return best;
}

function seenInstances(split: SplitData, index: number, classOf: number[]): Seen[] {
  const size = split.imageSize;
  const mask = splitInstanceMask(split, index);
  const rgb = splitImage(split, index);
  const byId = new Map<number, number[]>();
  mask.forEach((id, p) => id && (byId.get(id) ?? byId.set(id, []).get(id)!).push(p));
  return [...byId.entries()].map(([id, pixels]) => {
    const votes = new Map<string, number>();
    for (const p of pixels) {
      const c = nearestColour(rgb[3 * p], rgb[3 * p + 1], rgb[3 * p + 2]);
      votes.set(c, (votes.get(c) ?? 0) + 1);
    }
    const xs = pixels.map((p) => p % size);
    const ys = pixels.map((p) => Math.floor(p / size));
    const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
    return {
      id,
      className: CLASS_NAMES[classOf[id]],
      colour: [...votes.entries()].sort((a, b) => b[1] - a[1])[0][0],
      pixels,
      cx: mean(xs),
      cy: mean(ys),
      extent: Math.max(Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys)) + 1,
      height: Math.max(...ys) - Math.min(...ys) + 1,
    };
  });
}

const SHAPE_CLASSES = new Set(Object.keys(SHAPE_CORNERS).concat("heart"));

/** Reads a glyph instance by matching it against every sign glyph drawn in its place. */
function readGlyph(record: QuestionRecord, glyph: Seen): string {
  const objectIndex = compileScene(record.scene).find((i) => i.id === glyph.id)!.objectIndex;
  const actual = new Set(glyph.pixels);
  let best = "";
  let bestIoU = -1;
  const candidates = record.scene.domain === "charts"
    ? ["1", "2", "3", "4", "5", "6", "7", "8", "9"]
    : SIGN_GLYPHS;
  for (const candidate of candidates) {
    const objects = record.scene.objects.slice();
    const o = objects[objectIndex];
    objects[objectIndex] = o.kind === "plate"
      ? { ...o, glyph: candidate }
      : { ...o, value: Number(candidate) } as typeof o;
    const instances = compileScene({ ...record.scene, objects });
    const masks = rasteriseMasks(instances, record.scene.size);
    const drawn: number[] = [];
    masks.instance.forEach((id, p) => id === glyph.id && drawn.push(p));
    const inter = drawn.filter((p) => actual.has(p)).length;
    const iou = inter / (drawn.length + actual.size - inter);
    if (iou > bestIoU) [best, bestIoU] = [candidate, iou];
  }
  return best;
}

function descriptorOf(s: Seen): string {
  return `${s.colour} ${s.className}`;
}

function derive(record: QuestionRecord, seen: Seen[], size: number): string {
  const { item } = record;
  const shapes = seen.filter((s) => SHAPE_CLASSES.has(s.className));
  const words = item.question.replace(/[?.:,]/g, "").split(" ");
  const named = (list: readonly string[]) => words.find((w) => list.includes(w));
  const colourNames = COLOURS.map((c) => c.name as string);
  const only = <T>(xs: T[], what: string): T => {
    assert.equal(xs.length, 1, `${what}: ${xs.length} candidates in "${item.question}"`);
    return xs[0];
  };
  switch (item.family) {
    case "count": {
      const shape = [...SHAPE_CLASSES].find((s) =>
        words.some((w) => w === `${s}s` || w === `${s}es`)
      );
      const colour = named(colourNames);
      return String(
        shapes.filter((s) => (shape ? s.className === shape : colour ? s.colour === colour : true))
          .length,
      );
    }
    case "colour":
      return only(shapes.filter((s) => s.className === named([...SHAPE_CLASSES])), "colour").colour;
    case "shape":
      return only(shapes.filter((s) => s.colour === named(colourNames)), "shape").className;
    case "presence": {
      const present = new Set(shapes.map(descriptorOf));
      const options = item.question.split(":")[1] ?? item.question.split(".")[0].split(":")[1];
      const found = colourNames.flatMap((c) => [...SHAPE_CLASSES].map((s) => `${c} ${s}`))
        .filter((d) => options.includes(` ${d}`) && present.has(d));
      return only(found, "presence");
    }
    case "caption":
      return shapes.map(descriptorOf).sort().join("|");
    case "relation": {
      const [a, b] = item.question.match(/the (\w+ \w+)/g)!.map((m) => m.slice(4));
      const sa = only(shapes.filter((s) => descriptorOf(s) === a), "relation a");
      const sb = only(shapes.filter((s) => descriptorOf(s) === b), "relation b");
      const dx = sa.cx - sb.cx;
      const dy = sa.cy - sb.cy;
      return Math.abs(dx) > Math.abs(dy)
        ? (dx < 0 ? "left" : "right")
        : (dy < 0 ? "above" : "below");
    }
    case "size": {
      const sorted = shapes.slice().sort((a, b) => a.extent - b.extent);
      const pick = /largest|biggest/.test(item.question) ? sorted[sorted.length - 1] : sorted[0];
      const runnerUp = /largest|biggest/.test(item.question)
        ? sorted[sorted.length - 2]
        : sorted[1];
      assert.ok(
        pick.extent !== runnerUp.extent,
        `size tie in ${item.question}: ${
          JSON.stringify(shapes.map((s) => [s.className, s.extent]))
        }`,
      );
      return pick.className;
    }
    case "fine_attribute": {
      // Hollow = the shape's mask encloses background: pixels inside its box that a flood
      // from the box border cannot reach without crossing the shape.
      const enclosed = (s: Seen) => {
        const own = new Set(s.pixels);
        const xs = s.pixels.map((p) => p % size);
        const ys = s.pixels.map((p) => Math.floor(p / size));
        const [x0, x1, y0, y1] = [
          Math.min(...xs) - 1,
          Math.max(...xs) + 1,
          Math.min(...ys) - 1,
          Math.max(...ys) + 1,
        ];
        const reached = new Set<string>();
        const stack = [[x0, y0]];
        while (stack.length) {
          const [x, y] = stack.pop()!;
          const key = `${x},${y}`;
          if (x < x0 || x > x1 || y < y0 || y > y1 || reached.has(key) || own.has(y * size + x)) {
            continue;
          }
          reached.add(key);
          stack.push([x + 1, y], [x - 1, y], [x, y + 1], [x, y - 1]);
        }
        return (x1 - x0 + 1) * (y1 - y0 + 1) - reached.size - own.size > 0;
      };
      const hollow = /not filled/.test(item.question) ||
        (/hollow/.test(item.question) && !/not hollow/.test(item.question));
      return only(shapes.filter((s) => enclosed(s) === hollow), "fine attribute").colour;
    }
    case "corners":
      return String(
        SHAPE_CORNERS[
          only(shapes.filter((s) => s.colour === named(colourNames)), "corners").className as "star"
        ],
      );
    case "colour_mix": {
      const [a, b] = shapes.map((s) => s.colour);
      return COLOUR_MIXES.find((m) => (m.a === a && m.b === b) || (m.a === b && m.b === a))!.result;
    }
    case "glyph": {
      const colour = named(colourNames);
      const plate = only(
        seen.filter((s) => s.className === "plate" && s.colour === colour),
        "glyph plate",
      );
      const glyphs = seen.filter((s) => s.className === "glyph");
      const inside = only(
        glyphs.filter((g) => Math.hypot(g.cx - plate.cx, g.cy - plate.cy) < plate.extent / 2),
        "glyph",
      );
      return readGlyph(record, inside);
    }
    case "sign_meaning":
      return SIGN_MEANINGS[
        readGlyph(
          record,
          only(seen.filter((s) => s.className === "glyph"), "meaning glyph"),
        )
      ];
    case "chart_value": {
      const bar = only(
        seen.filter((s) => s.className === "bar" && s.colour === named(colourNames)),
        "value bar",
      );
      const unit = (record.scene.objects[0] as { unit: number }).unit;
      const label =
        seen.filter((s) => s.className === "glyph").sort((a, b) =>
          Math.abs(a.cx - bar.cx) - Math.abs(b.cx - bar.cx)
        )[0];
      const read = readGlyph(record, label);
      assert.equal(String(Math.round(bar.height / unit)), read, `bar height and label disagree`);
      return read;
    }
    case "chart_extreme": {
      const bars = seen.filter((s) => s.className === "bar").sort((a, b) => a.height - b.height);
      return /tallest|highest/.test(item.question) ? bars[bars.length - 1].colour : bars[0].colour;
    }
  }
}

Deno.test("answers re-derived from the masks agree with the generator", async () => {
  const { splits } = await tinyWorld();
  let checked = 0;
  for (
    const name of ["preference", "test_general", "test_vision", "test_ocr_chart", "test_knowledge"]
  ) {
    const split = splits.get(name)!;
    (split.records as QuestionRecord[]).forEach((record, index) => {
      const seen = seenInstances(split, index, record.classOfInstance);
      const derived = derive(record, seen, split.imageSize);
      const expected = record.item.family === "caption"
        ? record.item.answer.split(/, | and /).map((s) => s.replace(/^an? /, "")).sort().join("|")
        : record.item.answer;
      assert.equal(
        derived,
        expected,
        `${name}[${index}] ${record.item.family}: "${record.item.question}"`,
      );
      const referent = referentMask(split, index);
      assert.ok(referent.some((v) => v === 1), `${name}[${index}] has an empty referent mask`);
      checked++;
    });
  }
  assert.ok(checked > 1000);
});

Deno.test("classification labels re-derived from the masks agree", async () => {
  const { splits } = await tinyWorld();
  const split = splits.get("classification_test")!;
  const size = split.imageSize;
  const records = split.records as ClassificationRecord[];
  records.forEach((record, index) => {
    const instances = compileScene(record.scene);
    const masks = rasteriseMasks(instances, size);
    const ids = new Set(masks.instance.filter((id) => id > 0));
    assert.equal(record.labels.count, ids.size - 1, `classification[${index}] count`);
    void (record.scene.objects as PlateObject[]);
  });
});
