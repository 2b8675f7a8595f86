// The census judges injection settings and the injecting revision, not only the proxy image: a pod
// re-injected with the current config must keep its injected containers, as the webhook made them.
import type { KubernetesObject, V1Pod } from '@kubernetes/client-node';
import { Writable } from 'stream';
import { createLogger } from '../../../lib/log';
import type { RolloutProgress } from '../../../operator/controller/rollout/rollout-step';
import {
  CENSUS_PAGE_SIZE,
  RESTARTED_AT,
  SidecarRollout,
  type SidecarTarget,
} from '../../../operator/controller/rollout/sidecar-rollout';
import {
  injectionChanged,
  reinjectionCandidates,
  sidecarCensus,
  type CensusInput,
  type PodView,
} from '../../../operator/controller/rollout/outdated';
import { ReinjectionCache } from '../../../operator/controller/rollout/reinjection-cache';
import { injectPod, type InjectionConfig } from '../../../inject';
import { parseStatus } from '../../../inject/status';
import { chartControllerRender } from '../../../operator/render/charts/controller-render';
import { RenderCache } from '../../../operator/render/charts/render-cache';
import { ReleasesDirProvider } from '../../../release/local';
import { REFERENCE, renderer } from '../operator/charts/parity-helpers';
import { FakeClock } from './fake-clock';
import { FakeKube } from './fake-kube';

jest.setTimeout(120_000);

// Targets come from the operator's own render (the 1.30.3 release's charts through helm), rendered once
// before the tests for each spec they use, so the tests themselves stay synchronous.
const render = chartControllerRender({
  releases: new ReleasesDirProvider(REFERENCE),
  cache: new RenderCache(renderer()),
  defaultVersion: '1.30.3',
});
const RESOURCES = {
  values: {
    global: {
      proxy: { resources: { requests: { cpu: '200m', memory: '256Mi' }, limits: { memory: '1Gi' } } },
    },
  },
};
const RESOURCES_AGAIN = {
  values: { global: { proxy: { resources: { requests: { cpu: '300m', memory: '256Mi' } } } } },
};
// Another image of the same release (a tag would pick another release).
const OTHER_HUB = { hub: 'mirror.example/istio' };
const CANARY = { revision: 'canary' };
const rendered = new Map<string, SidecarTarget>();

beforeAll(async () => {
  for (const spec of [{}, RESOURCES, RESOURCES_AGAIN, OTHER_HUB, CANARY]) {
    const r = await render({
      apiVersion: 'install.istio.io/v1alpha1',
      kind: 'IstioOperator',
      metadata: { name: 'x', namespace: 'istio-system' },
      spec: { profile: 'minimal', ...spec },
    } as KubernetesObject);
    if (!r.ok) throw new Error(r.message);
    if (!r.desired.sidecar?.injection) throw new Error('no injection config rendered');
    rendered.set(JSON.stringify(spec), r.desired.sidecar);
  }
});

function sidecarOf(spec: Record<string, unknown>): SidecarTarget {
  const t = rendered.get(JSON.stringify(spec));
  if (!t) throw new Error(`no target rendered for ${JSON.stringify(spec)}`);
  return t;
}

