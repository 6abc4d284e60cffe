/**
 * Views of the generated world for notebooks and reports: scenes beside their instance,
 * class and referent masks; preference pairs with the differing spans highlighted; item
 * counts, answer balance and the blind baseline as charts.
 * @module
 */
import type { BlindBaselineRow } from "../world/blind.ts";
import { GROUPS, type QuestionItem } from "../world/items.ts";
import type { QuestionRecord, SplitData } from "../world/splits.ts";
import { referentMask, splitClassMask, splitImage, splitInstanceMask } from "../world/world.ts";
import type { Figure } from "./figures.ts";
import { type Cell, escapeHtml, pngDataUrl } from "./html.ts";
import { contactSheet, maskToRgb, overlayMask, rgbToPng, squareRgb, type Tile } from "./images.ts";

/** The question items of a question split. */
export function questionItems(split: SplitData): QuestionItem[] {
  if (split.kind !== "questions") {
    throw new Error(`split ${split.name} is a ${split.kind} split, not questions`);
  }
  return split.records.map((r) => (r as QuestionRecord).item);
}

/** Indices of the first `perGroup` items of each benchmark group, in group order. */
export function examplesPerGroup(split: SplitData, perGroup: number): number[] {
  const items = questionItems(split);
  return GROUPS.flatMap((g) =>
    items.flatMap((it, i) => (it.group === g ? [i] : [])).slice(0, perGroup)
  );
}

/** Indices of the first item of each family, in family order of first appearance. */
export function examplesPerFamily(split: SplitData): number[] {
  const seen = new Set<string>();
  return questionItems(split).flatMap((
    it,
    i,
  ) => (seen.has(it.family) ? [] : (seen.add(it.family), [i])));
}

/**
 * A contact sheet with one row per question item: the scene, its instance mask, its class
 * mask and the referent mask (the objects the question is about) over the dimmed scene.
 */
export async function questionSheet(
  split: SplitData,
  indices: number[],
  scale = 4,
): Promise<Uint8Array> {
  const items = questionItems(split);
  const tiles: Tile[] = [];
  for (const i of indices) {
    const image = squareRgb(splitImage(split, i));
    const size = split.imageSize;
    tiles.push(
      { image, label: `#${i} ${items[i].family}` },
      { image: maskToRgb(splitInstanceMask(split, i), size), label: "instances" },
      { image: maskToRgb(splitClassMask(split, i), size), label: "classes" },
      {
        image: overlayMask(image, referentMask(split, i)),
        label: `referents ${items[i].referents.join(",")}`,
      },
    );
  }
  return await contactSheet(tiles, {
    columns: 4,
    scale,
    headers: ["scene", "instance mask", "class mask", "referent mask"],
  });
}

/** `text` as HTML with the half-open character ranges wrapped in <mark class="cls">. */
export function highlightSpans(text: string, ranges: [number, number][], cls: string): string {
  let out = "";
  let cursor = 0;
  for (const [start, end] of [...ranges].sort((a, b) => a[0] - b[0])) {
    out += escapeHtml(text.slice(cursor, start));
    // An empty range (an insertion on the other side) shows as a thin marker.
    out += `<mark class="${cls}">${escapeHtml(text.slice(start, end)) || "&#8203;"}</mark>`;
    cursor = end;
  }
  return out + escapeHtml(text.slice(cursor));
}

const PAIR_STYLE = `<style>
table.pairs{border-collapse:collapse;font-size:.92em}table.pairs td,table.pairs th{padding:.35rem .55rem;border-bottom:1px solid #ddd;vertical-align:top;text-align:left}
table.pairs mark.chosen{background:#c8f0d2;padding:0 .1em}table.pairs mark.rejected{background:#f8c9c9;padding:0 .1em}
table.pairs .fam{color:#555;font-size:.85em;white-space:nowrap}table.pairs img{image-rendering:pixelated}</style>`;

// Inline: notebook front ends right-align table cells with selectors a stylesheet cannot outrank.
const LEFT = ` style="text-align:left"`;

