// Drift detection without a write: does the live object still carry every value the controller
// wants? Desired is compared as a SUBSET of live, because the apiserver and other controllers add
// fields (defaults, status, annotations) that are not drift. A few apiserver normalisations are
// tolerated: omitted zero values (Go's omitempty), empty lists/maps, canonical quantities.
import { sameQuantity } from './quantity';

// Parent keys whose values are resource quantities.
const QUANTITY_PARENTS = new Set(['requests', 'limits', 'overhead', 'hard', 'capacity', 'allocatable']);
const QUANTITY_KEYS = new Set(['sizeLimit']);

// Server-owned or identity metadata; name/namespace already matched by object key.
const IGNORED_METADATA = new Set([
  'name',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'managedFields',
  'selfLink',
  'generateName',
]);

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function isZero(v: unknown): boolean {
  return (
    v === false ||
    v === 0 ||
    v === '' ||
    (Array.isArray(v) && v.length === 0) ||
    (isPlainObject(v) && Object.keys(v).length === 0)
  );
}

function show(path: string[]): string {
  return path.length === 0 ? '(root)' : path.join('.');
}

/** The first path where live differs from desired, or undefined when live satisfies desired. */
export function firstDifference(desired: unknown, live: unknown, path: string[] = []): string | undefined {
  if (desired === undefined || desired === null) return undefined;
  if (live === undefined || live === null) return isZero(desired) ? undefined : show(path);
  if (desired instanceof Date) return firstDifference(desired.toISOString(), live, path);
  if (Array.isArray(desired)) {
    if (!Array.isArray(live) || live.length !== desired.length) return show(path);
    for (let i = 0; i < desired.length; i++) {
      const d = firstDifference(desired[i], live[i], [...path, String(i)]);
      if (d) return d;
    }
    return undefined;
  }
  if (isPlainObject(desired)) {
    if (!isPlainObject(live)) return show(path);
    const atMetadata = path.length === 1 && path[0] === 'metadata';
    for (const [k, v] of Object.entries(desired)) {
      if (atMetadata && IGNORED_METADATA.has(k)) continue;
      if (path.length === 0 && (k === 'apiVersion' || k === 'kind' || k === 'status')) continue;
      const d = firstDifference(v, live[k], [...path, k]);
      if (d) return d;
    }
    return undefined;
  }
  if (desired === live) return undefined;
  const key = path[path.length - 1] ?? '';
  const parent = path[path.length - 2] ?? '';
  const quantity = QUANTITY_KEYS.has(key) || QUANTITY_PARENTS.has(parent);
  const scalar = (v: unknown): v is string | number => typeof v === 'string' || typeof v === 'number';
  if (quantity && scalar(desired) && scalar(live) && sameQuantity(desired, live)) return undefined;
  return show(path);
}
