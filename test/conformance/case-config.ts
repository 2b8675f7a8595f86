// A case's injector configuration, assembled as upstream's test does: chart defaults with the suite's
// hub/tag/cluster/trust domain, then the case's `--set` flags, its IstioOperator file and its mesh overrides.
import type { V1Namespace } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { isPlainObject, type PlainObject } from '../../lib/istio/merge';
import { setFlagsToOverlay } from '../../lib/istio/setpath';
import type { InjectionConfig, IopSpecOverlay, NativeSidecarMode } from '../../inject/api';
import type { Case, Suite } from './cases';
import type { Engine } from './engine';

// The suite README's fixed defaults: test registry, profile `empty` plus pilot, trust domain. The cluster
// `Kubernetes` is the template's default for an unset `global.multiCluster.clusterName` (upstream's test
// values leave it empty): setting it would make it configured cluster information, moved to the env's end.
const SUITE_BASE: IopSpecOverlay = {
  components: { pilot: { enabled: true } },
  values: {
    global: { hub: 'registry.istio.io/testing', tag: 'latest' },
  },
  meshConfig: { trustDomain: 'cluster.local' },
};

export function caseOverlays(suite: Suite, c: Case): IopSpecOverlay[] {
  const overlays: IopSpecOverlay[] = [SUITE_BASE];
  if (c.set.length > 0) overlays.push(setFlagsToOverlay(c.set) as IopSpecOverlay);
  if (c.iop) overlays.push(readIopSpec(join(suite.dir, c.iop)));
  if (c.mesh) overlays.push({ meshConfig: c.mesh });
  return overlays;
}

export function caseConfig(engine: Engine, suite: Suite, c: Case): InjectionConfig {
  return engine.buildInjectionConfig({
    overlays: caseOverlays(suite, c),
    revision: suite.defaults.revision,
    nativeSidecars: nativeMode(c.nativeSidecars ?? suite.defaults.nativeSidecars),
    nodeKubeletVersions: suite.defaults.kubeletVersions,
    platform: c.platform,
    // The engine imitates the suite's release (see inject/versions.ts).
    istioVersion: suite.version || undefined,
    compliancePolicy: c.compliancePolicy,
  });
}

/** Namespace objects the case may see: the suite's namespaces, for the platform that honours them. */
export function caseNamespaces(suite: Suite, c: Case): Map<string, V1Namespace> {
  const out = new Map<string, V1Namespace>();
  if (c.platform !== 'openshift') return out;
  for (const ns of suite.defaults.namespaces) {
    out.set(ns.name, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: ns.name, labels: ns.labels, annotations: ns.annotations },
    });
  }
  return out;
}

function readIopSpec(path: string): IopSpecOverlay {
  const doc: unknown = parse(readFileSync(path, 'utf8'));
  if (!isPlainObject(doc)) throw new Error(`${path}: not an IstioOperator object`);
  const spec = isPlainObject(doc.spec) ? doc.spec : {};
  return spec as PlainObject as IopSpecOverlay;
}

function nativeMode(s: string): NativeSidecarMode {
  if (s === 'auto' || s === 'enabled' || s === 'disabled') return s;
  throw new Error(`unknown nativeSidecars mode ${JSON.stringify(s)}`);
}