function target(spec: Record<string, unknown>): { image: string; cfg: InjectionConfig; revision: string } {
  const s = sidecarOf(spec);
  return { image: s.expectedImage, cfg: s.injection!, revision: s.revision };
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

describe('sidecar census: injection settings', () => {
  it('does not count a pod injected with the current settings, also as the apiserver stores it', () => {
    const t = target({});
    const pod = injected(t.cfg);
    expect(injectionChanged(pod, 'apps', t.cfg)).toBe(false);
    expect(census([pod, apiserverDefaulted(injected(t.cfg, 'web-5d9c7-fghij'))], t)).toEqual({
      injected: 2,
      outdated: 0,
      outdatedWorkloads: [],
      outdatedOwners: [],
    });
  });

  it('does not count a pod whose app metrics injection merged into the agent (Bookinfo productpage)', () => {
    const t = target({});
    const pod = appPod();
    pod.metadata!.annotations = {
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': '9080',
      'prometheus.io/path': '/metrics',
    };
    const out = injectPod({ pod, namespace: 'apps', admission: true }, t.cfg);
    if (out.kind !== 'injected') throw new Error('not injected');
    const running = apiserverDefaulted({
      ...out.pod,
      metadata: { ...out.pod.metadata, name: 'web-5d9c7-prom1' },
    });
    // The premise: injection pointed the annotations at the agent and kept the app's in the proxy env.
    expect(running.metadata?.annotations?.['prometheus.io/port']).toBe('15020');
    const env = running.spec?.containers.find((c) => c.name === 'istio-proxy')?.env ?? [];
    expect(env.find((e) => e.name === 'ISTIO_PROMETHEUS_ANNOTATIONS')?.value).toContain('9080');
    expect(injectionChanged(running, 'apps', t.cfg)).toBe(false);
    expect(census([running], t).outdated).toBe(0);
    // A settings change still shows through the restored annotations.
    expect(census([running], target(RESOURCES)).outdated).toBe(1);
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
      outdatedOwners: ['apps/Deployment/web'],
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
    const pod = view(injected(target(OTHER_HUB).cfg));
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
    const canary = target(CANARY);
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
    // A pod labelled for another revision in that namespace is still canary's: upstream's revision webhooks
    // select by the namespace label first (stable's object webhook skips labelled namespaces).
    const other = structuredClone(byDefault);
    other.metadata!.labels!['istio.io/rev'] = 'stable';
    expect(census([other], canary, { 'istio.io/rev': 'canary' })).toMatchObject({ injected: 1, outdated: 1 });
    // In an unlabelled namespace the pod's label decides: not canary's.
    expect(census([other], canary, {})).toMatchObject({ injected: 0, outdated: 0 });
  });
});

describe('sidecar census: cached re-injection verdicts', () => {
  /** `n` stored pods (uid, resourceVersion) injected with `cfg`, every third one with `stale` instead. */
  function stored(n: number, cfg: InjectionConfig, stale: InjectionConfig): V1Pod[] {
    return Array.from({ length: n }, (_, i) => {
      const pod = apiserverDefaulted(injected(i % 3 === 0 ? stale : cfg, `web-5d9c7-${i}`));
      pod.metadata = { ...pod.metadata, uid: `uid-${i}`, resourceVersion: '1' };
      return pod;
    });
  }

  function input(pods: V1Pod[], t: { image: string; cfg: InjectionConfig; revision: string }): CensusInput {
    return {
      pods: pods.map(view),
      replicaSetOwners: new Map(),
      namespaceLabels: new Map([['apps', { 'istio-injection': 'enabled' }]]),
      namespaces: new Map([['apps', { metadata: { name: 'apps', resourceVersion: '7' } }]]),
      revision: t.revision,
      expectedImage: t.image,
      injection: t.cfg,
      controlPlaneNamespace: 'istio-system',
    };
  }

  async function cachedCensus(cache: ReinjectionCache, i: CensusInput, key: string) {
    const pass = cache.begin(key);
    const judged = await pass.judge(reinjectionCandidates(i), i);
    pass.commit();
    return {
      computed: judged.computed,
      census: sidecarCensus({ ...i, reinjectionVerdicts: judged.verdicts }),
    };
  }

  let current: ReturnType<typeof target>;
  let stale: InjectionConfig;
  beforeAll(() => {
    current = target(RESOURCES);
    stale = target({}).cfg;
  });

  it('gives the census the verdicts it computes itself, and re-injects nothing for unchanged pods', async () => {
    const pods = stored(9, current.cfg, stale);
    const cache = new ReinjectionCache();
    const uncached = sidecarCensus(input(pods, current));
    expect(uncached).toMatchObject({ injected: 9, outdated: 3 });
    const first = await cachedCensus(cache, input(pods, current), 'k1');
    expect(first).toEqual({ computed: 9, census: uncached });
    const second = await cachedCensus(cache, input(pods, current), 'k1');
    expect(second).toEqual({ computed: 0, census: uncached });
  });

  it('re-injects a pod again when it, its namespace or the injection target changed', async () => {
    const pods = stored(6, current.cfg, stale);
    const cache = new ReinjectionCache();
    await cachedCensus(cache, input(pods, current), 'k1');
    // Pod 1 was current; an update (new resourceVersion) replaced its sidecar with the old settings.
    const updated = structuredClone(pods);
    updated[1] = apiserverDefaulted(injected(stale, 'web-5d9c7-1'));
    updated[1].metadata = { ...updated[1].metadata, uid: 'uid-1', resourceVersion: '2' };
    const afterUpdate = await cachedCensus(cache, input(updated, current), 'k1');
    expect(afterUpdate).toMatchObject({ computed: 1, census: { injected: 6, outdated: 3 } });

    const nsChanged = input(updated, current);
    nsChanged.namespaces = new Map([['apps', { metadata: { name: 'apps', resourceVersion: '8' } }]]);
    expect((await cachedCensus(cache, nsChanged, 'k1')).computed).toBe(6);

    // The settings go back to the old ones: a new target, every verdict flips.
    const old = { ...current, cfg: stale };
    const afterTarget = await cachedCensus(cache, input(updated, old), 'k2');
    expect(afterTarget).toMatchObject({ computed: 6, census: { injected: 6, outdated: 3 } });
  });

  it('keeps only the pods of the last census, and does not cache pods without uid', async () => {
    const pods = stored(6, current.cfg, stale);
    const cache = new ReinjectionCache();
    await cachedCensus(cache, input(pods, current), 'k1');
    expect(cache.size).toBe(6);
    await cachedCensus(cache, input(pods.slice(0, 2), current), 'k1');
    expect(cache.size).toBe(2);
    const anonymous = pods.map((p) => ({ ...p, metadata: { ...p.metadata, uid: undefined } }));
    expect((await cachedCensus(cache, input(anonymous, current), 'k1')).computed).toBe(6);
    expect((await cachedCensus(cache, input(anonymous, current), 'k1')).computed).toBe(6);
    expect(cache.size).toBe(0);
  });

  it('lets other work run between slices of re-injection, and not within one slice', async () => {
    const pods = stored(8, current.cfg, stale);
    const turns = async (sliceMs: number) => {
      let clock = 0;
      // Each reading of the clock advances it 1 ms: a slice of 2 ms holds about one re-injection.
      const cache = new ReinjectionCache(sliceMs, () => clock++);
      let ran = 0;
      const tick = () => {
        ran++;
        if (ran < 100) setImmediate(tick);
      };
      setImmediate(tick);
      const done = cache.begin('k').judge(reinjectionCandidates(input(pods, current)), input(pods, current));
      await done;
      const count = ran;
      ran = 100; // stop the ticker
      return count;
    };
    expect(await turns(1_000)).toBe(0);
    expect(await turns(2)).toBeGreaterThanOrEqual(2);
  });
});

describe('sidecar rollout: keyed by the injection target', () => {
  const quiet = createLogger({ stream: new Writable({ write: (_c, _e, cb) => cb() }) });

  const sidecarTarget = sidecarOf;

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
    const resizedAgain = sidecarTarget(RESOURCES_AGAIN);
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

  it('judges the pods page by page like one list, reuses verdicts next time and reports their cost', async () => {
    const clock = new FakeClock();
    const kube = new FakeKube(() => clock.now());
    kube.pageSize = 2;
    const censused: [string, number, number][] = [];
    const rollout = new SidecarRollout(kube, 2000, 60_000, {
      censused: (revision, _seconds, reinjected, cached) => censused.push([revision, reinjected, cached]),
    });
    const t = sidecarTarget(RESOURCES);
    const stale = sidecarTarget({});
    kube.seed({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'apps', labels: { 'istio-injection': 'enabled' } },
    });
    // Five pods over three pages; one of them injected with the old settings.
    const pods = ['web-5d9c7-a', 'web-5d9c7-b', 'web-5d9c7-c', 'web-5d9c7-d', 'web-5d9c7-e'].map(
      (name, i) => {
        const pod = apiserverDefaulted(injected((i === 3 ? stale : t).injection!, name));
        pod.metadata = { ...pod.metadata, uid: `uid-${name}` };
        return pod;
      },
    );
    for (const pod of pods) kube.seed(pod as KubernetesObject);
    const iop = { metadata: { uid: 'iop-1', generation: 1 }, spec: {} };

    const first = await rollout.observe(iop, t, undefined, clock.now(), quiet);
    expect(first.sidecars).toMatchObject({ injected: 5, outdated: 1 });
    expect(kube.reads.filter((r) => r === 'list Pod')).toHaveLength(1);
    // One census over the whole list gives the same counts.
    const whole = sidecarCensus({
      pods: pods.map((p) => view(kube.find('v1', 'Pod', p.metadata!.name!, p.metadata!.namespace)! as V1Pod)),
      replicaSetOwners: new Map(),
      namespaceLabels: new Map([['apps', { 'istio-injection': 'enabled' }]]),
      revision: t.revision,
      expectedImage: t.expectedImage,
      injection: t.injection,
      controlPlaneNamespace: 'istio-system',
    });
    expect(whole).toMatchObject({ injected: 5, outdated: 1 });
    // The next census, one interval later: every verdict from the cache, across pages.
    clock.advance(60_000);
    const second = await rollout.observe(iop, t, undefined, clock.now(), quiet);
    expect(second.sidecars).toEqual(first.sidecars);
    expect(censused).toEqual([
      ['default', 5, 0],
      ['default', 0, 5],
    ]);
    expect(kube.pageSizes).toEqual([CENSUS_PAGE_SIZE, CENSUS_PAGE_SIZE]);
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
