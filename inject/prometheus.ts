// Prometheus metrics merge: the agent serves app and Envoy metrics together on the status port, so the
// pod's prometheus.io/* annotations are pointed there; the app's own scrape settings are handed to the
// agent in ISTIO_PROMETHEUS_ANNOTATIONS. A pod that opts out (`prometheus.io/scrape: false`, or the same key
// in another spelling, see scrapeOptOut) is left alone.
import type { V1Container, V1ObjectMeta } from '@kubernetes/client-node';
import type { MeshConfig } from '../lib/istio/mesh';
import { A, parseGoBool } from './annotations';
import type { VersionBehaviour } from './versions';
import { PROMETHEUS } from '../lib/istio/names';

export const SCRAPE = PROMETHEUS.scrape;
export const PORT = PROMETHEUS.port;
export const PATH = PROMETHEUS.path;
const MERGED_PATH = '/stats/prometheus';

export function prometheusMergeEnabled(annotations: Record<string, string>, mesh: MeshConfig): boolean {
  return parseGoBool(annotations[A.prometheusMerge]) ?? mesh.enablePrometheusMerge !== false;
}

/** An annotation key as a Prometheus label name: every character outside `[a-zA-Z0-9_]` becomes `_`. */
export function labelName(key: string): string {
  return key.replace(/[^a-zA-Z0-9_]/g, '_');
}

const SCRAPE_LABEL = labelName(SCRAPE);

/**
 * `labelName(key) === label`, with the regex run only on keys of the label's length (labelName maps
 * character to character): most of a pod's annotations are ruled out by length, on every admission.
 */
function readsAs(key: string, label: string): boolean {
  return key.length === label.length && labelName(key) === label;
}

/**
 * Whether the pod opts out of scraping, istiod's rule: every annotation whose key reads as
 * `prometheus_io_scrape` once made a label name (`prometheus.io/scrape`, the legacy `prometheus.io.scrape`,
 * ...) is looked at, and a Go-bool false in any of them opts out; values that are not Go bools do not
 * count. So no key wins over another: one false is enough, whatever the order of the keys.
 */
export function scrapeOptOut(annotations: Record<string, string>): boolean {
  return Object.entries(annotations).some(([k, v]) => readsAs(k, SCRAPE_LABEL) && parseGoBool(v) === false);
}

export const SCRAPE_TARGETS = PROMETHEUS.scrapeTargets;
export const SECURE_PORT = PROMETHEUS.securePort;
const PORT_LABEL = labelName(PORT);
const PATH_LABEL = labelName(PATH);
const SECURE_MERGED_PORT_ENV = 'ENVOY_SECURE_MERGED_METRICS_PORT';

/** Data-plane ports the agent and Envoy own: scraping them as the app's metrics is refused (1.31). */
export const RESERVED_PORTS: Readonly<Record<string, string>> = {
  '15000': 'Envoy admin',
  '15001': 'outbound traffic capture',
  '15004': 'pilot debug',
  '15006': 'inbound traffic capture',
  '15008': 'HBONE tunnel',
  '15020': 'agent status and merged metrics',
  '15021': 'Envoy health',
  '15053': 'DNS proxy',
  '15090': 'Envoy Prometheus',
};

export interface PrometheusMergeOptions {
  behaviour: Pick<
    VersionBehaviour,
    'prometheusScrapeTargets' | 'prometheusPortValidation' | 'prometheusSecurePort'
  >;
  /** The proxy's metadata env (ProxyConfig proxyMetadata), for the secure merged-metrics port. */
  proxyMetadata: Record<string, string>;
}

interface ScrapeTarget {
  port: string;
  path: string;
}

/**
 * Points the pod's scrape annotations at the agent. Returns an error message when the app's own scrape
 * settings are invalid for the version (the pod is then rejected), else undefined.
 */
