// Go value semantics over JSON-shaped data, as text/template applies them to istiod's template data.
// `undefined` is Go's invalid value (a missing map key, printed `<no value>`), `null` is nil.
// Go struct fields (`.Spec.Containers`, `$c.Name`, `.TypeMeta.APIVersion`) resolve to their JSON keys;
// a field of a known struct (the data's top-level objects) absent in the JSON reads as its zero value,
// which for the fields templates print or compare is the empty string; a missing map key is invalid. Proto getters (`GetTracing`, `GetValue`) and `String` work
// on the JSON form of the message.
import { TemplateError } from './lex';

type Obj = Record<string, unknown>;

/** Objects that are Go structs (always true in a condition, even with no fields set). */
export const STRUCTS = new WeakSet<object>();
/** Maps whose elements are strings: a missing key indexes as "" (Go's zero value), not `<no value>`. */
export const STRING_MAPS = new WeakSet<object>();

export function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Go's truth: false, 0, "", nil, empty slices and maps are false; structs are true. */
export function truth(v: unknown): boolean {
  if (v === undefined || v === null) return false;
  switch (typeof v) {
    case 'boolean':
      return v;
    case 'number':
      return v !== 0;
    case 'string':
      return v !== '';
    case 'object':
      if (Array.isArray(v)) return v.length > 0;
      return STRUCTS.has(v) || Object.keys(v).length > 0;
    default:
      return true;
  }
}

const lowerFirst = (s: string): string => s.charAt(0).toLowerCase() + s.slice(1);
// APIVersion -> apiVersion, UID -> uid: a leading initialism is lower-cased as a whole.
const lowerInitialism = (s: string): string => {
  const m = /^[A-Z]+(?=[A-Z][a-z])|^[A-Z]+$/.exec(s);
  return m ? m[0].toLowerCase() + s.slice(m[0].length) : lowerFirst(s);
};

/** `.Name` on a value: map key, struct field by Go name, proto getter or String method. */
export function field(recv: unknown, name: string): unknown {
  if (recv === undefined || recv === null) return undefined;
  if (typeof recv === 'object' && !Array.isArray(recv)) {
    const o = recv as Obj;
    if (Object.hasOwn(o, name)) return o[name];
    if (!/^[A-Z]/.test(name)) return undefined;
    const a = lowerFirst(name);
    if (Object.hasOwn(o, a)) return o[a];
    const b = lowerInitialism(name);
    if (Object.hasOwn(o, b)) return o[b];
    if (name.length > 3 && name.startsWith('Get')) return getter(o, name.slice(3));
    if (name === 'String') return printValue(o);
    // A map has no such key (invalid); a struct field left out of the JSON is its zero value.
    return STRUCTS.has(o) ? '' : undefined;
  }
  if (name === 'GetValue' || name === 'String') return name === 'String' ? printValue(recv) : recv;
  throw new TemplateError(`can't evaluate field ${name} in type ${goTypeName(recv)}`);
}

// A proto getter: the field, or nil when unset (getters are nil-safe in Go).
function getter(o: Obj, name: string): unknown {
  const v = field(o, name);
  return v === undefined || (v === '' && !Object.hasOwn(o, lowerFirst(name))) ? null : v;
}

export function goTypeName(v: unknown): string {
  if (v === undefined || v === null) return '<nil>';
  if (Array.isArray(v)) return '[]interface {}';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float64';
  if (typeof v === 'object') return 'map[string]interface {}';
  return typeof v === 'boolean' ? 'bool' : 'string';
}

/** Go's %v of a number: integers in decimal, floats in the shortest form with Go's exponent style. */
export function formatNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return String(n);
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : '-Inf';
  const exp = Math.floor(Math.log10(Math.abs(n)));
  if (exp < -4 || exp >= 21) {
    const [m, e] = n.toExponential().split('e');
    const sign = e.startsWith('-') ? '-' : '+';
    const digits = e.replace(/^[+-]/, '').padStart(2, '0');
    return `${m}e${sign}${digits}`;
  }
  return String(n);
}

/** fmt.Sprint of one value as text/template prints it. */
export function printValue(v: unknown): string {
  if (v === undefined) return '<no value>';
  return fmtValue(v);
}

export function fmtValue(v: unknown): string {
  if (v === undefined || v === null) return '<nil>';
  switch (typeof v) {
    case 'string':
      return v;
    case 'number':
      return formatNumber(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'object':
      if (Array.isArray(v)) return `[${v.map(fmtValue).join(' ')}]`;
      return `map[${Object.keys(v)
        .sort()
        .map((k) => `${k}:${fmtValue((v as Obj)[k])}`)
        .join(' ')}]`;
    default:
      return String(v);
  }
}

const isNil = (v: unknown): boolean => v === undefined || v === null;

/** eq/ne on basic values; a missing or nil operand equals only another one (Go: no error, not equal). */
export function goEqual(a: unknown, b: unknown): boolean {
  if (isNil(a) || isNil(b)) return isNil(a) && isNil(b);
  if (typeof a === 'object' || typeof b === 'object') {
    throw new TemplateError('incompatible types for comparison: uncomparable type');
  }
  if (typeof a !== typeof b) {
    throw new TemplateError(`incompatible types for comparison: ${goTypeName(a)} and ${goTypeName(b)}`);
  }
  return a === b;
}

/** lt on numbers or strings (Go orders strings by bytes; UTF-16 order agrees for BMP text). */
export function goLess(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') return a < b;
  if (typeof a === 'string' && typeof b === 'string') return a < b;
  if (typeof a === 'boolean' || typeof b === 'boolean') {
    throw new TemplateError('invalid type for comparison');
  }
  throw new TemplateError(`incompatible types for comparison: ${goTypeName(a)} and ${goTypeName(b)}`);
}

/** Go's len: strings in UTF-8 bytes, slices, maps. */
export function goLen(v: unknown): number {
  if (typeof v === 'string') return Buffer.byteLength(v, 'utf8');
  if (Array.isArray(v)) return v.length;
  if (isObj(v)) return Object.keys(v).length;
  throw new TemplateError(
    `len of ${v === undefined || v === null ? 'nil pointer' : `type ${goTypeName(v)}`}`,
  );
}

/** index x k1 k2 ...: slice/array by int, map by key; a missing key is the zero value. */
export function goIndex(recv: unknown, keys: unknown[]): unknown {
  let cur = recv;
  for (const k of keys) {
    if (cur === undefined || cur === null) {
      if (cur === undefined) throw new TemplateError('index of untyped nil');
      return undefined;
    }
    // An unset struct field of map type reads as "" here (see field()); indexing it is Go's nil map.
    if (cur === '' && typeof k === 'string') return '';
    if (Array.isArray(cur) || typeof cur === 'string') {
      if (typeof k !== 'number' || !Number.isInteger(k)) {
        throw new TemplateError(`cannot index slice/array with type ${goTypeName(k)}`);
      }
      if (k < 0 || k >= cur.length) throw new TemplateError(`index out of range: ${k}`);
      cur = typeof cur === 'string' ? Buffer.from(cur, 'utf8')[k] : cur[k];
    } else if (isObj(cur)) {
      const key = typeof k === 'string' ? k : fmtValue(k);
      if (Object.hasOwn(cur, key)) cur = cur[key];
      else cur = STRING_MAPS.has(cur) ? '' : undefined;
    } else {
      throw new TemplateError(`can't index item of type ${goTypeName(cur)}`);
    }
  }
  return cur;
}
