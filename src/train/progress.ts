/**
 * Live progress of a training stage. On a terminal: one line rewritten in place (stage,
 * step/total, loss, samples/s, ETA), at most ~8 times a second. Otherwise (logs, CI, tests):
 * a plain line every `every` steps and at the end.
 * @module
 */

/** One progress reading. */
export interface ProgressUpdate {
  step: number;
  /** Latest mean loss read from the GPU (NaN before the first read). */
  loss: number;
  samplesPerSecond: number;
  /** Seconds elapsed in this process. */
  seconds: number;
}

/** Options of `Progress`. */
export interface ProgressOptions {
  stage: string;
  total: number;
  /** Plain-line interval in steps when not on a terminal (default: total/10). */
  every?: number;
  /** Force terminal mode on or off (default: stderr is a terminal). */
  tty?: boolean;
  /** Where lines go (default: stderr). */
  write?: (text: string) => void;
  /** Step the run started (resumed) at, for a correct ETA. */
  startStep?: number;
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return "?";
  if (s < 60) return `${s.toFixed(0)}s`;
  const m = Math.floor(s / 60);
  return m < 60
    ? `${m}m${String(Math.round(s % 60)).padStart(2, "0")}s`
    : `${(m / 60).toFixed(1)}h`;
}

const encoder = new TextEncoder();

/** A progress display for one stage. */
export class Progress {
  readonly tty: boolean;
  readonly every: number;
  #write: (text: string) => void;
  #lastDraw = 0;
  #lastLine = -1;

  constructor(readonly opts: ProgressOptions) {
    this.tty = opts.tty ?? Deno.stderr.isTerminal();
    this.every = Math.max(1, opts.every ?? Math.ceil(opts.total / 10));
    this.#write = opts.write ?? ((t) => Deno.stderr.writeSync(encoder.encode(t)));
  }

  #line(u: ProgressUpdate): string {
    const start = this.opts.startStep ?? 0;
    const done = u.step - start;
    const rate = done > 0 ? u.seconds / done : NaN;
    const eta = rate * (this.opts.total - u.step);
    const loss = Number.isFinite(u.loss) ? u.loss.toFixed(4) : "…";
    return `${this.opts.stage}: step ${u.step}/${this.opts.total}  loss ${loss}  ` +
      `${u.samplesPerSecond.toFixed(1)} samples/s  ETA ${formatSeconds(eta)}`;
  }

  /** Reports the state after `u.step` steps. */
  update(u: ProgressUpdate): void {
    if (this.tty) {
      const now = performance.now();
      if (now - this.#lastDraw < 120 && u.step < this.opts.total) return;
      this.#lastDraw = now;
      this.#write(`\r\x1b[2K${this.#line(u)}`);
    } else if (u.step % this.every === 0 || u.step === this.opts.total) {
      if (u.step === this.#lastLine) return;
      this.#lastLine = u.step;
      this.#write(this.#line(u) + "\n");
    }
  }

  /** Ends the display (a newline on a terminal) with an optional closing note. */
  finish(note = ""): void {
    if (this.tty) this.#write(`\n${note ? note + "\n" : ""}`);
    else if (note) this.#write(note + "\n");
  }
}
