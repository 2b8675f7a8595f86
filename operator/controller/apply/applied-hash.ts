// A stable hash of a desired object, written as an annotation when it is applied. Equal hashes mean
// the controller's intent did not change since the last apply; together with live-match.ts (has
// anyone changed what we set?) it decides that an apply can be skipped.
import { createHash } from 'crypto';
import type { KubernetesObject } from '@kubernetes/client-node';
import { compareOrdinal } from '../../../lib/compare';

/** JSON with object keys sorted, so the hash does not depend on construction order. */
export function stableJson(value: unknown): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  const entries = Object.entries(value)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => compareOrdinal(a, b));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
}

export function appliedHash(desired: KubernetesObject): string {
  return createHash('sha256').update(stableJson(desired)).digest('hex').slice(0, 20);
}
