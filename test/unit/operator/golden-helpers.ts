// Shared helpers for comparing renders with istioctl's manifest-generate goldens (read at run time from
// ../shared; nothing upstream is copied into the project).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { isPlainObject } from '../../../lib/istio/merge';
import type { IstioOperator } from '../../../operator/api/types';
import { render } from '../../../operator/render';
import { loadCrds } from '../../../operator/render/load-crds';
import type { ManifestObject, RenderedManifest } from '../../../operator/render/types';

export const REPO = join(__dirname, '..', '..', '..');
export const REFERENCE = join(REPO, '..', 'shared', 'reference', 'istio-1.30.3');
export const GOLDEN = join(REFERENCE, 'manifest-generate');

export type Obj = Record<string, unknown> & { kind: string; metadata: { name: string; namespace?: string } };

export function readInput(name: string): IstioOperator {
  return parse(readFileSync(join(GOLDEN, 'input', `${name}.yaml`), 'utf8')) as IstioOperator;
}

export function readGolden(file: string): Obj[] {
  return parseAllDocuments(readFileSync(join(GOLDEN, 'output', file), 'utf8'))
    .map((d) => d.toJS() as unknown)
    .filter((o): o is Obj => isPlainObject(o) && typeof o.kind === 'string');
}

/**
 * Renders a golden input the way upstream's test renders it: istioctl's test build uses the `default`
 * profile's development hub/tag (registry.istio.io/testing:latest), where Meshwright defaults to the
 * released docker.io/istio:1.30.3 — so those two are set unless the input sets its own.
 */
export function renderInput(name: string, extraSet: string[] = []): RenderedManifest {
  const iop = readInput(name);
  const set: string[] = [];
  if (!iop.spec?.hub) set.push('hub=registry.istio.io/testing');
  if (iop.spec?.tag === undefined) set.push('tag=latest');
  return render(iop, { crds: loadCrds(join(REPO, 'crds', 'istio')), setFlags: [...set, ...extraSet] });
}

export const allObjects = (m: RenderedManifest): ManifestObject[] => m.components.flatMap((c) => c.objects);

export const idOf = (o: { kind: string; metadata: { name: string; namespace?: string } }): string =>
  `${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`;

export function find<T extends { kind: string; metadata: { name: string; namespace?: string } }>(
  list: T[],
  kind: string,
  name: string,
): T {
  const o = list.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`no ${kind} ${name} among: ${list.map(idOf).join(', ')}`);
  return o;
}

type Container = {
  name: string;
  image?: string;
  args?: string[];
  ports?: unknown[];
  env?: { name: string }[];
};

export function containers(o: unknown): Container[] {
  const spec = (o as { spec?: { template?: { spec?: { containers?: Container[] } } } }).spec;
  return spec?.template?.spec?.containers ?? [];
}

/** The workload fields compared with goldens: image, args, container ports, env names (in order). */
export function workloadSummary(o: unknown): unknown[] {
  return containers(o).map((c) => ({
    name: c.name,
    image: c.image,
    args: c.args,
    ports: c.ports,
    env: (c.env ?? []).map((e) => e.name),
  }));
}

export function servicePorts(o: unknown): unknown {
  return (o as { spec?: { ports?: unknown } }).spec?.ports;
}

// Drops nulls (upstream templates emit `annotations:` / nodeAffinity keys with no value) and the maps left
// empty by that, so only values that mean something are compared.
function dropNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(dropNulls);
  if (!isPlainObject(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    if (x === null) continue;
    const y = dropNulls(x);
    if (isPlainObject(x) && Object.keys(x).length > 0 && isPlainObject(y) && Object.keys(y).length === 0)
      continue;
    out[k] = y;
  }
  return out;
}

/**
 * An object as compared in full with a golden: labels removed (Meshwright's app/managed-by labels differ
 * by design and are tested on their own), nulls and the maps they leave empty removed.
 */
export function comparable(o: Obj): unknown {
  const c = JSON.parse(JSON.stringify(o)) as Obj & {
    spec?: { template?: { metadata?: { labels?: unknown } } };
  };
  delete (c.metadata as { labels?: unknown }).labels;
  if (c.spec?.template?.metadata) delete c.spec.template.metadata.labels;
  return dropNulls(c);
}
