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
    const wn = uniqueNames(want);
    const gn = uniqueNames(got);
    if (wn && gn) return walkNamed(want, got, wn, gn, path, out, limit);
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

// Lists of uniquely named objects (containers, env, volumes) are compared by name, so one missing or
// extra element reads as such instead of shifting every later index; then their order is checked.
function walkNamed(
  want: unknown[],
  got: unknown[],
  wn: string[],
  gn: string[],
  path: string,
  out: Difference[],
  limit: number,
): void {
  const gotIndex = new Map(gn.map((n, i) => [n, i]));
  const wantIndex = new Map(wn.map((n, i) => [n, i]));
  for (const [i, n] of wn.entries()) {
    const j = gotIndex.get(n);
    walk(want[i], j === undefined ? ABSENT : got[j], `${path}[${i}:${n}]`, out, limit);
  }
  for (const [j, n] of gn.entries()) {
    if (!wantIndex.has(n)) walk(ABSENT, got[j], `${path}[${j}:${n}]`, out, limit);
  }
  const common = (names: string[], other: Map<string, number>) => names.filter((n) => other.has(n));
  const wOrder = common(wn, gotIndex);
  const gOrder = common(gn, wantIndex);
  const k = wOrder.findIndex((n, i) => gOrder[i] !== n);
  if (out.length < limit && k >= 0) {
    out.push({
      path: `${path} (order from ${k})`,
      want: wOrder.slice(k, k + 4),
      got: gOrder.slice(k, k + 4),
    });
  }
}

function uniqueNames(list: unknown[]): string[] | undefined {
  const names = list.map((e) => (isPlainObject(e) && typeof e.name === 'string' ? e.name : undefined));
  if (names.some((n) => n === undefined) || new Set(names).size !== names.length) return undefined;
  return names as string[];
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
