/**
 * L0: causal-LM pretraining on the world's text corpus (the `text` split: captions,
 * question + answer text, knowledge facts). Each line becomes `<bos> tokens <eos>`; whole
 * lines are packed greedily, in corpus order, into rows of `maxLen` tokens (so every
 * position the MLLM will use is trained), the rest of a row is padding. Targets are the
 * next token, with padding, the token after `<eos>` (the next line's `<bos>`) and `<bos>`
 * itself never counted. The last `heldOutLines` lines are held out, one line per row, for
 * perplexity; chance is reported as the vocabulary size and as the unigram perplexity.
 * @module
 */

import { CausalLM, type CausalLMConfig } from "../nn/causal_lm.ts";
import { AdamW, decayGroups } from "../nn/adamw.ts";
import { saveCheckpoint } from "../nn/checkpoint.ts";
import { tensor } from "../tensor/tensor.ts";
import { Rng } from "../tensor/random.ts";
import { BatchOrder } from "../data/order.ts";
import { type Tokenizer, worldTokenizer } from "../world/tokenizer.ts";
import { WORLD_FORMAT_VERSION } from "../world/storage.ts";
import type { World } from "../world/world.ts";
import { lmPerplexity, type TokenRows, unigramPerplexity } from "../eval/perplexity.ts";
import type { L0Spec, LMSpec } from "../protocol/presets.ts";
import { type LossPoint, trainLoop } from "./loop.ts";
import type { Json, StageDef } from "./stage.ts";

/** The key-relevant description of an L0 stage (plain JSON). */
export interface L0Config {
  lm: string;
  model: CausalLMConfig;
  world: { preset: string; seed: number; format: number };
  batch: number;
  steps: number;
  optim: L0Spec["optim"];
  heldOutLines: number;
  seed: number;
  logEvery: number;
  checkpointEvery: number;
}

/** What an L0 stage reports. */
export interface L0Metrics extends Record<string, unknown> {
  stage: string;
  lm: string;
  params: number;
  steps: number;
  /** Rows (of maxLen tokens) seen. */
  samples: number;
  /** Counted target tokens seen. */
  tokens: number;
  flops: number;
  trainSeconds: number;
  trainCpuSeconds: number;
  curve: LossPoint[];
  firstLoss: number;
  finalLoss: number;
  corpus: { trainLines: number; trainRows: number; heldOutLines: number; truncated: number };
  heldOut: { perplexity: number; nll: number; tokens: number; evalFlops: number };
  chance: { uniform: number; unigram: number };
  /** The summary's quality check: held-out perplexity vs the unigram perplexity. */
  quality: { metric: string; value: number; chance: number; higherIsBetter: false };
}

/** `<bos> line <eos>` ids of every line (lines longer than maxLen are cut; counted). */
function lineIds(lines: readonly string[], tok: Tokenizer, maxLen: number) {
  const { bos, eos } = tok.special;
  let truncated = 0;
  const ids = lines.map((l) => {
    const s = [bos, ...tok.encode(l), eos];
    if (s.length > maxLen) {
      truncated++;
      return s.slice(0, maxLen);
    }
    return s;
  });
  return { ids, truncated };
}

/** Targets of a row: next token, not counted after `<eos>`, at the end, or on padding. */
function fillTargets(rows: TokenRows, i: number, used: number, eos: number): void {
  const at = i * rows.t;
  for (let k = 0; k < rows.t; k++) {
    const counted = k + 1 < used && rows.ids[at + k] !== eos;
    rows.targets[at + k] = counted ? rows.ids[at + k + 1] : -100;
  }
}

/** Packs lines greedily into rows of `t` tokens. */
export function packRows(lines: number[][], t: number, tok: Tokenizer): TokenRows {
  const rowsList: number[][] = [];
  let row: number[] = [];
  for (const l of lines) {
    if (row.length + l.length > t) {
      rowsList.push(row);
      row = [];
    }
    row.push(...l);
  }
  if (row.length > 0) rowsList.push(row);
  return toRows(rowsList, t, tok);
}

/** One line per row, padded to the longest. */
export function lineRows(lines: number[][], tok: Tokenizer): TokenRows {
  const t = Math.max(2, ...lines.map((l) => l.length));
  return toRows(lines, t, tok);
}

function toRows(rowsList: number[][], t: number, tok: Tokenizer): TokenRows {
  const rows: TokenRows = {
    ids: new Int32Array(rowsList.length * t).fill(tok.special.pad),
    targets: new Int32Array(rowsList.length * t),
    rows: rowsList.length,
    t,
  };
  rowsList.forEach((r, i) => {
    rows.ids.set(r, i * t);
    fillTargets(rows, i, r.length, tok.special.eos);
  });
  return rows;
}

