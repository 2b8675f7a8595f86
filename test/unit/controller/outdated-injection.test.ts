// The census judges injection settings and the injecting revision, not only the proxy image: a pod
// re-injected with the current config must keep its injected containers, as the webhook made them.
import type { V1Pod } from '@kubernetes/client-node';
import { controllerRender } from '../../../cli/operator';
import { injectionChanged, sidecarCensus, type PodView } from '../../../operator/controller/rollout/outdated';
import { injectPod, type InjectionConfig } from '../../../webhook/inject';
import { parseStatus } from '../../../webhook/inject/status';

const render = controllerRender([]);

function target(spec: Record<string, unknown>): { image: string; cfg: InjectionConfig; revision: string } {
  const iop = {
    apiVersion: 'install.istio.io/v1alpha1',
    kind: 'IstioOperator',
    metadata: { name: 'x', namespace: 'istio-system' },
    spec: { profile: 'minimal', tag: '1.30.3', ...spec },
  };
  const r = render(iop);
  if (!r.ok) throw new Error(r.message);
  const s = r.desired.sidecar;
  if (!s?.injection) throw new Error('no injection config rendered');
  return { image: s.expectedImage, cfg: s.injection, revision: s.revision };
}

function appPod(): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      namespace: 'apps',
      generateName: 'web-5d9c7-',
      labels: { app: 'web', 'pod-template-hash': '5d9c7' },
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-5d9c7', uid: 'u', controller: true },
      ],
    },
    spec: {
      containers: [
        {
          name: 'web',
          image: 'nginx',
          ports: [{ containerPort: 8080 }],
          readinessProbe: { httpGet: { path: '/ready', port: 8080 } },
        },
      ],
    },
  };
}

function injected(cfg: InjectionConfig, name = 'web-5d9c7-abcde'): V1Pod {
  const out = injectPod({ pod: appPod(), namespace: 'apps', admission: true }, cfg);
  if (out.kind !== 'injected') throw new Error(`not injected: ${JSON.stringify(out)}`);
  const pod = structuredClone(out.pod);
  pod.metadata = { ...pod.metadata, name };
  return pod;
}

/** What the apiserver adds to a created pod's containers (defaulting and quantity canonicalization). */
function apiserverDefaulted(pod: V1Pod): V1Pod {
  const p = structuredClone(pod);
  for (const c of [...(p.spec?.initContainers ?? []), ...(p.spec?.containers ?? [])]) {
    c.terminationMessagePath ??= '/dev/termination-log';
    c.terminationMessagePolicy ??= 'File';
    c.imagePullPolicy ??= 'IfNotPresent';
    for (const port of c.ports ?? []) port.protocol ??= 'TCP';
    for (const e of c.env ?? []) {
      if (e.valueFrom?.fieldRef) e.valueFrom.fieldRef.apiVersion ??= 'v1';
    }
    for (const probe of [c.readinessProbe, c.livenessProbe, c.startupProbe]) {
      if (!probe) continue;
      probe.timeoutSeconds ??= 1;
      probe.periodSeconds ??= 10;
      probe.successThreshold ??= 1;
      probe.failureThreshold ??= 3;
      if (probe.httpGet) probe.httpGet.scheme ??= 'HTTP';
    }
    const r = c.resources;
    if (r?.limits) r.requests = { ...r.limits, ...r.requests };
  }
  return p;
}

function view(pod: V1Pod): PodView {
  const proxy = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find(
    (c) => c.name === 'istio-proxy',
  );
  const annotations = pod.metadata?.annotations ?? {};
  return {
    namespace: pod.metadata?.namespace ?? '',
    name: pod.metadata?.name ?? '',
    labels: pod.metadata?.labels ?? {},
    owner: { kind: 'Deployment', name: 'web' },
    proxyImage: proxy?.image,
    injectedRevision: parseStatus(annotations['sidecar.istio.io/status'])?.revision,
    pod,
  };
}

function census(
  pods: V1Pod[],
  t: { image: string; cfg: InjectionConfig; revision: string },
  nsLabels: Record<string, string> = { 'istio-injection': 'enabled' },
) {
  return sidecarCensus({
    pods: pods.map(view),
    replicaSetOwners: new Map(),
    namespaceLabels: new Map([['apps', nsLabels]]),
    revision: t.revision,
    expectedImage: t.image,
    injection: t.cfg,
    controlPlaneNamespace: 'istio-system',
  });
}

const RESOURCES = {
  values: {
    global: {
      proxy: { resources: { requests: { cpu: '200m', memory: '256Mi' }, limits: { memory: '1Gi' } } },
    },
  },
};

describe('sidecar census: injection settings', () => {
  it('does not count a pod injected with the current settings, also as the apiserver stores it', () => {
    const t = target({});
    const pod = injected(t.cfg);
    expect(injectionChanged(pod, 'apps', t.cfg)).toBe(false);
    expect(census([pod, apiserverDefaulted(injected(t.cfg, 'web-5d9c7-fghij'))], t)).toEqual({
      injected: 2,
      outdated: 0,
      outdatedWorkloads: [],
    });
  });

  it('counts a pod outdated after a proxy resources change, with the same image', () => {
    const before = target({});
    const after = target(RESOURCES);
    expect(after.image).toBe(before.image);
    const pod = apiserverDefaulted(injected(before.cfg));
    expect(census([pod], after)).toEqual({
      injected: 1,
      outdated: 1,
      outdatedWorkloads: [{ kind: 'Deployment', namespace: 'apps', name: 'web' }],
    });
    // A pod injected after the change is current.
    expect(census([apiserverDefaulted(injected(after.cfg))], after).outdated).toBe(0);
  });

  it('does not re-inject a pod whose istio-proxy no injection recorded (no status annotation)', () => {
    const t = target({});
    const pod = appPod();
    pod.metadata!.name = 'web-5d9c7-klmno';
    pod.spec!.containers.push({ name: 'istio-proxy', image: t.image });
    expect(injectionChanged(pod, 'apps', t.cfg)).toBe(false);
    expect(census([pod], t)).toMatchObject({ injected: 1, outdated: 0 });
  });

  it('counts an image change outdated without needing the pod', () => {
    const t = target({});
    const pod = view(injected(target({ tag: '1.30.2' }).cfg));
    delete pod.pod;
    const c = sidecarCensus({
      pods: [pod],
      replicaSetOwners: new Map(),
      namespaceLabels: new Map([['apps', { 'istio-injection': 'enabled' }]]),
      revision: '',
      expectedImage: t.image,
      injection: t.cfg,
      controlPlaneNamespace: 'istio-system',
    });
    expect(c.outdated).toBe(1);
  });

  it('counts a pod another revision injected when it is in this revision census scope only', () => {
    const canary = target({ revision: 'canary' });
    const byDefault = injected(target({}).cfg);
    // The namespace now selects canary; the pod still runs what the default revision injected.
    expect(census([byDefault], canary, { 'istio.io/rev': 'canary' })).toMatchObject({
      injected: 1,
      outdated: 1,
    });
    // A pod injected by canary in that namespace is current.
    expect(census([injected(canary.cfg)], canary, { 'istio.io/rev': 'canary' })).toMatchObject({
      injected: 1,
      outdated: 0,
    });
    // A pod labelled for another revision is not this IstioOperator's, outdated or not.
    const other = structuredClone(byDefault);
    other.metadata!.labels!['istio.io/rev'] = 'stable';
    expect(census([other], canary, { 'istio.io/rev': 'canary' })).toMatchObject({ injected: 0, outdated: 0 });
  });
});