export function applyPrometheusMerge(
  meta: V1ObjectMeta,
  mesh: MeshConfig,
  targetPort: string,
  sidecar: V1Container | undefined,
  opts: PrometheusMergeOptions,
): string | undefined {
  const a = (meta.annotations ??= {});
  if (!prometheusMergeEnabled(a, mesh)) return undefined;
  if (scrapeOptOut(a)) return undefined;
  // Already pointed at the agent: set by the user or, more likely, by a previous injection (a re-injection
  // keeps them as they are, as istiod does; the previous proxy's ISTIO_PROMETHEUS_ANNOTATIONS is gone).
  const port = byLabel(a, PORT_LABEL);
  if (port === targetPort) return undefined;
  const sc = { scrape: byLabel(a, SCRAPE_LABEL) ?? '', path: byLabel(a, PATH_LABEL) ?? '', port: port ?? '' };
  let targets: ScrapeTarget[] = [];
  if (opts.behaviour.prometheusScrapeTargets && a[SCRAPE_TARGETS] !== undefined) {
    const parsed = parseScrapeTargets(a[SCRAPE_TARGETS]);
    if (typeof parsed === 'string') return parsed;
    targets = parsed;
    // The first target doubles as the single-endpoint settings older agents read.
    if (targets.length > 0) {
      if (sc.port === '') sc.port = targets[0].port;
      if (sc.path === '') sc.path = targets[0].path;
    }
  }
  if (opts.behaviour.prometheusPortValidation) {
    for (const p of [...(port !== undefined ? [port] : []), ...targets.map((t) => t.port)]) {
      const bad = invalidScrapePort(p, targetPort);
      if (bad) return bad;
    }
  }
  if (sidecar && (sc.scrape !== '' || sc.path !== '' || sc.port !== '' || targets.length > 0)) {
    // Go struct order, every key present (the agent's struct has no omitempty but on targets).
    const value = targets.length ? { ...sc, targets } : sc;
    (sidecar.env ??= []).push({ name: 'ISTIO_PROMETHEUS_ANNOTATIONS', value: JSON.stringify(value) });
  }
  // Every spelling of the keys goes (Prometheus reads them all and would pick one at random), then ours.
  for (const k of Object.keys(a)) {
    if (readsAs(k, SCRAPE_LABEL) || readsAs(k, PORT_LABEL) || readsAs(k, PATH_LABEL)) delete a[k];
  }
  if (opts.behaviour.prometheusScrapeTargets) delete a[SCRAPE_TARGETS];
  a[PORT] = targetPort;
  a[PATH] = MERGED_PATH;
  a[SCRAPE] = 'true';
  const secure = opts.proxyMetadata[SECURE_MERGED_PORT_ENV];
  if (opts.behaviour.prometheusSecurePort && secure) a[SECURE_PORT] = secure;
  return undefined;
}

/**
 * The pod's annotations as its workload's template had them before an injection merged its scrape settings
 * into the agent's (undefined when the proxy's ISTIO_PROMETHEUS_ANNOTATIONS, `agentEnv`, records none). A
 * re-injection of an injected pod keeps the merged annotations and drops that env (as istiod's does), so a
 * caller asking "what would a restart of this workload inject" (the sidecar census) restores them first.
 */
export function unmergedPrometheusAnnotations(
  annotations: Readonly<Record<string, string>>,
  agentEnv: string | undefined,
): Record<string, string> | undefined {
  if (agentEnv === undefined) return undefined;
  let recorded: unknown;
  try {
    recorded = JSON.parse(agentEnv);
  } catch {
    return undefined;
  }
  if (typeof recorded !== 'object' || recorded === null || Array.isArray(recorded)) return undefined;
  const r = recorded as Record<string, unknown>;
  const out = { ...annotations };
  for (const k of [SCRAPE, PORT, PATH, SECURE_PORT]) delete out[k];
  const keys: [string, unknown][] = [
    [SCRAPE, r.scrape],
    [PORT, r.port],
    [PATH, r.path],
  ];
  for (const [k, v] of keys) if (typeof v === 'string' && v !== '') out[k] = v;
  if (Array.isArray(r.targets) && r.targets.length > 0) {
    out[SCRAPE_TARGETS] = (r.targets as ScrapeTarget[]).map((t) => `${t.port}:${t.path}`).join(',');
  }
  return out;
}

// The value of the last annotation whose key reads as `label` once made a label name.
function byLabel(a: Record<string, string>, label: string): string | undefined {
  let v: string | undefined;
  for (const [k, val] of Object.entries(a)) if (readsAs(k, label)) v = val;
  return v;
}

/** `port:path,...`; blanks skipped, an empty path is `/metrics`, an empty port is an error. */
export function parseScrapeTargets(raw: string): ScrapeTarget[] | string {
  const out: ScrapeTarget[] = [];
  for (const entry of raw.split(',').map((e) => e.trim())) {
    if (entry === '') continue;
    const i = entry.indexOf(':');
    const port = (i < 0 ? entry : entry.slice(0, i)).trim();
    const path = i < 0 ? '' : entry.slice(i + 1).trim();
    if (port === '') {
      return `invalid value '${raw}' for annotation '${SCRAPE_TARGETS}': empty port in scrape target "${entry}"`;
    }
    out.push({ port, path: path || '/metrics' });
  }
  return out;
}

/** Why a scrape port cannot be the app's metrics port (not a port, the agent's own, or reserved). */
export function invalidScrapePort(port: string, agentPort: string): string | undefined {
  const n = /^\d+$/.test(port) ? Number(port) : NaN;
  const what = `invalid prometheus scrape configuration: port "${port}"`;
  if (!Number.isInteger(n) || n < 1 || n > 65535) return `${what} is not a port number`;
  if (String(n) === agentPort) return `${what} is the agent's port, which would scrape itself`;
  const reason = RESERVED_PORTS[String(n)];
  if (reason) return `${what} is reserved for Istio (${reason}) and cannot be scraped`;
  return undefined;
}