/** Splits the text corpus into packed training rows and per-line held-out rows. */
export function l0Corpus(lines: readonly string[], heldOutLines: number, maxLen: number) {
  const tok = worldTokenizer();
  if (heldOutLines >= lines.length) {
    throw new Error(`L0: ${heldOutLines} held-out lines leave no training text (${lines.length})`);
  }
  const { ids, truncated } = lineIds(lines, tok, maxLen);
  const cut = lines.length - heldOutLines;
  return {
    train: packRows(ids.slice(0, cut), maxLen, tok),
    heldOut: lineRows(ids.slice(cut), tok),
    trainLines: cut,
    truncated,
    vocab: tok.vocabSize,
  };
}

/** The L0 config of a protocol entry (what the stage key hashes). */
export function l0Config(
  spec: L0Spec,
  lm: LMSpec,
  world: { preset: string; seed: number },
  intervals: { logEvery: number; checkpointEvery: number },
): L0Config {
  return {
    lm: spec.lm,
    model: { ...lm, vocab: worldTokenizer().vocabSize },
    world: { ...world, format: WORLD_FORMAT_VERSION },
    batch: spec.batch,
    steps: spec.steps,
    optim: spec.optim,
    heldOutLines: spec.heldOutLines,
    seed: spec.seed,
    ...intervals,
  };
}

/** The L0 stage `l0-<lm>` over `world`'s text split. */
export function l0Stage(cfg: L0Config, world: World): StageDef<L0Metrics> {
  const name = `l0-${cfg.lm}`;
  return {
    name,
    config: cfg as unknown as Json,
    run: async (ctx) => {
      const text = await world.split("text");
      const corpus = l0Corpus(text.records as string[], cfg.heldOutLines, cfg.model.maxLen);
      const { train, heldOut } = corpus;
      const model = new CausalLM(cfg.model, new Rng(cfg.seed)).nameParameters();
      const optimizer = new AdamW(
        decayGroups(model.parameters(), { lr: cfg.optim.lr, weightDecay: cfg.optim.weightDecay }),
        { betas: cfg.optim.betas, maxGradNorm: cfg.optim.maxGradNorm },
      );
      const batch = Math.min(cfg.batch, train.rows);
      const order = new BatchOrder(train.rows, batch, cfg.seed);
      const t = train.t;
      let tokens = 0;
      try {
        const result = await trainLoop({
          name,
          model,
          optimizer,
          totalSteps: cfg.steps,
          schedule: cfg.optim,
          samplesPerStep: batch,
          logEvery: cfg.logEvery,
          checkpoint: { dir: ctx.partialDir, every: cfg.checkpointEvery },
          stopAfterSteps: ctx.stopAfterSteps,
          log: ctx.log,
          batch: (step) => {
            const idx = order.indices(step);
            const ids = new Int32Array(batch * t);
            const targets = new Int32Array(batch * t);
            idx.forEach((r, k) => {
              ids.set(train.ids.subarray(r * t, (r + 1) * t), k * t);
              targets.set(train.targets.subarray(r * t, (r + 1) * t), k * t);
            });
            return {
              ids: tensor(ids, [batch, t], "i32"),
              targets: tensor(targets, [batch, t], "i32"),
            };
          },
          loss: (b, step) => model.loss(b.ids, b.targets, { seed: step }),
        });
        // Tokens seen, counted on the CPU from the same pure data order.
        for (let s = 0; s < result.steps; s++) {
          for (const r of order.indices(s)) {
            for (let k = 0; k < t; k++) if (train.targets[r * t + k] !== -100) tokens++;
          }
        }
        const ppl = await lmPerplexity(model, heldOut, 128);
        const unigram = unigramPerplexity(train.targets, heldOut.targets, corpus.vocab);
        await saveCheckpoint(ctx.checkpointDir, { model, meta: { stage: name, config: cfg } });
        return {
          stage: name,
          lm: cfg.lm,
          params: model.parameterCount(),
          steps: result.steps,
          samples: result.samples,
          tokens,
          flops: result.flops,
          trainSeconds: result.seconds,
          trainCpuSeconds: result.cpuSeconds,
          curve: result.curve,
          firstLoss: result.curve[0].loss,
          finalLoss: result.curve.at(-1)!.loss,
          corpus: {
            trainLines: corpus.trainLines,
            trainRows: train.rows,
            heldOutLines: cfg.heldOutLines,
            truncated: corpus.truncated,
          },
          heldOut: {
            perplexity: ppl.perplexity,
            nll: ppl.nll,
            tokens: ppl.tokens,
            evalFlops: ppl.flops,
          },
          chance: { uniform: corpus.vocab, unigram: unigram.perplexity },
          quality: {
            metric: "held-out perplexity (chance: unigram)",
            value: ppl.perplexity,
            chance: unigram.perplexity,
            higherIsBetter: false,
          },
        };
      } finally {
        model.dispose();
        optimizer.dispose();
      }
    },
  };
}
