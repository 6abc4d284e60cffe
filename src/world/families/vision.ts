/**
 * Vision-centric group: counting, spatial relations, relative size and fine attributes
 * (hollow/filled), on object scenes.
 */
import {
  COLOUR_NAMES,
  type ColourName,
  SHAPE_NAMES,
  type ShapeName,
  shapePlural,
} from "../catalog.ts";
import { type Family, variant } from "../items.ts";
import { countNoun, countNounPlural, descriptor, withArticle } from "../phrases.ts";
import { randomShapeDraft, sampleObjectScene, type ShapeDraft } from "../sampler.ts";
import type { ShapeObject } from "../scene.ts";
import { fill, QUESTION_TEMPLATES as Q, RESPONSE_TEMPLATES as R } from "../templates.ts";
import {
  insertAtRandom,
  instancesOfObjects,
  otherColours,
  otherShapes,
  phrasing,
} from "./common.ts";

const MAX_COUNT = 6;
const COUNTS = [1, 2, 3, 4, 5, 6];

/**
 * "How many stars are there?" The answer is drawn first (uniform), then a scene with exactly
 * that many matching shapes, so no question wording predicts its count.
 */
export const countFamily: Family = {
  id: "count",
  group: "vision",
  domain: "objects",
  generate(rng, size, truth) {
    const kind = rng.pick(["all", "shape", "colour"] as const);
    const max = MAX_COUNT;
    const target = truth.pick(COUNTS, rng);
    const total = kind === "all" ? target : rng.int(target, MAX_COUNT);
    const shape = rng.pick(SHAPE_NAMES);
    const colour = rng.pick(COLOUR_NAMES);
    const drafts: ShapeDraft[] = [];
    for (let i = 0; i < total; i++) {
      const matching = i < target;
      if (kind === "shape") {
        drafts.push(
          randomShapeDraft(rng, total, { shape: matching ? shape : rng.pick(otherShapes(shape)) }),
        );
      } else if (kind === "colour") {
        drafts.push(
          randomShapeDraft(rng, total, {
            colour: matching ? colour : rng.pick(otherColours(colour)),
          }),
        );
      } else drafts.push(randomShapeDraft(rng, total));
    }
    const sampled = sampleObjectScene(rng, size, rng.shuffle(drafts), {
      overlap: total >= 5 || rng.chance(0.5),
    });
    const counted = (o: ShapeObject) =>
      kind === "all" || (kind === "shape" ? o.shape === shape : o.colour === colour);
    const countedIndices = (sampled.scene.objects as ShapeObject[]).flatMap((
      o,
      i,
    ) => (counted(o) ? [i] : []));
    const question = kind === "all"
      ? phrasing(rng, Q.count_all)
      : kind === "shape"
      ? fill(phrasing(rng, Q.count_shape), { plural: shapePlural(shape) })
      : fill(phrasing(rng, Q.count_colour), { colour });
    const noun = (n: number) =>
      kind === "shape"
        ? countNoun(n, shape)
        : kind === "colour"
        ? countNounPlural(n, `${colour} shape`)
        : countNounPlural(n, "shape");
    const say = (n: number) => {
      const text = noun(n);
      const space = text.indexOf(" ");
      return variant(
        String(n),
        fill(R.countSee, { count: text.slice(0, space), noun: text.slice(space + 1) }),
        null,
        String(target),
      );
    };
    const wrong = [target - 1, target + 1].filter((n) => n >= 1 && n <= max).map(say);
    return {
      sampled,
      question,
      chosen: say(target),
      wrong,
      referents: instancesOfObjects(sampled, countedIndices),
    };
  },
};

const RELATIONS = ["left", "right", "above", "below"] as const;
type Relation = (typeof RELATIONS)[number];
const RELATION_PHRASE: Record<Relation, string> = {
  left: "to the left of",
  right: "to the right of",
  above: "above",
  below: "below",
};
const FLIPPED: Record<Relation, Relation> = {
  left: "right",
  right: "left",
  above: "below",
  below: "above",
};

/** The unambiguous relation of a relative to b, or null when the layout is ambiguous. */
export function spatialRelation(
  a: { cx: number; cy: number },
  b: { cx: number; cy: number },
  size: number,
): Relation | null {
  const dx = a.cx - b.cx;
  const dy = a.cy - b.cy;
  const far = size * 0.15;
  if (Math.abs(dx) >= 2 * Math.abs(dy) && Math.abs(dx) >= far) return dx < 0 ? "left" : "right";
  if (Math.abs(dy) >= 2 * Math.abs(dx) && Math.abs(dy) >= far) return dy < 0 ? "above" : "below";
  return null;
}

