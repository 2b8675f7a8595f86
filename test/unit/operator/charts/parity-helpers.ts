// Shared by the chart-pipeline parity tests: the pinned helm binary (built by hack/build-helm.sh; a test
// that cannot have it fails, it never skips), the reference releases under ../shared/reference, and the
// comparison of rendered objects with istioctl's manifest-generate goldens.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { isPlainObject, type PlainObject } from '../../../../lib/istio/merge';
import { manifestsDirRelease } from '../../../../release/local';
import type { Release } from '../../../../release/types';
import { HelmProcessRenderer } from '../../../../operator/render/helm/helm-process';

export const REPO = join(__dirname, '..', '..', '..', '..');
export const REFERENCE = join(REPO, '..', 'shared', 'reference');
export const VERSIONS = ['1.30.3', '1.31.0-rc.0'] as const;

let helmPath: string | undefined;
/** The pinned helm; throws (failing the test) when hack/build-helm.sh cannot provide it. */
export function helm(): string {
  if (helmPath) return helmPath;
  let out: string;
  try {
    out = execFileSync('bash', [join(REPO, 'hack', 'build-helm.sh')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 600_000,
    });
  } catch (err) {
    throw new Error(`hack/build-helm.sh failed; the parity tests need the pinned helm: ${String(err)}`);
  }
  const path = out.trim().split('\n').pop() ?? '';
  if (!existsSync(path))
    throw new Error(`hack/build-helm.sh printed ${JSON.stringify(path)}, not a helm binary`);
  helmPath = path;
  return path;
}

export const renderer = (): HelmProcessRenderer =>
  new HelmProcessRenderer({ binary: helm(), concurrency: 2 });

const releases = new Map<string, Release>();
export function referenceRelease(version: string): Release {
  let r = releases.get(version);
  if (!r) {
    r = manifestsDirRelease(version, join(REFERENCE, `istio-${version}`, 'manifests'));
    releases.set(version, r);
  }
  return r;
}

export const goldenDir = (version: string): string =>
  join(REFERENCE, `istio-${version}`, 'manifest-generate');

export function readInput(version: string, name: string): PlainObject {
  const doc: unknown = parse(readFileSync(join(goldenDir(version), 'input', `${name}.yaml`), 'utf8'));
  return isPlainObject(doc) ? doc : {};
}

export function readObjects(file: string): PlainObject[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => d.toJS() as unknown)
    .filter((o): o is PlainObject => isPlainObject(o) && typeof o.kind === 'string');
}

export const idOf = (o: PlainObject): string => {
  const m = isPlainObject(o.metadata) ? o.metadata : {};
  return `${String(o.kind)}:${typeof m.namespace === 'string' ? m.namespace : ''}:${String(m.name)}`;
};

/** istioctl's test filter: comma-separated `Kind:namespace:name` regexps, `*` for any. */
export function selectObjects(objects: PlainObject[], diffSelect: string | undefined): PlainObject[] {
  if (!diffSelect) return objects;
  const res = diffSelect.split(',').map(
    (s) =>
      new RegExp(
        s
          .trim()
          .split(':')
          .map((p) => (p === '' || p === '*' ? '.*' : p))
          .join(':'),
      ),
  );
  return objects.filter((o) => res.some((r) => r.test(idOf(o))));
}

/** Objects as JSON data, so a YAML round trip (istioctl marshals its output) compares equal. */
export const normalize = (o: PlainObject): unknown => JSON.parse(JSON.stringify(o)) as unknown;

/** Per object id: equal, or the first differing path. */
export function diffObjects(want: PlainObject[], have: PlainObject[]): string[] {
  const problems: string[] = [];
  const haveById = new Map(have.map((o) => [idOf(o), o]));
  const wantIds = new Set(want.map(idOf));
  for (const w of want) {
    const h = haveById.get(idOf(w));
    if (!h) problems.push(`missing ${idOf(w)}`);
    else {
      const d = firstDiff(normalize(w), normalize(h), '');
      if (d) problems.push(`${idOf(w)} differs at ${d}`);
    }
  }
  for (const h of have) if (!wantIds.has(idOf(h))) problems.push(`extra ${idOf(h)}`);
  return problems;
}

function firstDiff(a: unknown, b: unknown, at: string): string | undefined {
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return `${at} (list of ${a.length} vs ${b.length})`;
    for (let i = 0; i < a.length; i++) {
      const d = firstDiff(a[i], b[i], `${at}[${i}]`);
      if (d) return d;
    }
    return undefined;
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const d = firstDiff(a[k], b[k], `${at}.${k}`);
      if (d) return d;
    }
    return undefined;
  }
  return a === b
    ? undefined
    : `${at}: ${JSON.stringify(a)?.slice(0, 120)} vs ${JSON.stringify(b)?.slice(0, 120)}`;
}

/** Copies of `objects` with the drift's paths removed and its release-only objects dropped. */
export function withoutDrift(
  objects: PlainObject[],
  drift: readonly { kind: string; name?: string; path?: string; onlyInRelease?: boolean }[],
): PlainObject[] {
  const out: PlainObject[] = [];
  for (const o of objects) {
    const meta = isPlainObject(o.metadata) ? o.metadata : {};
    const applies = drift.filter((d) => d.kind === o.kind && (d.name === undefined || d.name === meta.name));
    if (applies.some((d) => d.onlyInRelease)) continue;
    const copy = structuredClone(o);
    for (const d of applies) if (d.path) removePath(copy, d.path);
    out.push(copy);
  }
  return out;
}

function removePath(root: PlainObject, path: string): void {
  const segs = path.split('.').flatMap((s) => {
    const m = /^([^[]+)\[(\w+):([^\]]+)\]$/.exec(s);
    return m ? [m[1], `[${m[2]}:${m[3]}]`] : [s];
  });
  let cur: unknown = root;
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i];
    const last = i === segs.length - 1;
    const sel = /^\[(\w+):(.+)\]$/.exec(seg);
    if (sel) {
      if (!Array.isArray(cur)) return;
      const at = cur.findIndex((x) => isPlainObject(x) && x[sel[1]] === sel[2]);
      if (at < 0) return;
      if (last) cur.splice(at, 1);
      else cur = cur[at];
    } else {
      if (!isPlainObject(cur)) return;
      if (last) delete cur[seg];
      else cur = cur[seg];
    }
  }
}
