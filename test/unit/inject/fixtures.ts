// Helpers for the engine's unit tests: a conformance-like config and pods read from the upstream
// suite's inputs (read-only, from ../shared).
import type { V1Pod } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { BuildInjectionConfigOptions, InjectionConfig, IopSpecOverlay } from '../../../inject/api';
import { buildInjectionConfig } from '../../../inject/config';

export const SUITE_DIR = join(
  __dirname,
  '..',
  '..',
  '..',
  '..',
  'shared',
  'conformance',
  'istio-1.30.3',
  'inject',
);

export const TEST_BASE: IopSpecOverlay = {
  values: { global: { hub: 'registry.istio.io/testing', tag: 'latest' } },
  meshConfig: { trustDomain: 'cluster.local' },
};

export function config(
  overlays: IopSpecOverlay[] = [],
  opts: Partial<BuildInjectionConfigOptions> = {},
): InjectionConfig {
  return buildInjectionConfig({
    overlays: [TEST_BASE, ...overlays],
    nativeSidecars: 'auto',
    nodeKubeletVersions: ['v1.33.0', 'v1.34.0'],
    ...opts,
  });
}

type Obj = Record<string, unknown>;

/** Every pod (bare Pods and pod templates of workloads, Lists included) in a suite input file. */
export function podsOf(file: string): V1Pod[] {
  const out: V1Pod[] = [];
  const visit = (o: unknown): void => {
    if (!o || typeof o !== 'object') return;
    const obj = o as Obj;
    if (obj.kind === 'List' && Array.isArray(obj.items)) return obj.items.forEach(visit);
    if (obj.kind === 'Pod') return void out.push(obj as V1Pod);
    const spec = obj.spec as Obj | undefined;
    const tpl = (spec?.template ?? (spec?.jobTemplate as Obj | undefined)?.spec) as Obj | undefined;
    const podTpl = (tpl?.template ?? tpl) as Obj | undefined;
    if (podTpl?.spec)
      out.push({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: podTpl.metadata ?? {},
        spec: podTpl.spec,
      } as V1Pod);
  };
  for (const doc of parseAllDocuments(readFileSync(join(SUITE_DIR, file), 'utf8'))) visit(doc.toJS());
  return out;
}

export function pod(spec: Partial<V1Pod['spec']> = {}, metadata: V1Pod['metadata'] = {}): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'app', ...metadata },
    spec: {
      containers: [{ name: 'app', image: 'app:1', ports: [{ name: 'http', containerPort: 8080 }] }],
      ...spec,
    },
  };
}
