// Prometheus text parsing for the few histograms and counters the bench reads (apiserver /metrics).

export interface Series {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export function parseProm(text: string): Series[] {
  const out: Series[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[l[1] ?? ''] = l[2] ?? '';
    out.push({ name: m[1] ?? '', labels, value: Number(m[4]) });
  }
  return out;
}

export interface Histogram {
  /** Cumulative counts by upper bound (ascending, +Inf last). */
  buckets: { le: number; count: number }[];
  sum: number;
  count: number;
}

/** Sums a histogram over every series matching `match` (e.g. one webhook name, all operations). */
export function histogram(
  series: Series[],
  name: string,
  match: (labels: Record<string, string>) => boolean,
): Histogram {
  const byLe = new Map<number, number>();
  let sum = 0;
  let count = 0;
  for (const s of series) {
    if (!match(s.labels)) continue;
    if (s.name === `${name}_bucket`) {
      const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
      byLe.set(le, (byLe.get(le) ?? 0) + s.value);
    } else if (s.name === `${name}_sum`) sum += s.value;
    else if (s.name === `${name}_count`) count += s.value;
  }
  const buckets = [...byLe].map(([le, c]) => ({ le, count: c })).sort((a, b) => a.le - b.le);
  return { buckets, sum, count };
}

/** after - before, bucket by bucket (both from the same process). */
export function histogramDelta(after: Histogram, before: Histogram): Histogram {
  return {
    buckets: after.buckets.map((b) => ({
      le: b.le,
      count: b.count - (before.buckets.find((x) => x.le === b.le)?.count ?? 0),
    })),
    sum: after.sum - before.sum,
    count: after.count - before.count,
  };
}

/** Prometheus' histogram_quantile: linear interpolation inside the bucket holding the rank. */
export function quantile(h: Histogram, q: number): number {
  if (h.count <= 0) return NaN;
  const rank = q * h.count;
  let prevLe = 0;
  let prevCount = 0;
  for (const b of h.buckets) {
    if (b.count >= rank) {
      if (b.le === Infinity) return prevLe;
      return prevLe + ((b.le - prevLe) * (rank - prevCount)) / Math.max(1e-12, b.count - prevCount);
    }
    prevLe = b.le;
    prevCount = b.count;
  }
  return prevLe;
}

/** Sum of a counter over the series matching `match`. */
export function counter(
  series: Series[],
  name: string,
  match: (labels: Record<string, string>) => boolean = () => true,
): number {
  return series.filter((s) => s.name === name && match(s.labels)).reduce((n, s) => n + s.value, 0);
}
