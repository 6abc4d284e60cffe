/**
 * Where two responses differ, as token and character spans. Token sequences are aligned by
 * a longest common subsequence; each maximal run of unmatched tokens becomes one span.
 * Character spans run from the end of the last matched token before the run to the start of
 * the first matched token after it (the whitespace in between included), so replacing each
 * chosen span by its rejected span rebuilds the rejected text exactly.
 */
import { splitTokens, type TokenSpan } from "./tokenizer.ts";

/** One place where chosen and rejected differ. Ranges are half-open [start, end). */
export interface DiffSpan {
  chosenTokens: [number, number];
  rejectedTokens: [number, number];
  chosenChars: [number, number];
  rejectedChars: [number, number];
}

function lcsTable(a: string[], b: string[]): Uint16Array {
  const w = b.length + 1;
  const table = new Uint16Array((a.length + 1) * w);
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      table[i * w + j] = a[i] === b[j]
        ? table[(i + 1) * w + j + 1] + 1
        : Math.max(table[(i + 1) * w + j], table[i * w + j + 1]);
    }
  }
  return table;
}

function charRange(
  tokens: TokenSpan[],
  from: number,
  to: number,
  textLength: number,
): [number, number] {
  const start = from === 0 ? 0 : tokens[from - 1].end;
  const end = to >= tokens.length ? textLength : tokens[to].start;
  return [start, end];
}

/** The spans where `chosen` and `rejected` differ (empty when they are equal). */
export function diffSpans(chosen: string, rejected: string): DiffSpan[] {
  const a = splitTokens(chosen);
  const b = splitTokens(rejected);
  const at = a.map((t) => t.token);
  const bt = b.map((t) => t.token);
  const table = lcsTable(at, bt);
  const w = bt.length + 1;
  const spans: DiffSpan[] = [];
  let i = 0;
  let j = 0;
  let runA = -1;
  let runB = -1;
  const close = () => {
    if (runA < 0) return;
    spans.push({
      chosenTokens: [runA, i],
      rejectedTokens: [runB, j],
      chosenChars: charRange(a, runA, i, chosen.length),
      rejectedChars: charRange(b, runB, j, rejected.length),
    });
    runA = -1;
  };
  while (i < at.length || j < bt.length) {
    if (
      i < at.length && j < bt.length && at[i] === bt[j] &&
      table[i * w + j] === table[(i + 1) * w + j + 1] + 1
    ) {
      close();
      i++;
      j++;
      continue;
    }
    if (runA < 0) {
      runA = i;
      runB = j;
    }
    if (j >= bt.length || (i < at.length && table[(i + 1) * w + j] >= table[i * w + j + 1])) i++;
    else j++;
  }
  close();
  return spans;
}

/** Rebuilds the rejected text from the chosen text and the spans (used by the tests). */
export function applySpans(chosen: string, rejected: string, spans: readonly DiffSpan[]): string {
  let out = "";
  let cursor = 0;
  for (const s of spans) {
    out += chosen.slice(cursor, s.chosenChars[0]) +
      rejected.slice(s.rejectedChars[0], s.rejectedChars[1]);
    cursor = s.chosenChars[1];
  }
  return out + chosen.slice(cursor);
}
