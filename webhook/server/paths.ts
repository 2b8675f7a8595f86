// Webhook URL paths. Upstream istiod accepts `/inject` followed by key/value segments; `cluster` and
// `net` set the proxy's cluster ID and network. Meshwright adds `rev/<revision>` so one process can
// serve several control-plane revisions (each revision's webhooks point at their own path).
import type { InjectionConfig } from '../../inject/api';

export interface InjectTarget {
  revision: string;
  cluster?: string;
  network?: string;
}

const KEYS: Record<string, keyof InjectTarget> = { cluster: 'cluster', net: 'network', rev: 'revision' };

/**
 * Parses `/inject[/cluster/<c>][/net/<n>][/rev/<r>]` (pairs in any order, a trailing slash allowed).
 * Returns an error for other paths so that a mistyped webhook URL fails loudly instead of injecting
 * with the wrong settings.
 */
export function parseInjectPath(path: string, defaultRevision: string): InjectTarget | { error: string } {
  const q = path.indexOf('?');
  const clean = (q >= 0 ? path.slice(0, q) : path).replace(/\/+$/, '');
  const segments = clean.split('/').slice(1);
  if (segments[0] !== 'inject') return { error: `unknown path ${JSON.stringify(clean)}` };
  const rest = segments.slice(1);
  if (rest.length % 2 !== 0)
    return { error: `path ${JSON.stringify(clean)} must be /inject followed by key/value pairs` };
  const target: InjectTarget = { revision: defaultRevision };
  const seen = new Set<string>();
  for (let i = 0; i < rest.length; i += 2) {
    const key = rest[i];
    // Own keys only: `constructor` or `__proto__` are unknown parameters, not Object's properties.
    const field = Object.hasOwn(KEYS, key) ? KEYS[key] : undefined;
    if (!field) return { error: `unknown path parameter ${JSON.stringify(key)} (want cluster, net or rev)` };
    if (seen.has(key)) return { error: `path parameter ${JSON.stringify(key)} given twice` };
    seen.add(key);
    let value: string;
    try {
      value = decodeURIComponent(rest[i + 1]);
    } catch {
      return { error: `path parameter ${JSON.stringify(key)} is not valid URL encoding` };
    }
    if (value === '') return { error: `path parameter ${JSON.stringify(key)} is empty` };
    target[field] = value;
  }
  return target;
}

// Derived configs are memoized per base config so that the engine's per-config cache (keyed by object
// identity) keeps hitting for every request on the same path. Bounded: the values come from the URL,
// and anyone reaching the port could otherwise grow the memo (and the engine's cache) without limit by
// sending unique /inject/cluster/<x> paths. Real registrations use a handful of paths.
export const MAX_DERIVED_CONFIGS = 64;
const derived = new WeakMap<InjectionConfig, Map<string, InjectionConfig>>();

/** Applies `cluster`/`net` path values as the values that set the proxy's ISTIO_META_CLUSTER_ID/NETWORK. */
export function applyPathOverrides(cfg: InjectionConfig, target: InjectTarget): InjectionConfig {
  if (target.cluster === undefined && target.network === undefined) return cfg;
  const key = JSON.stringify([target.cluster, target.network]);
  let byPath = derived.get(cfg);
  if (!byPath) derived.set(cfg, (byPath = new Map()));
  let out = byPath.get(key);
  if (!out) {
    // Map keeps insertion order: the oldest entry goes first.
    if (byPath.size >= MAX_DERIVED_CONFIGS) byPath.delete(byPath.keys().next().value as string);
    byPath.set(key, (out = withPathValues(cfg, target)));
  }
  return out;
}

function withPathValues(cfg: InjectionConfig, target: InjectTarget): InjectionConfig {
  const global = { ...(cfg.values.global ?? {}) };
  if (target.network !== undefined) global.network = target.network;
  if (target.cluster !== undefined) {
    const mc = global.multiCluster;
    const multiCluster = typeof mc === 'object' && mc !== null && !Array.isArray(mc) ? { ...mc } : {};
    global.multiCluster = { ...multiCluster, clusterName: target.cluster };
  }
  return { ...cfg, values: { ...cfg.values, global } };
}
