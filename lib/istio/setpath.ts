// IstioOperator `--set path=value` flags (istioctl's form) parsed into overlay objects.
//   values.global.proxy.statusPort=123        -> { values: { global: { proxy: { statusPort: 123 } } } }
//   spec.components.cni.enabled=true          -> the `spec.` prefix is optional
//   a.b[0].c=x, a.b[name:foo].c=x             -> list index / list element selected by a key
//   values.global.proxy.excludeIPRanges=1.1.0.0/16\,2.2.0.0/16   -> `\,` is a literal comma
// Values are typed as istioctl types them: integers, then floats, then Go booleans, else strings;
// a quoted value ("..." or '...') is always a string.
import { deepClone, isPlainObject, put, type PlainObject } from './merge';

export type PathSegment =
  | { kind: 'key'; key: string }
  | { kind: 'index'; index: number }
  | { kind: 'select'; key: string; value: string };

export interface SetFlag {
  path: PathSegment[];
  value: unknown;
}

export class SetPathError extends Error {}

/** Top-level fields of an IstioOperator spec a path may start with (a typo must not pass silently). */
export const IOP_SPEC_FIELDS: readonly string[] = [
  'profile',
  'hub',
  'tag',
  'revision',
  'namespace',
  'meshConfig',
  'values',
  'unvalidatedValues',
  'components',
  'installPackagePath',
  'compatibilityVersion',
  'sidecarRollout',
];

export function parseSetFlag(flag: string): SetFlag {
  const eq = flag.indexOf('=');
  if (eq < 0) throw new SetPathError(`--set ${JSON.stringify(flag)}: expected path=value`);
  const path = parseSetPath(flag.slice(0, eq), flag);
  return { path, value: coerceSetValue(flag.slice(eq + 1)) };
}

export function parseSetPath(raw: string, context = raw): PathSegment[] {
  const fail = (why: string): never => {
    throw new SetPathError(`--set ${JSON.stringify(context)}: ${why}`);
  };
  const segs: PathSegment[] = [];
  let i = 0;
  let key = '';
  let keyStarted = false;
  // After a `]` only `.`, `[` or the end may follow.
  let afterBracket = false;
  const endKey = (): void => {
    if (keyStarted) {
      if (key === '') fail('empty path element');
      segs.push({ kind: 'key', key });
    }
    key = '';
    keyStarted = false;
  };
  while (i < raw.length) {
    const c = raw[i];
    if (c === '\\') {
      if (i + 1 >= raw.length) fail('path ends with a backslash');
      if (afterBracket) fail(`unexpected text after "]" at offset ${i}`);
      key += raw[i + 1];
      keyStarted = true;
      i += 2;
    } else if (c === '.') {
      if (!keyStarted && !afterBracket) fail(`empty path element at offset ${i}`);
      endKey();
      afterBracket = false;
      i++;
      if (i >= raw.length) fail('path ends with "."');
      keyStarted = true;
    } else if (c === '[') {
      if (!keyStarted && !afterBracket) fail(`list index without a field at offset ${i}`);
      endKey();
      const close = raw.indexOf(']', i);
      if (close < 0) fail(`unclosed "[" at offset ${i}`);
      segs.push(parseBracket(raw.slice(i + 1, close), fail));
      i = close + 1;
      afterBracket = true;
    } else if (c === ']') {
      fail(`unexpected "]" at offset ${i}`);
    } else {
      if (afterBracket) fail(`unexpected text after "]" at offset ${i}`);
      key += c;
      keyStarted = true;
      i++;
    }
  }
  endKey();
  if (segs.length === 0) fail('empty path');
  // `spec.` is optional: paths name fields of the IstioOperator spec.
  if (segs.length > 1 && segs[0].kind === 'key' && segs[0].key === 'spec') segs.shift();
  const first = segs[0];
  if (first.kind !== 'key') fail('path must start with a field name');
  else if (!IOP_SPEC_FIELDS.includes(first.key)) {
    fail(
      `unknown IstioOperator field ${JSON.stringify(first.key)} (expected one of ${IOP_SPEC_FIELDS.join(', ')})`,
    );
  }
  return segs;
}

function parseBracket(inner: string, fail: (why: string) => never): PathSegment {
  if (/^\d+$/.test(inner)) return { kind: 'index', index: Number(inner) };
  const colon = inner.indexOf(':');
  if (colon > 0 && colon < inner.length - 1) {
    return { kind: 'select', key: inner.slice(0, colon), value: inner.slice(colon + 1) };
  }
  return fail(`bad list index [${inner}] (expected [N] or [key:value])`);
}

const INT = /^[+-]?\d+$/;
const FLOAT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
// Go's strconv.ParseBool spellings (istioctl uses it); "1"/"0" are integers first.
const TRUE = new Set(['t', 'T', 'true', 'TRUE', 'True']);
const FALSE = new Set(['f', 'F', 'false', 'FALSE', 'False']);

export function coerceSetValue(raw: string): unknown {
  const q = raw[0];
  if (raw.length >= 2 && (q === '"' || q === "'") && raw[raw.length - 1] === q) {
    return unescapeCommas(raw.slice(1, -1));
  }
  if (INT.test(raw)) {
    const n = Number(raw);
    // Beyond 2^53 a number would silently lose digits; keep the text.
    return Number.isSafeInteger(n) ? n : raw;
  }
  if (FLOAT.test(raw)) return Number(raw);
  if (TRUE.has(raw)) return true;
  if (FALSE.has(raw)) return false;
  return unescapeCommas(raw);
}

function unescapeCommas(s: string): string {
  return s.replace(/\\,/g, ',');
}

/** The overlay object a list of `--set` flags amounts to, applied in order. */
export function setFlagsToOverlay(flags: readonly string[]): PlainObject {
  let tree: PlainObject = {};
  for (const f of flags) tree = applySetFlag(tree, parseSetFlag(f));
  return tree;
}

/**
 * Returns a copy of `tree` with the flag's value set at its path, creating objects and lists on the way.
 * On a fully merged tree this is exact for list paths; as an overlay, a list built here replaces the base list.
 */
export function applySetFlag(tree: PlainObject, flag: SetFlag): PlainObject {
  return setAt(tree, flag.path, 0, flag.value) as PlainObject;
}

function setAt(node: unknown, path: PathSegment[], at: number, value: unknown): unknown {
  if (at === path.length) return deepClone(value);
  const seg = path[at];
  if (seg.kind === 'key') {
    const obj: PlainObject = isPlainObject(node) ? { ...node } : {};
    put(obj, seg.key, setAt(Object.hasOwn(obj, seg.key) ? obj[seg.key] : undefined, path, at + 1, value));
    return obj;
  }
  const list: unknown[] = Array.isArray(node) ? [...node] : [];
  if (seg.kind === 'index') {
    if (seg.index > list.length) {
      throw new SetPathError(`list index [${seg.index}] is past the end of a list of ${list.length}`);
    }
    list[seg.index] = setAt(list[seg.index], path, at + 1, value);
    return list;
  }
  const found = list.findIndex(
    (e) => isPlainObject(e) && e[seg.key] !== undefined && String(e[seg.key]) === seg.value,
  );
  const idx = found >= 0 ? found : list.length;
  const base = found >= 0 ? list[found] : { [seg.key]: seg.value };
  list[idx] = setAt(base, path, at + 1, value);
  return list;
}