/** Preference pairs as an HTML table: scene, question, chosen and rejected with the differing spans marked. */
export async function preferencePairsHtml(
  split: SplitData,
  indices: number[],
  scale = 3,
): Promise<string> {
  const items = questionItems(split);
  const rows: string[] = [];
  for (const i of indices) {
    const it = items[i];
    const png = await rgbToPng(squareRgb(splitImage(split, i)), scale);
    const cells = [
      `<img src="${pngDataUrl(png)}" width="${split.imageSize * scale}" alt="scene ${i}">`,
      `<span class="fam">${escapeHtml(it.group)}<br>${escapeHtml(it.family)}<br>#${i}</span>`,
      escapeHtml(it.question),
      highlightSpans(it.chosen, it.spans.map((s) => s.chosenChars), "chosen"),
      highlightSpans(it.rejected, it.spans.map((s) => s.rejectedChars), "rejected"),
    ];
    rows.push(`<tr>${cells.map((c) => `<td${LEFT}>${c}</td>`).join("")}</tr>`);
  }
  const head = ["scene", "group / family", "question", "chosen", "rejected"]
    .map((h) => `<th${LEFT}>${h}</th>`).join("");
  return `${PAIR_STYLE}<table class="pairs"><thead><tr>${head}</tr></thead>` +
    `<tbody>${rows.join("\n")}</tbody></table>`;
}

/** Counts of items by a key, in first-seen order. */
export function countBy<T>(items: readonly T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const it of items) counts.set(key(it), (counts.get(key(it)) ?? 0) + 1);
  return counts;
}

/** A bar chart of item counts by group, domain or family. */
export function itemCountsFigure(
  items: readonly QuestionItem[],
  by: "group" | "domain" | "family",
  splitName = "",
): Figure {
  const counts = countBy(items, (it) => it[by]);
  return {
    kind: "bar",
    title: `Items per ${by}${splitName ? ` (${splitName})` : ""}`,
    xLabel: by,
    yLabel: "items",
    height: by === "family" ? 440 : 340,
    series: [{ name: "items", x: [...counts.keys()], y: [...counts.values()] }],
  };
}

/**
 * For one family: how often each answer value is the chosen and the rejected answer. The
 * bars match when no answer prior can stand in for looking.
 */
export function answerBalanceFigure(items: readonly QuestionItem[], family: string): Figure {
  const of = items.filter((it) => it.family === family);
  if (of.length === 0) throw new Error(`answerBalanceFigure: no items of family "${family}"`);
  const chosen = countBy(of, (it) => it.balanceKeys.chosen);
  const rejected = countBy(of, (it) => it.balanceKeys.rejected);
  const keys = [...new Set([...chosen.keys(), ...rejected.keys()])].sort();
  return {
    kind: "bar",
    title: `Answer balance: ${family} (${of.length} items)`,
    xLabel: "answer value",
    yLabel: "times",
    series: [
      { name: "chosen", x: keys, y: keys.map((k) => chosen.get(k) ?? 0), color: "#009E73" },
      { name: "rejected", x: keys, y: keys.map((k) => rejected.get(k) ?? 0), color: "#D55E00" },
    ],
  };
}

/** The blind-baseline rows as table rows. */
export function blindBaselineTable(rows: readonly BlindBaselineRow[]): Record<string, Cell>[] {
  return rows.map((r) => ({
    family: r.family,
    "held-out items": r.items,
    "blind accuracy %": Number((100 * r.accuracy).toFixed(1)),
    "majority answer": r.majorityAnswer,
  }));
}

/** Blind accuracy per family with the 35% ceiling the world is built to stay under. */
export function blindBaselineFigure(rows: readonly BlindBaselineRow[], ceiling = 0.35): Figure {
  return {
    kind: "bar",
    title: "Blind baseline: answering from the question text alone",
    xLabel: "family",
    yLabel: "accuracy %",
    yRange: [0, 100],
    height: 440,
    references: [{ y: 100 * ceiling, label: `ceiling ${Math.round(100 * ceiling)}%` }],
    series: [{
      name: "blind accuracy",
      x: rows.map((r) => r.family),
      y: rows.map((r) => 100 * r.accuracy),
    }],
  };
}
