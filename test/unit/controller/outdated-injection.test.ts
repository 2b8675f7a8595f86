// The census judges injection settings and the injecting revision, not only the proxy image: a pod
// re-injected with the current config must keep its injected containers, as the webhook made them.
import type { KubernetesObject, V1Pod } from '@kubernetes/client-node';
import { Writable } from 'stream';
import { controllerRender } from '../../../cli/operator';
import { createLogger } from '../../../lib/log';
import type { RolloutProgress } from '../../../operator/controller/rollout/rollout-step';
import {
  RESTARTED_AT,
  SidecarRollout,
  type SidecarTarget,
} from '../../../operator/controller/rollout/sidecar-rollout';
import { injectionChanged, sidecarCensus, type PodView } from '../../../operator/controller/rollout/outdated';
import { injectPod, type InjectionConfig } from '../../../webhook/inject';
import { parseStatus } from '../../../webhook/inject/status';
import { FakeClock } from './fake-clock';
import { FakeKube } from './fake-kube';

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

describe('sidecar rollout: keyed by the injection target', () => {
  const quiet = createLogger({ stream: new Writable({ write: (_c, _e, cb) => cb() }) });

  function sidecarTarget(spec: Record<string, unknown>): SidecarTarget {
    const iop = {
      apiVersion: 'install.istio.io/v1alpha1',
      kind: 'IstioOperator',
      metadata: { name: 'x', namespace: 'istio-system' },
      spec: { profile: 'minimal', tag: '1.30.3', ...spec },
    };
    const r = render(iop);
    if (!r.ok || !r.desired.sidecar) throw new Error('no sidecar target rendered');
    return r.desired.sidecar;
  }

  it('restarts a workload again after a settings-only change, and once per target', async () => {
    const clock = new FakeClock();
    const kube = new FakeKube(() => clock.now());
    const rollout = new SidecarRollout(kube, 2000);
    const iop = {
      apiVersion: 'install.istio.io/v1alpha1',
      kind: 'IstioOperator',
      metadata: { name: 'x', namespace: 'istio-system', uid: 'iop-1', generation: 1 },
      spec: { sidecarRollout: { enabled: true, batchSize: 1, pauseSeconds: 0 } },
    };
    kube.seed({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'apps', labels: { 'istio-injection': 'enabled' } },
    });
    kube.seed({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'apps' },
      spec: { replicas: 1 },
    } as KubernetesObject);
    const original = sidecarTarget({});
    const resized = sidecarTarget(RESOURCES);
    const resizedAgain = sidecarTarget({
      values: { global: { proxy: { resources: { requests: { cpu: '300m', memory: '256Mi' } } } } },
    });
    expect(resized.expectedImage).toBe(original.expectedImage);
    expect(resizedAgain.expectedImage).toBe(original.expectedImage);
    /** The running pod, injected with `t`'s settings (what a rolled-out restart leaves behind). */
    const runPod = (t: SidecarTarget) => {
      kube.objects.delete([...kube.objects.keys()].find((k) => k.includes('web-5d9c7-abcde')) ?? '');
      kube.seed(apiserverDefaulted(injected(t.injection!)) as KubernetesObject);
    };
    /** The Deployment controller: the restarted template is rolled out and available. */
    const rolledOut = () => {
      const d = kube.find('apps/v1', 'Deployment', 'web', 'apps')!;
      d.status = {
        observedGeneration: d.metadata?.generation,
        replicas: 1,
        updatedReplicas: 1,
        availableReplicas: 1,
        conditions: [{ type: 'Available', status: 'True' }],
      };
    };
    const restartedAt = () =>
      (
        kube.find('apps/v1', 'Deployment', 'web', 'apps')?.spec as {
          template?: { metadata?: { annotations?: Record<string, string> } };
        }
      ).template?.metadata?.annotations?.[RESTARTED_AT];
    let prev: RolloutProgress | undefined;
    const pass = async (t: SidecarTarget) => {
      const o = await rollout.observe(iop, t, prev, clock.now(), quiet);
      prev = o.rollout;
      return o;
    };
    const restarts = () => kube.writes.filter((w) => w === 'patch Deployment/web').length;

    runPod(original);
    rolledOut();
    // Settings-only change: the pod is outdated and its workload restarted.
    let o = await pass(resized);
    expect(o.sidecars).toMatchObject({ injected: 1, outdated: 1 });
    expect(restarts()).toBe(1);
    expect(restartedAt()).toBe(new Date(clock.now()).toISOString());
    const firstTarget = prev?.target;
    expect(prev).toMatchObject({ targetImage: original.expectedImage, restarted: ['apps/Deployment/web'] });
    expect(firstTarget).toMatch(/^[0-9a-f]{16}$/);
    // Same target: never restarted twice, even while its pod is still outdated.
    rolledOut();
    clock.advance(5_000);
    o = await pass(resized);
    expect(o.sidecars.outdated).toBe(1);
    expect(restarts()).toBe(1);
    runPod(resized);
    clock.advance(5_000);
    o = await pass(resized);
    expect(o.sidecars.outdated).toBe(0);
    expect(prev).toMatchObject({ phase: 'Complete', target: firstTarget });

    // Another settings-only change (same image): a new pass restarts the workload once more.
    clock.advance(5_000);
    o = await pass(resizedAgain);
    expect(o.sidecars.outdated).toBe(1);
    expect(restarts()).toBe(2);
    expect(restartedAt()).toBe(new Date(clock.now()).toISOString());
    expect(prev?.target).not.toBe(firstTarget);
    expect(prev).toMatchObject({
      targetImage: original.expectedImage,
      restarted: ['apps/Deployment/web'],
      batch: ['apps/Deployment/web'],
    });
    // ...and not again for that target.
    rolledOut();
    for (let i = 0; i < 3; i++) {
      clock.advance(60_000);
      o = await pass(resizedAgain);
      expect(o.sidecars.outdated).toBe(1);
    }
    expect(restarts()).toBe(2);
    expect(prev?.phase).toBe('Complete');
  });

  it('keeps progress written before the target existed when its image matches', async () => {
    const clock = new FakeClock();
    const kube = new FakeKube(() => clock.now());
    const t = sidecarTarget(RESOURCES);
    kube.seed({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'apps', labels: { 'istio-injection': 'enabled' } },
    });
    kube.seed(apiserverDefaulted(injected(sidecarTarget({}).injection!)) as KubernetesObject);
    const legacy: RolloutProgress = {
      phase: 'Complete',
      targetImage: t.expectedImage,
      targetRevision: 'default',
      total: 1,
      restarted: ['apps/Deployment/web'],
      pending: 0,
      batch: [],
      stuck: [],
    };
    const o = await new SidecarRollout(kube, 2000).observe(
      {
        metadata: { uid: 'iop-1', generation: 1 },
        spec: { sidecarRollout: { enabled: true, pauseSeconds: 0 } },
      },
      t,
      legacy,
      clock.now(),
      quiet,
    );
    expect(kube.writes).toEqual([]);
    expect(o.rollout).toMatchObject({ phase: 'Complete', restarted: ['apps/Deployment/web'] });
    expect(o.rollout?.target).toMatch(/^[0-9a-f]{16}$/);
  });
});
