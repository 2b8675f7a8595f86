// The normalisations upstream's own comparison applies, and nothing more.
import { isPlainObject, type PlainObject } from '../../lib/istio/merge';

export const STATUS_ANNOTATION = 'sidecar.istio.io/status';

/** kube-inject: blank the legacy `"version"` key inside every `sidecar.istio.io/status` annotation. */
export function blankStatusVersion(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(blankStatusVersion);
  if (!isPlainObject(v)) return v;
  const out: PlainObject = {};
  for (const [k, x] of Object.entries(v)) {
    out[k] = k === STATUS_ANNOTATION && typeof x === 'string' ? blankVersion(x) : blankStatusVersion(x);
  }
  return out;
}

function blankVersion(status: string): string {
  return status.replace(/"version":"[^"]*"/g, '"version":""');
}

/**
 * webhook: upstream compares the patched Pod and the expected template as Go objects, ignoring the status
 * annotation and fieldRef apiVersion. A Go round trip drops empty lists and maps (omitempty), a null
 * creationTimestamp and empty `resources`/`status` structs, so both sides are reduced the same way.
 */
export function normalizeWebhookPod(pod: PlainObject): PlainObject {
  const meta = isPlainObject(pod.metadata) ? { ...pod.metadata } : {};
  if (isPlainObject(meta.annotations)) {
    const annotations = { ...meta.annotations };
    delete annotations[STATUS_ANNOTATION];
    meta.annotations = annotations;
  }
  return goZeroes({ metadata: meta, spec: pod.spec ?? {} }) as PlainObject;
}

function goZeroes(v: unknown, key = ''): unknown {
  if (Array.isArray(v)) return v.map((x) => goZeroes(x));
  if (!isPlainObject(v)) return v;
  const out: PlainObject = {};
  for (const [k, x] of Object.entries(v)) {
    if (key === 'fieldRef' && k === 'apiVersion') continue;
    if (k === 'creationTimestamp' && x === null) continue;
    if (Array.isArray(x) && x.length === 0) continue;
    const y = goZeroes(x, k);
    const emptyObject = isPlainObject(y) && Object.keys(y).length === 0;
    if (emptyObject && (k === 'resources' || k === 'status' || k === 'labels' || k === 'annotations'))
      continue;
    out[k] = y;
  }
  return out;
}
