// The demo's numbered steps: each prints its title, its duration when done, and on failure becomes a
// StepError naming the step and whose part of the project it is, so `make demo` fails loudly and says where.
import { describeError } from './kube';

/** A failed step: what failed, why, and which part of the project it belongs to. */
export class StepError extends Error {
  constructor(
    readonly step: string,
    readonly owner: string,
    reason: string,
  ) {
    super(reason);
  }
}

export interface StepTiming {
  title: string;
  seconds: number;
  /** A short result line for the closing summary (what the step showed). */
  note?: string;
}

export class Steps {
  private n = 0;
  readonly timings: StepTiming[] = [];

  constructor(
    private readonly total: number,
    private readonly say: (line: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Runs one step. `run` may return `{ value, note }` through `noted()` to put a result in the summary.
   * Any error becomes a StepError naming this step (an inner StepError keeps its own, more precise, name).
   */
  async run<T>(title: string, owner: string, run: () => Promise<T | Noted<T>>): Promise<T> {
    this.n += 1;
    const t0 = this.now();
    this.say(`\n==> [${this.n}/${this.total}] ${title}`);
    try {
      const out = await run();
      const seconds = (this.now() - t0) / 1000;
      const { value, note } = out instanceof Noted ? out : { value: out, note: undefined };
      this.timings.push({ title, seconds, ...(note ? { note } : {}) });
      this.say(`    done in ${seconds.toFixed(1)}s${note ? `: ${note}` : ''}`);
      return value;
    } catch (err) {
      if (err instanceof StepError) throw err;
      throw new StepError(title, owner, describeError(err));
    }
  }
}

/** A step's value with a line for the summary. */
export class Noted<T> {
  constructor(
    readonly value: T,
    readonly note: string,
  ) {}
}

export const noted = <T>(value: T, note: string): Noted<T> => new Noted(value, note);

/** The closing table of steps with their durations and results. */
export function timingTable(timings: readonly StepTiming[]): string {
  const width = Math.max(...timings.map((t) => t.title.length), 4);
  return timings
    .map(
      (t, i) =>
        `${String(i + 1).padStart(2)}. ${t.title.padEnd(width)}  ${t.seconds.toFixed(1).padStart(6)}s` +
        (t.note ? `  ${t.note}` : ''),
    )
    .join('\n');
}
