// `k8s.overlays` paths: patches on a rendered object of a component (charts/overlays.ts applies them), in
// upstream's path syntax:
//   spec.template.spec.containers.[name:discovery].args.[30m]     list item by value
//   spec.template.spec.containers.[name:discovery].env.[name:X]    list item by key:value
//   spec.template.spec.containers.[0].args[1]                      list index (also `args.[1]`)
//   webhooks.[name:namespace\.sidecar-injector\.istio\.io]         `\.` is a literal dot
// A patch with a value sets (missing map keys on the way are created; a string holding a YAML map or list
// is parsed, as upstream's `value: |` form); a patch without a value (or `value: null`) deletes the map key
// or list item. A path that selects nothing is an error, so a typo never passes silently.
import { parse } from 'yaml';
import { deepClone, isPlainObject, type PlainObject } from '../../../lib/istio/merge';

export class OverlayError extends Error {}

export type OverlaySegment =
  | { kind: 'key'; key: string }
  | { kind: 'index'; index: number }
  | { kind: 'match'; key: string; value: string }
  | { kind: 'value'; value: string };

const unescape = (s: string): string => s.replace(/\\\./g, '.');

function bracket(inner: string, path: string): OverlaySegment {
  if (inner === '') throw new OverlayError(`overlay path ${JSON.stringify(path)}: empty []`);
  if (/^\d+$/.test(inner)) return { kind: 'index', index: Number(inner) };
  const colon = inner.indexOf(':');
  if (colon > 0)
    return { kind: 'match', key: unescape(inner.slice(0, colon)), value: unescape(inner.slice(colon + 1)) };
  return { kind: 'value', value: unescape(inner) };
}

export function parseOverlayPath(path: string): OverlaySegment[] {
  // Split on dots outside brackets and not escaped.
  const parts: string[] = [];
  let cur = '';
  let depth = 0;
  for (let i = 0; i < path.length; i++) {
    const c = path[i];
    if (c === '\\' && path[i + 1] === '.') {
      cur += '\\.';
      i++;
    } else if (c === '[') {
      depth++;
      cur += c;
    } else if (c === ']') {
      depth--;
      cur += c;
    } else if (c === '.' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += c;
  }
  parts.push(cur);
  if (depth !== 0) throw new OverlayError(`overlay path ${JSON.stringify(path)}: unbalanced [ ]`);
  const segs: OverlaySegment[] = [];
  for (const part of parts) {
    if (part === '') throw new OverlayError(`overlay path ${JSON.stringify(path)}: empty path element`);
    const m = /^([^[]*)((?:\[[^\]]*\])*)$/.exec(part);
    if (!m)
      throw new OverlayError(`overlay path ${JSON.stringify(path)}: cannot parse ${JSON.stringify(part)}`);
    if (m[1]) segs.push({ kind: 'key', key: unescape(m[1]) });
    for (const b of m[2].match(/\[[^\]]*\]/g) ?? []) segs.push(bracket(b.slice(1, -1), path));
  }
  return segs;
}

function describeSeg(s: OverlaySegment): string {
  switch (s.kind) {
    case 'key':
      return s.key;
    case 'index':
      return `[${s.index}]`;
    case 'match':
      return `[${s.key}:${s.value}]`;
    case 'value':
      return `[${s.value}]`;
  }
}

function listIndex(list: unknown[], seg: OverlaySegment): number {
  switch (seg.kind) {
    case 'index':
      return seg.index < list.length ? seg.index : -1;
    case 'match':
      return list.findIndex((x) => isPlainObject(x) && String(x[seg.key]) === seg.value);
    case 'value':
      return list.findIndex((x) => !isPlainObject(x) && !Array.isArray(x) && String(x) === seg.value);
    default:
      return -1;
  }
}

// `value: |` with a YAML map/list body means that structure, not the text.
function patchValue(v: unknown): unknown {
  if (typeof v === 'string' && v.includes('\n')) {
    try {
      const parsed: unknown = parse(v);
      if (isPlainObject(parsed) || Array.isArray(parsed)) return parsed;
    } catch {
      // Not YAML: keep the string.
    }
  }
  return deepClone(v);
}

/** Applies one patch to `obj` in place. `del` removes the target instead of setting it. */
export function applyPatch(obj: PlainObject, path: string, value: unknown, del: boolean): void {
  const segs = parseOverlayPath(path);
  const fail = (at: number, why: string): never => {
    const where = segs
      .slice(0, at + 1)
      .map(describeSeg)
      .join('.');
    throw new OverlayError(`overlay path ${JSON.stringify(path)}: ${why} at ${where}`);
  };
  let node: unknown = obj;
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i];
    const last = i === segs.length - 1;
    if (seg.kind === 'key') {
      if (!isPlainObject(node)) return fail(i, 'not a map');
      if (last) {
        if (del) delete node[seg.key];
        else node[seg.key] = patchValue(value);
        return;
      }
      if (node[seg.key] === undefined || node[seg.key] === null) {
        if (del) return; // Deleting below something absent: nothing to do.
        node[seg.key] = segs[i + 1].kind === 'key' ? {} : [];
      }
      node = node[seg.key];
    } else {
      if (!Array.isArray(node)) return fail(i, 'not a list');
      const at = listIndex(node, seg);
      if (at < 0) return fail(i, 'no list item matches');
      if (last) {
        if (del) node.splice(at, 1);
        else node[at] = patchValue(value);
        return;
      }
      node = node[at];
    }
  }
}
