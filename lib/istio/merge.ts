// Deep merge of plain JSON-like objects, the way Helm values and IstioOperator overlays combine:
// objects merge key by key, arrays and scalars from the overlay replace, and an explicit `null` in the
// overlay deletes the key (Helm semantics, used e.g. to drop a default resource limit). Inputs are never
// mutated; the result shares no objects with them.

export type PlainObject = Record<string, unknown>;

export function isPlainObject(v: unknown): v is PlainObject {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  // Any realm's Object.prototype (structuredClone and vm contexts create objects in another realm).
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === null || Object.getPrototypeOf(proto) === null;
}

/** A structural deep copy of JSON-like data (objects, arrays, scalars). */
export function deepClone<T>(v: T): T {
  // Indexed loops over Object.keys: on the injection path (a copy of every admitted pod) this is
  // several times faster than Object.entries/map, and than structuredClone.
  if (Array.isArray(v)) {
    const out: unknown[] = new Array<unknown>(v.length);
    for (let i = 0; i < v.length; i++) out[i] = deepClone(v[i] as unknown);
    return out as T;
  }
  if (isPlainObject(v)) {
    const out: PlainObject = {};
    const keys = Object.keys(v);
    for (let i = 0; i < keys.length; i++) put(out, keys[i], deepClone(v[keys[i]]));
    return out as T;
  }
  return v;
}

/** Merges `overlay` onto `base` and returns a new object (later wins; arrays replaced; null deletes). */
export function deepMerge<T extends PlainObject>(base: T, overlay: PlainObject): T {
  const out: PlainObject = deepClone(base);
  for (const [key, value] of Object.entries(overlay)) {
    if (value === null) {
      delete out[key];
    } else if (isPlainObject(value) && isPlainObject(out[key])) {
      put(out, key, deepMerge(out[key] as PlainObject, value));
    } else {
      put(out, key, deepClone(stripNulls(value)));
    }
  }
  return out as T;
}

/** Merges overlays left to right onto `base`. */
export function mergeAll<T extends PlainObject>(base: T, overlays: readonly PlainObject[]): T {
  return overlays.reduce<T>((acc, o) => deepMerge(acc, o), base);
}

// A null nested inside a newly introduced object has nothing to delete; Helm drops it too.
function stripNulls(v: unknown): unknown {
  if (!isPlainObject(v)) return v;
  const out: PlainObject = {};
  for (const [k, x] of Object.entries(v)) if (x !== null) put(out, k, stripNulls(x));
  return out;
}

// Own-property write: a `__proto__` key read from YAML stays data instead of replacing the prototype.
// Only that key needs defineProperty; plain assignment keeps V8's fast object shapes (defineProperty on
// every key made it a third of the injection engine's CPU time, see docs/performance.md).
export function put(obj: PlainObject, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    obj[key] = value;
  }
}
