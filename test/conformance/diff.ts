// Field-by-field comparison of decoded objects, reporting the first differing paths.
import { isPlainObject } from '../../lib/istio/merge';

export interface Difference {
  path: string;
  want: unknown;
  got: unknown;
}

export const ABSENT = Symbol('absent');

/** Differences between `want` and `got`, depth first, at most `limit`. Empty iff they are equal. */
export function diffObjects(want: unknown, got: unknown, limit = Number.POSITIVE_INFINITY): Difference[] {
  const out: Difference[] = [];
  walk(want, got, '', out, limit);
  return out;
}

function walk(want: unknown, got: unknown, path: string, out: Difference[], limit: number): void {
  if (out.length >= limit) return;
  if (isPlainObject(want) && isPlainObject(got)) {
    const keys = [...new Set([...Object.keys(want), ...Object.keys(got)])].sort();
    for (const k of keys) {
      const w = Object.hasOwn(want, k) ? want[k] : ABSENT;
      const g = Object.hasOwn(got, k) ? got[k] : ABSENT;
      walk(w, g, joinKey(path, k), out, limit);
    }
    return;
  }
  if (Array.isArray(want) && Array.isArray(got)) {
    const n = Math.max(want.length, got.length);
    for (let i = 0; i < n; i++) {
      const w: unknown = i < want.length ? want[i] : ABSENT;
      const g: unknown = i < got.length ? got[i] : ABSENT;
      walk(w, g, `${path}[${i}${elementName(w, g)}]`, out, limit);
    }
    return;
  }
  if (!Object.is(want, got)) out.push({ path: path || '(root)', want, got });
}

// Named list elements (containers, env, volumes) are easier to recognise by name than by index.
function elementName(w: unknown, g: unknown): string {
  const name = (isPlainObject(w) && w.name) || (isPlainObject(g) && g.name);
  return typeof name === 'string' ? `:${name}` : '';
}

function joinKey(path: string, key: string): string {
  if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(key)) return path ? `${path}.${key}` : key;
  return `${path}[${JSON.stringify(key)}]`;
}

export function formatValue(v: unknown, max = 120): string {
  if (v === ABSENT) return '(absent)';
  const s = JSON.stringify(v) ?? String(v);
  return s.length > max ? `${s.slice(0, max - 3)}...` : s;
}

export function formatDifference(d: Difference): string {
  return `${d.path}: want ${formatValue(d.want)} vs got ${formatValue(d.got)}`;
}
