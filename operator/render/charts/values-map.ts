// IstioOperator trees as istioctl handles them before Helm: untyped maps addressed by dotted paths.
//   a.b.c          map keys (`\.` is a literal dot inside a key)
//   a.b[2].c       list index; past the end appends
//   a.b[name:x].c  the list item whose `name` is `x` (must exist when setting below it)
// mergeFrom is istioctl's merge: maps merge recursively, everything else (lists, scalars, null) replaces.
// A null is kept, not deleted: Helm then drops the chart default it overrides.
import { deepClone, isPlainObject, put, type PlainObject } from '../../../lib/istio/merge';
import { errorMessage } from '../../../lib/errors';

export class PathError extends Error {}

/** Splits a path on unescaped dots; `key[..]` becomes two segments, as istioctl's splitPath. */
export function splitPath(path: string): string[] {
  const trimmed = path.replace(/^\.+/, '').replace(/\.+$/, '');
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < trimmed.length; i++) {
    const c = trimmed[i];
    if (c === '.' && trimmed[i - 1] !== '\\') {
      parts.push(cur);
      cur = '';
    } else cur += c;
  }
  parts.push(cur);
  const out: string[] = [];
  for (const raw of parts) {
    if (raw === '') continue;
    const p = raw.replace(/\\\./g, '.');
    const b = p.indexOf('[');
    if (b > 0) out.push(p.slice(0, b), p.slice(b));
    else out.push(p);
  }
  return out;
}

function bracket(seg: string): { index?: number; key?: string; value?: string } | undefined {
  if (!seg.startsWith('[') || !seg.endsWith(']')) return undefined;
  const inner = seg.slice(1, -1);
  if (/^-?\d+$/.test(inner)) return { index: Number(inner) };
  const colon = inner.indexOf(':');
  if (colon < 0) return undefined;
  return { key: inner.slice(0, colon), value: inner.slice(colon + 1) };
}

/** The value at `path`, or undefined when any step is missing. */
export function getPath(root: unknown, path: string): unknown {
  let cur: unknown = root;
  for (const seg of splitPath(path)) {
    const b = bracket(seg);
    if (b) {
      if (!Array.isArray(cur)) return undefined;
      if (b.index !== undefined) cur = cur[b.index];
      else cur = cur.find((x) => isPlainObject(x) && x[b.key ?? ''] === b.value);
    } else {
      if (!isPlainObject(cur) || !Object.hasOwn(cur, seg)) return undefined;
      cur = cur[seg];
    }
    if (cur === undefined) return undefined;
  }
  return cur;
}

export const getString = (root: unknown, path: string): string => {
  const v = getPath(root, path);
  return typeof v === 'string' ? v : '';
};

export const getBool = (root: unknown, path: string): boolean => getPath(root, path) === true;

export function getMap(root: unknown, path: string): PlainObject | undefined {
  const v = getPath(root, path);
  return isPlainObject(v) ? v : undefined;
}

/** Sets `value` at `path` in place, creating maps (and lists before a `[..]`) on the way. */
export function setPath(root: PlainObject, path: string, value: unknown): void {
  const segs = splitPath(path);
  if (segs.length === 0) throw new PathError(`empty path`);
  setIn(root, segs, value, path);
}

function setIn(base: PlainObject, segs: string[], value: unknown, full: string): void {
  const seg = segs[0];
  const next = segs[1];
  const nb = next === undefined ? undefined : bracket(next);
  if (nb) {
    if (!Array.isArray(base[seg])) put(base, seg, []);
    const list = base[seg] as unknown[];
    let index: number;
    if (nb.key !== undefined) {
      index = list.findIndex((x) => isPlainObject(x) && x[nb.key ?? ''] === nb.value);
      if (index < 0) throw new PathError(`${full}: no list item [${nb.key}:${nb.value}] under ${seg}`);
    } else index = nb.index ?? -1;
    const rest = segs.slice(2);
    if (index < 0 || index >= list.length) {
      if (rest.length === 0) list.push(value);
      else {
        const m: PlainObject = {};
        setIn(m, rest, value, full);
        list.push(m);
      }
    } else if (rest.length === 0) {
      list[index] = value;
    } else {
      const item = isPlainObject(list[index]) ? (list[index] as PlainObject) : {};
      setIn(item, rest, value, full);
      list[index] = item;
    }
    return;
  }
  if (bracket(seg)) throw new PathError(`${full}: a list index must follow a field name`);
  if (segs.length === 1) {
    put(base, seg, value);
    return;
  }
  if (!isPlainObject(base[seg])) put(base, seg, {});
  setIn(base[seg] as PlainObject, segs.slice(1), value, full);
}

/** istioctl's merge, in place on `base`: maps recurse, anything else from `other` replaces. */
export function mergeFrom(base: PlainObject, other: PlainObject): PlainObject {
  for (const [k, v] of Object.entries(other)) {
    const bv = base[k];
    if (isPlainObject(v) && isPlainObject(bv)) mergeFrom(bv, v);
    else put(base, k, deepClone(v));
  }
  return base;
}

/** `{a: {b: {c: value}}}` for path segments a, b, c. */
export function makeMap(value: unknown, ...path: string[]): PlainObject {
  let out: unknown = value;
  for (let i = path.length - 1; i >= 0; i--) out = { [path[i]]: out };
  return out as PlainObject;
}

// Paths whose --set values stay strings (a tag `1.30` must not become the number 1.3).
const ALWAYS_STRING = [
  'spec.values.compatibilityVersion',
  'spec.tag',
  'spec.values.global.tag',
  'spec.meshConfig.defaultConfig.proxyMetadata.',
  'spec.values.meshConfig.defaultConfig.proxyMetadata.',
  'spec.compatibilityVersion',
];

const INT = /^[+-]?\d+$/;
const FLOAT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$|^[+-]?(inf|infinity|nan)$/i;
const BOOL = new Map([
  ...['1', 't', 'T', 'true', 'TRUE', 'True'].map((s) => [s, true] as const),
  ...['0', 'f', 'F', 'false', 'FALSE', 'False'].map((s) => [s, false] as const),
]);

/** Types a --set value as istioctl does: integer, then float, then Go boolean, else string. */
export function parseSetValue(raw: string): unknown {
  if (INT.test(raw)) {
    const n = Number(raw);
    return Number.isSafeInteger(n) ? n : raw;
  }
  if (FLOAT.test(raw) && Number.isFinite(Number(raw))) return Number(raw);
  const b = BOOL.get(raw);
  if (b !== undefined) return b;
  return raw.replace(/\\,/g, ',');
}

/** Applies `path=value` flags (paths relative to `spec.`) to an IstioOperator map, in order. */
export function setSpecPaths(iop: PlainObject, flags: readonly string[]): void {
  for (const flag of flags) {
    const eq = flag.indexOf('=');
    // Without `=` istioctl sets the whole flag as a path to ''.
    const path = `spec.${(eq < 0 ? flag : flag.slice(0, eq)).trim()}`;
    const raw = eq < 0 ? '' : flag.slice(eq + 1).trim();
    const value = ALWAYS_STRING.some((p) => path.startsWith(p)) ? raw : parseSetValue(raw);
    try {
      setPath(iop, path, value);
    } catch (err) {
      throw new PathError(`--set ${flag}: ${errorMessage(err)}`);
    }
  }
}
