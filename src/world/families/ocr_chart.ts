/**
 * OCR & Chart group: read a glyph on a sign, read a bar's value, find the tallest or
 * shortest bar.
 */
import { COLOUR_NAMES, confusableGlyphs, glyphKind, SIGN_GLYPHS } from "../catalog.ts";
import { type Family, variant } from "../items.ts";
import { countNounPlural } from "../phrases.ts";
import { sampleChartScene, sampleSignScene } from "../sampler.ts";
import { fill, QUESTION_TEMPLATES as Q, RESPONSE_TEMPLATES as R } from "../templates.ts";
import { instancesOfObjects, phrasing } from "./common.ts";

/** "What is written on the red sign?" A misread glyph is a look-alike one. */
export const glyphFamily: Family = {
  id: "glyph",
  group: "ocr_chart",
  domain: "signs",
  generate(rng, size, truth) {
    const count = rng.int(1, 3);
    const colours = rng.sample(COLOUR_NAMES, count);
    const glyph = truth.pick(SIGN_GLYPHS, rng);
    const drafts = colours.map((colour, i) => ({
      colour,
      glyph: i === 0 ? glyph : rng.pick(SIGN_GLYPHS),
    }));
    const order = rng.shuffle(drafts.map((_, i) => i));
    const sampled = sampleSignScene(rng, size, order.map((i) => drafts[i]));
    const colour = colours[0];
    const perception = fill(R.seeThing, { thing: countNounPlural(count, "sign") });
    const say = (g: string) =>
      variant(g, perception, fill(R.glyphBody, { colour, kind: glyphKind(g), glyph: g }), glyph);
    return {
      sampled,
      question: fill(phrasing(rng, Q.glyph), { colour }),
      chosen: say(glyph),
      wrong: confusableGlyphs(glyph).map(say),
      referents: instancesOfObjects(sampled, [order.indexOf(0)]),
    };
  },
};

/** "What is the value of the red bar?" A misread value is off by one. */
export const chartValueFamily: Family = {
  id: "chart_value",
  group: "ocr_chart",
  domain: "charts",
  generate(rng, size, truth) {
    const count = rng.int(3, 6);
    const colours = rng.sample(COLOUR_NAMES, count);
    const value = truth.pick([1, 2, 3, 4, 5, 6, 7, 8, 9], rng);
    const targetIndex = rng.int(0, count - 1);
    const bars = colours.map((colour, i) => ({
      colour,
      value: i === targetIndex ? value : rng.int(1, 9),
    }));
    const sampled = sampleChartScene(rng, size, bars);
    const colour = colours[targetIndex];
    const perception = fill(R.chartSee, { count });
    const say = (v: number) =>
      variant(String(v), perception, fill(R.chartValueBody, { colour, value: v }), String(value));
    return {
      sampled,
      question: fill(phrasing(rng, Q.chart_value), { colour }),
      chosen: say(value),
      wrong: [value - 1, value + 1].filter((v) => v >= 1 && v <= 9).map(say),
      referents: instancesOfObjects(sampled, [targetIndex]),
    };
  },
};

/** "Which bar is the tallest?" (or shortest; the extreme bar is unique). Answer: its colour. */
export const chartExtremeFamily: Family = {
  id: "chart_extreme",
  group: "ocr_chart",
  domain: "charts",
  generate(rng, size) {
    const tallest = rng.chance(0.5);
    const count = rng.int(3, 6);
    const colours = rng.sample(COLOUR_NAMES, count);
    const extremeValue = tallest ? rng.int(2, 9) : rng.int(1, 8);
    const targetIndex = rng.int(0, count - 1);
    const bars = colours.map((colour, i) => ({
      colour,
      value: i === targetIndex
        ? extremeValue
        : tallest
        ? rng.int(1, extremeValue - 1)
        : rng.int(extremeValue + 1, 9),
    }));
    const sampled = sampleChartScene(rng, size, bars);
    const extreme = tallest ? "tallest" : "shortest";
    const perception = fill(R.chartSee, { count });
    const say = (colour: string) =>
      variant(
        colour,
        perception,
        fill(R.chartExtremeBody, { colour, extreme }),
        colours[targetIndex],
      );
    return {
      sampled,
      question: phrasing(rng, tallest ? Q.chart_tallest : Q.chart_shortest),
      chosen: say(colours[targetIndex]),
      wrong: colours.filter((_, i) => i !== targetIndex).map(say),
      referents: instancesOfObjects(sampled, colours.map((_, i) => i)),
    };
  },
};
