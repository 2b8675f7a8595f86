// Prometheus metrics merge: the agent serves app and Envoy metrics together on the status port, so the
// pod's prometheus.io/* annotations are pointed there; the app's own scrape settings are handed to the
// agent in ISTIO_PROMETHEUS_ANNOTATIONS. A pod that opts out (`prometheus.io/scrape: false`, or the same key
// in another spelling, see scrapeOptOut) is left alone.
import type { V1Container, V1ObjectMeta } from '@kubernetes/client-node';
import type { MeshConfig } from '../../lib/istio/mesh';
import { A, parseGoBool } from './annotations';

export const SCRAPE = 'prometheus.io/scrape';
export const PORT = 'prometheus.io/port';
export const PATH = 'prometheus.io/path';
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
 * Whether the pod opts out of scraping, istiod's rule: every annotation whose key reads as
 * `prometheus_io_scrape` once made a label name (`prometheus.io/scrape`, the legacy `prometheus.io.scrape`,
 * ...) is looked at, and a Go-bool false in any of them opts out; values that are not Go bools do not
 * count. So no key wins over another: one false is enough, whatever the order of the keys.
 */
export function scrapeOptOut(annotations: Record<string, string>): boolean {
  return Object.entries(annotations).some(
    ([k, v]) => labelName(k) === SCRAPE_LABEL && parseGoBool(v) === false,
  );
}

export function applyPrometheusMerge(
  meta: V1ObjectMeta,
  mesh: MeshConfig,
  targetPort: string,
  sidecar: V1Container | undefined,
): void {
  const a = (meta.annotations ??= {});
  if (!prometheusMergeEnabled(a, mesh)) return;
  if (scrapeOptOut(a)) return;
  // Already pointed at the agent: set by the user or, more likely, by a previous injection (a re-injection
  // keeps them as they are, as istiod does; the previous proxy's ISTIO_PROMETHEUS_ANNOTATIONS is gone).
  if (a[PORT] === targetPort) return;
  if (sidecar && (a[SCRAPE] !== undefined || a[PORT] !== undefined || a[PATH] !== undefined)) {
    const sc: Record<string, string> = {};
    if (a[SCRAPE] !== undefined) sc.scrape = a[SCRAPE];
    if (a[PATH] !== undefined) sc.path = a[PATH];
    if (a[PORT] !== undefined) sc.port = a[PORT];
    (sidecar.env ??= []).push({ name: 'ISTIO_PROMETHEUS_ANNOTATIONS', value: JSON.stringify(sc) });
  }
  a[SCRAPE] = 'true';
  a[PORT] = targetPort;
  a[PATH] = MERGED_PATH;
}
