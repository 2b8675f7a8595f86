// Prometheus metrics merge: the agent serves app and Envoy metrics together on the status port, so the
// pod's prometheus.io/* annotations are pointed there; the app's own scrape settings are handed to the
// agent in ISTIO_PROMETHEUS_ANNOTATIONS. An explicit `prometheus.io/scrape: false` is left alone.
import type { V1Container, V1ObjectMeta } from '@kubernetes/client-node';
import type { MeshConfig } from '../../lib/istio/mesh';
import { A, parseGoBool } from './annotations';

export const SCRAPE = 'prometheus.io/scrape';
export const PORT = 'prometheus.io/port';
export const PATH = 'prometheus.io/path';
// Some users write the legacy dotted form; it is honoured for opting out.
const LEGACY_SCRAPE = 'prometheus.io.scrape';
const MERGED_PATH = '/stats/prometheus';

export function prometheusMergeEnabled(annotations: Record<string, string>, mesh: MeshConfig): boolean {
  return parseGoBool(annotations[A.prometheusMerge]) ?? mesh.enablePrometheusMerge !== false;
}

/** Removes merge annotations a previous injection set (re-injection), leaving user-set ones. */
export function clearMergedAnnotations(meta: V1ObjectMeta, targetPort: string): void {
  const a = meta.annotations;
  if (a && a[PORT] === targetPort) {
    delete a[SCRAPE];
    delete a[PORT];
    delete a[PATH];
  }
}

export function applyPrometheusMerge(
  meta: V1ObjectMeta,
  mesh: MeshConfig,
  targetPort: string,
  sidecar: V1Container | undefined,
): void {
  const a = (meta.annotations ??= {});
  if (!prometheusMergeEnabled(a, mesh)) return;
  if (a[PORT] === targetPort) return;
  const scrape = parseGoBool(a[SCRAPE] ?? a[LEGACY_SCRAPE]) ?? true;
  if (!scrape) return;
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
