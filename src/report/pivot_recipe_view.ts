/**
 * The PIVOT recipe as a picture and as a table of its committed values, for notebook 04: the
 * evolve run (1a → 1b → Stage 2 in an MLLM), the detach, and Stage 3 (a fresh MLLM around
 * the frozen encoder: 3a → 3b → VQA). The values come from the run's own protocol record and
 * the post-training protocol; nothing here computes a result.
 * @module
 */

import type { Block } from "./html.ts";
import { escapeHtml } from "./html.ts";
import type { PivotRecord } from "./pivot_claims.ts";
import { postTrainProtocol } from "../protocol/posttrain.ts";

interface Box {
  title: string;
  lines: string[];
  /** Whether the box's step trains the vision encoder (drawn in the accent colour). */
  movesEncoder: boolean;
}

const BOX_W = 170;
const BOX_H = 74;
const GAP = 34;

function row(boxes: Box[], y: number, label: string): string {
  const parts = [
    `<text x="8" y="${y - 10}" font-size="13" font-weight="600" fill="#333">${
      escapeHtml(label)
    }</text>`,
  ];
  boxes.forEach((b, i) => {
    const x = 8 + i * (BOX_W + GAP);
    const fill = b.movesEncoder ? "#fde6cf" : "#e8eef7";
    const stroke = b.movesEncoder ? "#d9822b" : "#5b7bb2";
    parts.push(
      `<rect x="${x}" y="${y}" width="${BOX_W}" height="${BOX_H}" rx="8" fill="${fill}" ` +
        `stroke="${stroke}" stroke-width="1.5"/>`,
      `<text x="${x + 10}" y="${y + 20}" font-size="13" font-weight="600" fill="#222">${
        escapeHtml(b.title)
      }</text>`,
      ...b.lines.map((l, k) =>
        `<text x="${x + 10}" y="${y + 38 + 15 * k}" font-size="11.5" fill="#333">${
          escapeHtml(l)
        }</text>`
      ),
    );
    if (i < boxes.length - 1) {
      const ax = x + BOX_W + 4;
      const ay = y + BOX_H / 2;
      parts.push(
        `<line x1="${ax}" y1="${ay}" x2="${ax + GAP - 10}" y2="${ay}" stroke="#555" ` +
          `stroke-width="1.5" marker-end="url(#arrow)"/>`,
      );
    }
  });
  return parts.join("");
}

/** The recipe as an SVG diagram (inline HTML): evolve above, Stage 3 below. */
export function pivotRecipeSvg(r: PivotRecord): string {
  const p = r.protocol;
  const pt = postTrainProtocol(r.preset);
  const evolve: Box[] = [
    {
      title: "E0 encoder",
      lines: ["pretrained ViT", "(contrastive, captions)"],
      movesEncoder: false,
    },
    {
      title: "Stage 1a",
      lines: ["projector only", `${pt.stage1a.steps} steps, captions`],
      movesEncoder: false,
    },
    {
      title: "Stage 1b",
      lines: ["ViT + projector + LM", `${pt.stage1b.steps} steps, instructions`],
      movesEncoder: true,
    },
    {
      title: "Stage 2",
      lines: ["DPO → “+PIVOT”", "SFT → “+SFT” (control)"],
      movesEncoder: true,
    },
    { title: "Detach", lines: ["keep the ViT,", "drop projector + LM"], movesEncoder: false },
  ];
  const stage3: Box[] = [
    {
      title: "Fresh MLLM",
      lines: ["frozen ViT + fresh", "projector + fresh L0"],
      movesEncoder: false,
    },
    {
      title: "Stage 3a",
      lines: ["projector only", `${p.stage3a.steps} steps, captions`],
      movesEncoder: false,
    },
    {
      title: "Stage 3b",
      lines: ["projector + LM", `${p.stage3b.steps} steps, ViT frozen`],
      movesEncoder: false,
    },
    {
      title: "VQA by group",
      lines: [
        p.vqa.perGroup === null ? "every test question" : `${p.vqa.perGroup} test questions`,
        `per group × ${r.seeds.length} seeds`,
      ],
      movesEncoder: false,
    },
  ];
  const width = 8 + 5 * BOX_W + 4 * GAP + 8;
  const height = 250;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}" font-family="sans-serif">` +
    `<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" ` +
    `markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>` +
    row(
      evolve,
      30,
      `1 · Evolve the encoder inside an MLLM (once per encoder, seed ${p.evolveSeed})`,
    ) +
    row(
      stage3,
      150,
      "2 · Evaluate it detached and frozen in a fresh MLLM (every row, every seed)",
    ) +
    `<text x="8" y="${height - 4}" font-size="11" fill="#666">orange: the step trains the ` +
    "vision encoder; blue: the encoder is frozen or absent</text></svg>";
}

const lrText = (x: number) => x.toExponential(0).replace("e-", "e−");

/** The recipe's steps with their committed values (the run's protocol). */
export function pivotRecipeTable(r: PivotRecord): Block {
  const p = r.protocol;
  const pt = postTrainProtocol(r.preset);
  const s2 = pt.stage2;
  return {
    kind: "table",
    columns: ["phase", "step", "trains", "data", "steps × batch", "lr"],
    rows: [
      [
        "evolve",
        "1a",
        "projector (ViT = E0, LM = L0, both frozen)",
        "captions",
        `${pt.stage1a.steps} × ${pt.stage1a.batch}`,
        lrText(pt.stage1a.optim.lr),
      ],
      [
        "evolve",
        "1b",
        `everything (ViT at lr × ${pt.stage1b.vitLrRatio})`,
        "instruction mix",
        `${pt.stage1b.steps} × ${pt.stage1b.batch}`,
        lrText(pt.stage1b.optim.lr),
      ],
      [
        "evolve",
        "2: DPO (+PIVOT) / SFT (+SFT)",
        `everything (ViT at lr × ${s2.vitLrRatio}); DPO β ${s2.beta}, reference = 1b`,
        `${s2.preferenceSize} preference items × ${s2.epochs} epochs`,
        `batch ${s2.batch}`,
        `DPO ${lrText(r.lr.dpo)} / SFT ${lrText(r.lr.sft)}`,
      ],
      ["detach", "–", "nothing: the ViT is kept, its projector and LM dropped", "–", "–", "–"],
      [
        "Stage 3",
        "3a",
        "a fresh projector (seeded per Stage-3 seed); ViT and a fresh copy of L0 frozen",
        "captions",
        `${p.stage3a.steps} × ${p.stage3a.batch}`,
        lrText(p.stage3a.optim.lr),
      ],
      [
        "Stage 3",
        "3b",
        `projector + LM, ViT frozen (ablation: ViT at lr × ${p.stage3b.unfrozenVitLrRatio})`,
        "instruction mix",
        `${p.stage3b.steps} × ${p.stage3b.batch}`,
        lrText(p.stage3b.optim.lr),
      ],
      [
        "Stage 3",
        "VQA",
        "nothing (greedy decoding, exact answer)",
        p.vqa.perGroup === null
          ? "every test question"
          : `first ${p.vqa.perGroup} test questions per group`,
        `seeds ${r.seeds.join(", ")}`,
        "–",
      ],
    ],
    caption: `The ${r.preset} protocol (src/protocol/pivot.ts, src/protocol/posttrain.ts). ` +
      `Stage-2 lrs: ${r.lr.source}.`,
  };
}
