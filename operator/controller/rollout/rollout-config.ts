// spec.sidecarRollout (Meshwright extension, designed in docs/crds.md) read from the raw
// IstioOperator with the schema's defaults, so the controller works even if defaults were not
// applied (e.g. a CRD installed without them).

export interface RolloutConfig {
  enabled: boolean;
  batchSize: number;
  pauseMs: number;
  readyTimeoutMs: number;
  /** Absolute count or a percentage string ("10%") of the candidates; undefined: batchSize. */
  maxUnavailable?: number | string;
  namespaceLabels: Record<string, string>;
}

function num(v: unknown, fallback: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}

export function rolloutConfig(spec: unknown): RolloutConfig {
  const s = (
    typeof spec === 'object' && spec !== null ? (spec as Record<string, unknown>).sidecarRollout : undefined
  ) as Record<string, unknown> | undefined;
  const selector = (s?.namespaceSelector ?? {}) as { matchLabels?: Record<string, string> };
  const maxUnavailable = s?.maxUnavailable;
  return {
    enabled: s?.enabled === true,
    batchSize: Math.max(1, num(s?.batchSize, 5)),
    pauseMs: num(s?.pauseSeconds, 30) * 1000,
    readyTimeoutMs: num(s?.readyTimeoutSeconds, 600) * 1000,
    maxUnavailable:
      typeof maxUnavailable === 'number' || typeof maxUnavailable === 'string' ? maxUnavailable : undefined,
    namespaceLabels: selector.matchLabels ?? {},
  };
}

/** maxUnavailable as a count: a percentage is taken of the number of candidates, rounded up. */
export function unavailableCap(cfg: RolloutConfig, candidates: number): number {
  const m = cfg.maxUnavailable;
  if (m === undefined) return cfg.batchSize;
  if (typeof m === 'number') return Math.max(1, m);
  const pct = /^(\d+)%$/.exec(m);
  if (!pct) return cfg.batchSize;
  return Math.max(1, Math.ceil((candidates * Number(pct[1])) / 100));
}
