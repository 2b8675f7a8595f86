// Shared test fixtures: admission reviews, a minimal InjectionConfig and a fake injector.
import type { V1Pod } from '@kubernetes/client-node';
import type { InjectionConfig, InjectionOutcome, InjectionRequest, Injector } from '../../../inject/api';
import type { ConfigSource } from '../../../webhook/server/review';

export function pod(overrides: Partial<V1Pod['metadata']> = {}): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'app-1', namespace: 'shop', labels: { app: 'shop' }, ...overrides },
    spec: { containers: [{ name: 'app', image: 'nginx' }] },
  };
}

export function review(request: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: 'uid-1',
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      operation: 'CREATE',
      namespace: 'shop',
      object: pod(),
      ...request,
    },
  };
}

export function config(revision = 'default'): InjectionConfig {
  return {
    values: { global: { hub: 'docker.io/istio' } },
    meshConfig: {},
    revision,
    nativeSidecars: 'auto',
    nodeKubeletVersions: [],
  };
}

/** Records its calls and answers with `outcome(req, cfg)`. */
export function fakeInjector(
  outcome: (req: InjectionRequest, cfg: InjectionConfig) => InjectionOutcome,
): Injector & {
  calls: { req: InjectionRequest; cfg: InjectionConfig }[];
} {
  const calls: { req: InjectionRequest; cfg: InjectionConfig }[] = [];
  const fn = (req: InjectionRequest, cfg: InjectionConfig) => {
    calls.push({ req, cfg });
    return outcome(req, cfg);
  };
  return Object.assign(fn, { calls });
}

export const injectsProxy = (req: InjectionRequest): InjectionOutcome => ({
  kind: 'injected',
  pod: req.pod,
  patch: [{ op: 'add', path: '/spec/containers/-', value: { name: 'istio-proxy' } }],
});

export function staticSource(configs: Record<string, InjectionConfig> = { default: config() }): ConfigSource {
  return {
    lookup: (rev) =>
      configs[rev] ? { config: configs[rev] } : { error: `no injection configuration for revision "${rev}"` },
    namespace: (name) => ({ metadata: { name, labels: { 'istio-injection': 'enabled' } } }),
    ready: () => true,
  };
}
