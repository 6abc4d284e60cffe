/**
 * Knowledge group: facts from the fixed world table (knowledge_table.ts) applied to an
 * easy-to-see object: one or two large shapes, or a single large sign. The perceptual error
 * in a rejected answer is a misperceived object, carried through the fact.
 */
import { COLOUR_NAMES, type ColourName, type ShapeName } from "../catalog.ts";
import { type Family, variant } from "../items.ts";
import { COLOUR_MIXES, MIX_RESULTS, SHAPE_CORNERS, SIGN_MEANINGS } from "../knowledge_table.ts";
import { withArticle } from "../phrases.ts";
import { randomShapeDraft, sampleObjectScene, sampleSignScene } from "../sampler.ts";
import { fill, QUESTION_TEMPLATES as Q, RESPONSE_TEMPLATES as R } from "../templates.ts";
import { instancesOfObjects, otherColours, phrasing } from "./common.ts";
import { confusableGlyphs } from "../catalog.ts";

const CORNER_SHAPES = Object.keys(SHAPE_CORNERS) as ShapeName[];

/** "How many corners does the red shape have?" */
export const cornersFamily: Family = {
  id: "corners",
  group: "knowledge",
  domain: "objects",
  generate(rng, size) {
    const shape = rng.pick(CORNER_SHAPES);
    const count = rng.int(1, 2);
    const target = randomShapeDraft(rng, count, {
      shape,
      size: rng.pick(["medium", "large"] as const),
      filled: true,
    });
    const drafts = [target];
    if (count === 2) {
      drafts.push(randomShapeDraft(rng, count, { colour: rng.pick(otherColours(target.colour)) }));
    }
    const sampled = sampleObjectScene(rng, size, drafts, { overlap: false });
    const corners = SHAPE_CORNERS[shape]!;
    const say = (seen: ShapeName) =>
      variant(
        String(SHAPE_CORNERS[seen]),
        fill(R.seeThing, { thing: withArticle(`${target.colour} ${seen}`) }),
        fill(R.cornersBody, { shape: seen, count: SHAPE_CORNERS[seen]! }),
        String(corners),
      );
    // One misperceived shape per wrong corner count, chosen at random among look-alikes.
    const byCount = new Map<number, ShapeName>();
    for (const other of rng.shuffle(CORNER_SHAPES)) {
      const n = SHAPE_CORNERS[other]!;
      if (n !== corners && !byCount.has(n)) byCount.set(n, other);
    }
    return {
      sampled,
      question: fill(phrasing(rng, Q.corners), { colour: target.colour }),
      chosen: say(shape),
      wrong: [...byCount.values()].map(say),
      referents: instancesOfObjects(sampled, [0]),
    };
  },
};

function mixOf(a: ColourName, b: ColourName): ColourName | null {
  const m = COLOUR_MIXES.find((m) => (m.a === a && m.b === b) || (m.a === b && m.b === a));
  return m ? m.result : null;
}

/** "What colour do you get if you mix the colours of the two shapes?" */
export const colourMixFamily: Family = {
  id: "colour_mix",
  group: "knowledge",
  domain: "objects",
  generate(rng, size) {
    const result = rng.pick(MIX_RESULTS);
    const mix = rng.pick(COLOUR_MIXES.filter((m) => m.result === result));
    const [first, second] = rng.shuffle([mix.a, mix.b]);
    const drafts = [first, second].map((colour) =>
      randomShapeDraft(rng, 2, {
        colour,
        size: rng.pick(["medium", "large"] as const),
        filled: true,
      })
    );
    const sampled = sampleObjectScene(rng, size, drafts, { overlap: false });
    const say = (a: ColourName, b: ColourName) =>
      variant(
        mixOf(a, b)!,
        fill(R.seeTwo, {
          thing: withArticle(`${a} ${drafts[0].shape}`),
          other: withArticle(`${b} ${drafts[1].shape}`),
        }),
        fill(R.mixBody, { a, b, result: mixOf(a, b)! }),
        result,
      );
    // One misperceived colour per wrong result.
    const byResult = new Map<string, [ColourName, ColourName]>();
    for (const colour of rng.shuffle(COLOUR_NAMES)) {
      for (const pair of [[colour, second], [first, colour]] as [ColourName, ColourName][]) {
        const r = mixOf(pair[0], pair[1]);
        if (r && r !== result && !byResult.has(r)) byResult.set(r, pair);
      }
    }
    return {
      sampled,
      question: phrasing(rng, Q.mix),
      chosen: say(first, second),
      wrong: [...byResult.values()].map(([a, b]) => say(a, b)),
      referents: instancesOfObjects(sampled, [0, 1]),
    };
  },
};

const MEANING_LETTERS = Object.keys(SIGN_MEANINGS);

/** "What does the sign stand for?" on a single large sign. */
export const signMeaningFamily: Family = {
  id: "sign_meaning",
  group: "knowledge",
  domain: "signs",
  generate(rng, size, truth) {
    const letter = truth.pick(MEANING_LETTERS, rng);
    const sampled = sampleSignScene(rng, size, [{ colour: rng.pick(COLOUR_NAMES), glyph: letter }]);
    const say = (g: string) =>
      variant(
        SIGN_MEANINGS[g],
        fill(R.meaningSee, { glyph: g }),
        fill(R.meaningBody, { glyph: g, meaning: SIGN_MEANINGS[g] }),
        SIGN_MEANINGS[letter],
      );
    const lookAlikes = confusableGlyphs(letter).filter((g) => g in SIGN_MEANINGS);
    const candidates = lookAlikes.length >= 2
      ? lookAlikes
      : MEANING_LETTERS.filter((g) => g !== letter);
    return {
      sampled,
      question: phrasing(rng, Q.sign_meaning),
      chosen: say(letter),
      wrong: candidates.map(say),
      referents: instancesOfObjects(sampled, [0]),
    };
  },
};