/** "Where is the red star relative to the blue circle?" → left / right / above / below. */
export const relationFamily: Family = {
  id: "relation",
  group: "vision",
  domain: "objects",
  generate(rng, size, truth) {
    const relation = truth.pick(RELATIONS, rng);
    const count = rng.int(2, 4);
    const shapes = rng.sample(SHAPE_NAMES, count);
    const drafts = shapes.map((shape) => randomShapeDraft(rng, Math.max(count, 3), { shape }));
    const sampled = sampleObjectScene(rng, size, drafts, {
      overlap: false,
      accept: (objects) => spatialRelation(objects[0], objects[1], size) === relation,
    });
    const a = descriptor(drafts[0].colour, drafts[0].shape);
    const b = descriptor(drafts[1].colour, drafts[1].shape);
    const perception = fill(R.seeTwo, { thing: `the ${a}`, other: `the ${b}` });
    const say = (r: Relation) =>
      variant(
        r,
        perception,
        fill(R.relationBody, { a, b, relation: RELATION_PHRASE[r] }),
        relation,
      );
    return {
      sampled,
      question: fill(phrasing(rng, Q.relation), { a, b }),
      chosen: say(relation),
      wrong: [say(FLIPPED[relation])],
      referents: instancesOfObjects(sampled, [0, 1]),
    };
  },
};

/** "Which shape is the largest?" The referent is large among small ones (or the reverse). */
export const sizeFamily: Family = {
  id: "size",
  group: "vision",
  domain: "objects",
  generate(rng, size) {
    const largest = rng.chance(0.5);
    // Three large shapes and a small one do not fit apart; cap the crowd when large ones abound.
    const count = largest ? rng.int(2, 4) : rng.int(2, 3);
    const shapes = rng.sample(SHAPE_NAMES, count);
    // All filled: a hollow outline adds half its stroke to the extent, blurring size classes.
    const target = randomShapeDraft(rng, count, {
      shape: shapes[0],
      size: largest ? "large" : "small",
      filled: true,
    });
    const others = shapes.slice(1).map((shape) =>
      randomShapeDraft(rng, count, {
        shape,
        // Two size classes apart (2.1x in radius): at 32 px a medium triangle's tips vanish
        // and it can look no bigger than a small hexagon.
        size: largest ? "small" : "large",
        filled: true,
      })
    );
    const { drafts } = insertAtRandom(rng, others, target);
    const sampled = sampleObjectScene(rng, size, drafts, { overlap: false });
    const extreme = largest ? "largest" : "smallest";
    const perception = fill(R.sizeSee, { count });
    const say = (shape: ShapeName) =>
      variant(shape, perception, fill(R.sizeBody, { shape, extreme }), target.shape);
    return {
      sampled,
      question: phrasing(rng, largest ? Q.size_largest : Q.size_smallest),
      chosen: say(target.shape),
      wrong: shapes.slice(1).map(say),
      referents: instancesOfObjects(sampled, drafts.map((_, i) => i)),
    };
  },
};

/** "What colour is the hollow shape?" (exactly one shape differs in fill). */
export const fineAttributeFamily: Family = {
  id: "fine_attribute",
  group: "vision",
  domain: "objects",
  generate(rng, size) {
    const askHollow = rng.chance(0.5);
    const count = rng.int(2, 3);
    const colours: ColourName[] = rng.sample(COLOUR_NAMES, count);
    const drafts = colours.map((colour, i) => {
      // Hollow shapes are large, so their hole stays visible even at 32 px.
      const filled = i === 0 ? !askHollow : askHollow;
      return randomShapeDraft(rng, count, {
        colour,
        filled,
        size: filled ? rng.pick(["medium", "large"] as const) : "large",
      });
    });
    const order = rng.shuffle(drafts.map((_, i) => i));
    const sampled = sampleObjectScene(rng, size, order.map((i) => drafts[i]), { overlap: false });
    const attribute = askHollow ? "hollow" : "filled";
    const say = (draft: ShapeDraft) =>
      variant(
        draft.colour,
        fill(R.fineSee, { thing: withArticle(`${attribute} ${draft.shape}`) }),
        fill(R.fineBody, { colour: draft.colour }),
        drafts[0].colour,
      );
    return {
      sampled,
      question: phrasing(rng, askHollow ? Q.fine_hollow : Q.fine_filled),
      chosen: say(drafts[0]),
      wrong: drafts.slice(1).map(say),
      referents: instancesOfObjects(sampled, [order.indexOf(0)]),
    };
  },
};
