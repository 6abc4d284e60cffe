/**
 * General group: presence, colour, shape and short captions, on object scenes.
 */
import { COLOUR_NAMES, SHAPE_NAMES } from "../catalog.ts";
import { type AnswerVariant, type Family, variant } from "../items.ts";
import { countNounPlural, descriptor, listAnd, listOr, withArticle } from "../phrases.ts";
import { randomShapeDraft, sampleObjectScene, type ShapeDraft } from "../sampler.ts";
import { fill, QUESTION_TEMPLATES, RESPONSE_TEMPLATES as R } from "../templates.ts";
import {
  allDescriptors,
  insertAtRandom,
  instancesOfObjects,
  objectIndicesWhere,
  otherColours,
  otherShapes,
  phrasing,
  shapesOf,
} from "./common.ts";
import type { ShapeObject } from "../scene.ts";

/** "Which of these is in the picture: a red star, a blue circle …?" (one option is present). */
export const presenceFamily: Family = {
  id: "presence",
  group: "general",
  domain: "objects",
  generate(rng, size) {
    const count = rng.int(1, 4);
    const target = randomShapeDraft(rng, count);
    const others = Array.from({ length: count - 1 }, () => randomShapeDraft(rng, count));
    const { drafts } = insertAtRandom(rng, others, target);
    const present = new Set(drafts.map((d) => descriptor(d.colour, d.shape)));
    const absent = allDescriptors().filter((d) => !present.has(d));
    const sampled = sampleObjectScene(rng, size, drafts, { overlap: rng.chance(0.5) });
    const answer = descriptor(target.colour, target.shape);
    const say = (thing: string) =>
      variant(
        thing,
        fill(R.seeThing, { thing: withArticle(thing) }),
        fill(R.presenceBody, { thing: withArticle(thing) }),
        answer,
      );
    const referents = objectIndicesWhere<ShapeObject>(
      sampled,
      (o) => descriptor(o.colour, o.shape) === answer,
    );
    const template = phrasing(rng, QUESTION_TEMPLATES.presence);
    // Any absent object may be the rejected answer (so the balancer can even out every
    // value); the options shown are the answer, the rejected one and two more absent ones.
    const questionFor = (rejected: AnswerVariant) => {
      const extra = rng.sample(absent.filter((d) => d !== rejected.answer), 2);
      const options = rng.shuffle([answer, rejected.answer, ...extra]).map(withArticle);
      return fill(template, { options: listOr(options) });
    };
    return {
      sampled,
      question: "",
      questionFor,
      chosen: say(answer),
      wrong: absent.map(say),
      referents: instancesOfObjects(sampled, referents),
    };
  },
};

/** "What colour is the star?" (the shape is unique in the scene). */
export const colourFamily: Family = {
  id: "colour",
  group: "general",
  domain: "objects",
  generate(rng, size) {
    const count = rng.int(1, 5);
    const target = randomShapeDraft(rng, count);
    const others = Array.from(
      { length: count - 1 },
      () => randomShapeDraft(rng, count, { shape: rng.pick(otherShapes(target.shape)) }),
    );
    const { drafts, index } = insertAtRandom(rng, others, target);
    const sampled = sampleObjectScene(rng, size, drafts, { overlap: rng.chance(0.5) });
    const say = (colour: string) =>
      variant(
        colour,
        fill(R.seeThing, { thing: withArticle(`${colour} ${target.shape}`) }),
        fill(R.colourBody, { shape: target.shape, colour }),
        target.colour,
      );
    return {
      sampled,
      question: fill(phrasing(rng, QUESTION_TEMPLATES.colour), { shape: target.shape }),
      chosen: say(target.colour),
      wrong: otherColours(target.colour).map(say),
      referents: instancesOfObjects(sampled, [index]),
    };
  },
};

/** "What shape is the red object?" (the colour is unique in the scene). */
export const shapeFamily: Family = {
  id: "shape",
  group: "general",
  domain: "objects",
  generate(rng, size) {
    const count = rng.int(1, 5);
    const target = randomShapeDraft(rng, count);
    const others = Array.from(
      { length: count - 1 },
      () => randomShapeDraft(rng, count, { colour: rng.pick(otherColours(target.colour)) }),
    );
    const { drafts, index } = insertAtRandom(rng, others, target);
    const sampled = sampleObjectScene(rng, size, drafts, { overlap: rng.chance(0.5) });
    const say = (shape: string) =>
      variant(
        shape,
        fill(R.seeThing, { thing: withArticle(`${target.colour} ${shape}`) }),
        fill(R.shapeBody, { colour: target.colour, thing: withArticle(shape) }),
        target.shape,
      );
    return {
      sampled,
      question: fill(phrasing(rng, QUESTION_TEMPLATES.shape), { colour: target.colour }),
      chosen: say(target.shape),
      wrong: otherShapes(target.shape).map(say),
      referents: instancesOfObjects(sampled, [index]),
    };
  },
};

/** Canonical short caption of shapes: left to right, "a red star, a blue circle and …". */
export function shapeListCaption(shapes: readonly { colour: string; shape: string }[]): string {
  return listAnd(shapes.map((s) => withArticle(`${s.colour} ${s.shape}`)));
}

/** "Describe the picture briefly." Answer: every shape, left to right; scored as a multiset. */
export const captionFamily: Family = {
  id: "caption",
  group: "general",
  domain: "objects",
  generate(rng, size) {
    const count = rng.int(1, 4);
    const drafts: ShapeDraft[] = Array.from({ length: count }, () => randomShapeDraft(rng, count));
    const sampled = sampleObjectScene(rng, size, drafts, { overlap: rng.chance(0.3) });
    const order = shapesOf(sampled).map((o, i) => ({ o, i })).sort((a, b) => a.o.cx - b.o.cx);
    const listed = order.map(({ o }) => ({ colour: o.colour as string, shape: o.shape as string }));
    const perception = fill(R.captionSee, { count, noun: countNounPlural(count, "shape") });
    const chosen = {
      ...variant(shapeListCaption(listed), perception, null),
      key: "",
      replacesKey: "",
    };
    const wrong = [];
    for (let k = 0; k < listed.length; k++) {
      for (const colour of COLOUR_NAMES.filter((c) => c !== listed[k].colour)) {
        const changed = listed.map((s, j) => (j === k ? { ...s, colour } : s));
        wrong.push({
          ...variant(shapeListCaption(changed), perception, null),
          key: colour,
          replacesKey: listed[k].colour,
        });
      }
      for (const shape of SHAPE_NAMES.filter((s) => s !== listed[k].shape)) {
        const changed = listed.map((s, j) => (j === k ? { ...s, shape } : s));
        wrong.push({
          ...variant(shapeListCaption(changed), perception, null),
          key: shape,
          replacesKey: listed[k].shape,
        });
      }
    }
    return {
      sampled,
      question: phrasing(rng, QUESTION_TEMPLATES.caption),
      chosen,
      wrong,
      referents: instancesOfObjects(sampled, order.map(({ i }) => i)),
    };
  },
};
