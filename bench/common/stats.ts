// Latency summaries: exact percentiles over the recorded samples (runs are bounded, so keeping every
// sample is cheaper and simpler than a histogram and has no bucket error).

export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentile of an ascending array; NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? NaN;
}

/** Summary in the unit of the samples (the benches record milliseconds). */
export function summarize(samples: readonly number[]): LatencySummary {
  const sorted = [...samples].sort((a, b) => a - b);
  const sum = sorted.reduce((s, v) => s + v, 0);
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.length > 0 ? (sorted[sorted.length - 1] ?? NaN) : NaN,
    mean: sorted.length > 0 ? sum / sorted.length : NaN,
  };
}

/** Rounds for reports: 3 significant decimals below 10, fewer above. */
export function round(v: number): number {
  if (!Number.isFinite(v)) return v;
  const digits = Math.abs(v) < 10 ? 3 : Math.abs(v) < 1000 ? 1 : 0;
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
