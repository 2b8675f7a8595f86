// JSON with object keys sorted (code-unit order), so equal values serialize equal whatever the order their
// keys were set in: what the applied-object hash, the status patch's change check and the render cache's
// key compare. Undefined properties are left out, as JSON.stringify does; undefined alone or in an array is
// null; a Date is its ISO string.
import { compareOrdinal } from './compare';

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
