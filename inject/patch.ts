// RFC 6902 JSON Patch from the original pod to the injected one, in time linear in the pod's size.
// Objects are diffed key by key. Lists of uniquely named objects (containers, volumes, env, ...) are
// matched by name, so an inserted sidecar is one `add` at its index rather than a cascade of `replace`s
// down the list (a quadratic LCS diff once made injection of a 1,000-env-var pod take seconds upstream).
// Other lists keep their common prefix and suffix and patch the middle element by element.
import type { V1Pod } from '@kubernetes/client-node';
import type { Operation } from 'fast-json-patch';
import { isPlainObject, type PlainObject } from '../lib/istio/merge';

export function createPatch(original: V1Pod, injected: V1Pod): Operation[] {
  return diffValues(original, injected);
}

/**
 * The JSON Patch turning `from` into `to` (any JSON-like values); inputs are not mutated. Operation values
 * share structure with `to` (no copies: the webhook serialises the patch at once); clone before mutating.
 */
export function diffValues(from: unknown, to: unknown): Operation[] {
  const ops: Operation[] = [];
  diff(from, to, '', ops);
  return ops;
}

/** A JSON Pointer token: `~` and `/` escaped as `~0` and `~1`. */
export function escapePointer(token: string): string {
  if (!token.includes('~') && !token.includes('/')) return token;
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

function diff(a: unknown, b: unknown, path: string, ops: Operation[]): void {
  // Most leaves of an injected pod are unchanged: settle equal scalars before any type checks.
  if (a === b) return;
  if (isPlainObject(a) && isPlainObject(b)) return diffObjects(a, b, path, ops);
  if (Array.isArray(a) && Array.isArray(b)) return diffArrays(a, b, path, ops);
  if (!jsonEqual(a, b)) ops.push({ op: 'replace', path, value: b });
}

function diffObjects(a: PlainObject, b: PlainObject, path: string, ops: Operation[]): void {
  for (const k of Object.keys(a)) {
    if (a[k] !== undefined && !present(b, k)) ops.push({ op: 'remove', path: `${path}/${escapePointer(k)}` });
  }
  for (const k of Object.keys(b)) {
    const bv = b[k];
    // Equal leaves (most of a pod) are settled before their pointer is built.
    if (bv === undefined || bv === a[k]) continue;
    const p = `${path}/${escapePointer(k)}`;
    if (!present(a, k)) ops.push({ op: 'add', path: p, value: bv });
    else diff(a[k], bv, p, ops);
  }
}

// A key holding `undefined` does not exist once serialised to JSON.
function present(o: PlainObject, k: string): boolean {
  return Object.hasOwn(o, k) && o[k] !== undefined;
}

function diffArrays(a: unknown[], b: unknown[], path: string, ops: Operation[]): void {
  // Same length and the same name at every index (an app container's env or mounts, copied unchanged):
  // both the by-name and the positional diff below pair the elements index by index, so do that directly,
  // without their name sets, maps and ordering (a 1,000-entry env list is most of such a pod's patch time).
  if (a.length === b.length && sameNamesInOrder(a, b)) {
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) diff(a[i], b[i], `${path}/${i}`, ops);
    return;
  }
  const an = uniqueNames(a);
  const bn = uniqueNames(b);
  if (an && bn) diffNamed(a, b, an, bn, path, ops);
  else diffPositional(a, b, path, ops);
}

/** Every element of both lists an object, with the same `name` (or none) as its counterpart. */
function sameNamesInOrder(a: unknown[], b: unknown[]): boolean {
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (!isPlainObject(x) || !isPlainObject(y) || x.name !== y.name) return false;
  }
  return true;
}

/** The elements' names when every element is an object with a distinct string `name`. */
function uniqueNames(list: unknown[]): string[] | undefined {
  const names: string[] = [];
  const seen = new Set<string>();
  for (const e of list) {
    if (!isPlainObject(e) || typeof e.name !== 'string' || seen.has(e.name)) return undefined;
    seen.add(e.name);
    names.push(e.name);
  }
  return names;
}

function diffNamed(
  a: unknown[],
  b: unknown[],
  an: string[],
  bn: string[],
  path: string,
  ops: Operation[],
): void {
  const indexInB = new Map(bn.map((n, i) => [n, i]));
  // Elements kept in place: the common elements whose order agrees in both lists (a longest increasing
  // run of their positions in `b`). A common element out of that order is removed and added again.
  const common: number[] = [];
  for (let i = 0; i < an.length; i++) if (indexInB.has(an[i])) common.push(i);
  const keep = new Set(longestIncreasing(common.map((i) => indexInB.get(an[i]) ?? 0)).map((k) => common[k]));
  // Removals from the end, so earlier indexes stay valid.
  for (let i = a.length - 1; i >= 0; i--) if (!keep.has(i)) ops.push({ op: 'remove', path: `${path}/${i}` });
  const keptByName = new Map<string, unknown>();
  for (const i of keep) keptByName.set(an[i], a[i]);
  // Now the list holds the kept elements in `b`'s order; walk `b`, adding what is new at its final index.
  for (let j = 0; j < b.length; j++) {
    if (keptByName.has(bn[j])) diff(keptByName.get(bn[j]), b[j], `${path}/${j}`, ops);
    else ops.push({ op: 'add', path: `${path}/${j}`, value: b[j] });
  }
}

function diffPositional(a: unknown[], b: unknown[], path: string, ops: Operation[]): void {
  let start = 0;
  while (start < a.length && start < b.length && jsonEqual(a[start], b[start])) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && jsonEqual(a[endA - 1], b[endB - 1])) {
    endA--;
    endB--;
  }
  const paired = Math.min(endA - start, endB - start);
  for (let k = 0; k < paired; k++) diff(a[start + k], b[start + k], `${path}/${start + k}`, ops);
  for (let i = endA - 1; i >= start + paired; i--) ops.push({ op: 'remove', path: `${path}/${i}` });
  for (let j = start + paired; j < endB; j++) ops.push({ op: 'add', path: `${path}/${j}`, value: b[j] });
}

/** Indexes (into `seq`) of a longest strictly increasing subsequence, O(n log n). */
function longestIncreasing(seq: number[]): number[] {
  const tails: number[] = []; // tails[l] = index in seq of the smallest tail of a run of length l+1
  const prev: number[] = new Array<number>(seq.length).fill(-1);
  for (let i = 0; i < seq.length; i++) {
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (seq[tails[mid]] < seq[i]) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0) prev[i] = tails[lo - 1];
    tails[lo] = i;
  }
  const out: number[] = [];
  for (let i = tails.length > 0 ? tails[tails.length - 1] : -1; i >= 0; i = prev[i]) out.push(i);
  return out.reverse();
}

/** Equality of JSON values (keys holding `undefined` count as absent). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    if (ka.length !== kb.length) return false;
    for (const k of ka) if (!present(b, k) || !jsonEqual(a[k], b[k])) return false;
    return true;
  }
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  return false;
}
