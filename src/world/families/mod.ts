/** The registry of question families, grouped as the paper's benchmark groups. */
import type { Family, FamilyId, GroupId } from "../items.ts";
import { captionFamily, colourFamily, presenceFamily, shapeFamily } from "./general.ts";
import { countFamily, fineAttributeFamily, relationFamily, sizeFamily } from "./vision.ts";
import { chartExtremeFamily, chartValueFamily, glyphFamily } from "./ocr_chart.ts";
import { colourMixFamily, cornersFamily, signMeaningFamily } from "./knowledge.ts";

/** Every family, in a fixed order (general, vision, OCR & chart, knowledge). */
export const FAMILIES: readonly Family[] = [
  presenceFamily,
  colourFamily,
  shapeFamily,
  captionFamily,
  countFamily,
  relationFamily,
  sizeFamily,
  fineAttributeFamily,
  glyphFamily,
  chartValueFamily,
  chartExtremeFamily,
  cornersFamily,
  colourMixFamily,
  signMeaningFamily,
];

/** A family by id. */
export function familyById(id: FamilyId): Family {
  const family = FAMILIES.find((f) => f.id === id);
  if (!family) throw new Error(`unknown family: ${id}`);
  return family;
}

/** The families of one group. */
export function familiesOfGroup(group: GroupId): Family[] {
  return FAMILIES.filter((f) => f.group === group);
}
