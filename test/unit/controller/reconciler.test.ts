import type { KubernetesObject } from '@kubernetes/client-node';
import { Writable } from 'stream';
import { createLogger } from '../../../lib/log';
import {
  FINALIZER,
  LABEL_COMPONENT,
  LABEL_OWNING_NAMESPACE,
  LABEL_OWNING_RESOURCE,
} from '../../../operator/controller/apply/ownership';
import type { DesiredState, RenderOutcome } from '../../../operator/controller/reconcile/desired';
import { KubeEventRecorder } from '../../../operator/controller/reconcile/event-recorder';
import {
  FULL_PASS_MS,
  IstioOperatorReconciler,
  ReconcileError,
} from '../../../operator/controller/reconcile/reconciler';
import { ControllerRateLimiter } from '../../../operator/controller/queue/rate-limiter';
import { WorkQueue } from '../../../operator/controller/queue/work-queue';
import { processNext } from '../../../operator/controller/runtime/worker';
import { FakeClock } from './fake-clock';
import { FakeKube } from './fake-kube';

const quiet = createLogger({ stream: new Writable({ write: (_c, _e, cb) => cb() }) });
const NS = 'istio-system';

function owned(component: string, obj: KubernetesObject): KubernetesObject {
  const labels = {
    [LABEL_COMPONENT]: component,
    [LABEL_OWNING_RESOURCE]: 'installed',
    [LABEL_OWNING_NAMESPACE]: NS,
  };
  return { ...obj, metadata: { ...obj.metadata, labels: { ...obj.metadata?.labels, ...labels } } };
}

const crd = owned('Base', {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'gateways.networking.istio.io' },
});
const deploy = (component: string, name: string, replicas = 1) =>
  owned(component, {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: NS },
    spec: { replicas },
  } as KubernetesObject);
const sa = (component: string, name: string) =>
  owned(component, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: NS } });

function desired(opts: { egress?: boolean; istiodReplicas?: number } = {}): DesiredState {
  const components = [
    { component: 'Base', objects: [crd] },
    { component: 'Pilot', objects: [sa('Pilot', 'istiod'), deploy('Pilot', 'istiod', opts.istiodReplicas)] },
    {
      component: 'IngressGateways',
      objects: [
        sa('IngressGateways', 'istio-ingressgateway'),
        deploy('IngressGateways', 'istio-ingressgateway'),
      ],
    },
  ];
  if (opts.egress !== false) {
    components.push({
      component: 'EgressGateways',
      objects: [sa('EgressGateways', 'istio-egressgateway'), deploy('EgressGateways', 'istio-egressgateway')],
    });
  }
  return { namespaces: [NS], components };
}

function setup(sidecar = false, sidecarCensusTtlMs?: number) {
  const clock = new FakeClock();
  const kube = new FakeKube(() => clock.now());
  const target = { expectedImage: 'docker.io/istio/proxyv2:1.30.3', revision: '', controlPlaneNamespace: NS };
  let state: RenderOutcome = { ok: true, desired: sidecar ? { ...desired(), sidecar: target } : desired() };
  kube.seed({
    apiVersion: 'install.istio.io/v1alpha1',
    kind: 'IstioOperator',
    metadata: { name: 'installed', namespace: NS, uid: 'iop-1' },
  });
  const r = new IstioOperatorReconciler({
    client: kube,
    render: () => state,
    managedKinds: [
      { apiVersion: 'apps/v1', kind: 'Deployment', plural: 'deployments', namespaced: true },
      { apiVersion: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts', namespaced: true },
      {
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        plural: 'customresourcedefinitions',
        namespaced: false,
      },
    ],
    clock,
    log: quiet,
    events: new KubeEventRecorder(kube, clock, quiet, 'test'),
    sidecarCensusTtlMs,
  });
  /** What the deployment controller and kwok would do: mark every Deployment rolled out and available. */
  const rollOut = () => {
    for (const o of kube.objects.values()) {
      if (o.kind !== 'Deployment') continue;
      const replicas = (o.spec as { replicas?: number }).replicas ?? 1;
      o.status = {
        observedGeneration: o.metadata?.generation,
        replicas,
        updatedReplicas: replicas,
        availableReplicas: replicas,
        conditions: [{ type: 'Available', status: 'True' }],
      };
    }
  };
  const iop = () =>
    kube.find('install.istio.io/v1alpha1', 'IstioOperator', 'installed', NS) as KubernetesObject & {
      status?: Record<string, unknown>;
    };
  const setRender = (s: RenderOutcome) => (state = s);
  return { kube, clock, r, rollOut, iop, setRender, key: `${NS}/installed` };
}

async function converge(t: ReturnType<typeof setup>): Promise<void> {
  for (let i = 0; i < 5; i++) {
    const res = await t.r.reconcile(t.key);
    t.rollOut();
    if (!res.requeueAfterMs) return;
  }
}

describe('IstioOperatorReconciler', () => {
  it('installs in stages, waiting for pilot before the gateways, then reports HEALTHY', async () => {
    const t = setup();
    const first = await t.r.reconcile(t.key);
    expect(first.requeueAfterMs).toBe(2000);
    expect(t.iop().metadata?.finalizers).toEqual([FINALIZER]);
    expect(t.kube.find('v1', 'Namespace', NS)).toBeDefined();
    expect(t.kube.find('apps/v1', 'Deployment', 'istiod', NS)).toBeDefined();
    expect(t.kube.find('apps/v1', 'Deployment', 'istio-ingressgateway', NS)).toBeUndefined();
    expect(t.iop().status).toMatchObject({
      status: 'RECONCILING',
      componentStatus: { Base: { status: 'HEALTHY' }, IngressGateways: { status: 'RECONCILING' } },
    });
    expect(
      t.kube.writes
        .filter((w) => w.startsWith('apply'))
        .every((w) => w.endsWith('istio-operator force=true')),
    ).toBe(true);

    t.rollOut();
    await converge(t);
    expect(t.kube.find('apps/v1', 'Deployment', 'istio-egressgateway', NS)).toBeDefined();
    expect(t.iop().status).toMatchObject({
      status: 'HEALTHY',
      observedGeneration: 1,
      componentStatus: {
        Base: { status: 'HEALTHY' },
        Pilot: { status: 'HEALTHY' },
        IngressGateways: { status: 'HEALTHY' },
        EgressGateways: { status: 'HEALTHY' },
      },
    });
    expect(t.kube.eventLog).toContain('Normal Healthy: all components are installed and ready');
  });

  it('makes zero mutating calls and records no events in steady state', async () => {
    const t = setup();
    await converge(t);
    const writes = t.kube.writes.length;
    for (let i = 0; i < 3; i++) expect(await t.r.reconcile(t.key)).toEqual({});
    expect(t.kube.writes.slice(writes)).toEqual([]);
  });

  it('reverts an edit to a field it owns, and only that object', async () => {
    const t = setup();
    await converge(t);
    const d = t.kube.find('apps/v1', 'Deployment', 'istiod', NS)!;
    (d.spec as { replicas: number }).replicas = 5;
    const writes = t.kube.mutations().length;
    await converge(t);
    const applies = t.kube
      .mutations()
      .slice(writes)
      .filter((w) => w.startsWith('apply'));
    expect(applies).toEqual(['apply Deployment/istiod istio-operator force=true']);
    expect((t.kube.find('apps/v1', 'Deployment', 'istiod', NS)!.spec as { replicas: number }).replicas).toBe(
      1,
    );
  });

  it('recreates a deleted Deployment', async () => {
    const t = setup();
    await converge(t);
    await t.kube.delete({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'istiod', namespace: NS });
    await converge(t);
    expect(t.kube.find('apps/v1', 'Deployment', 'istiod', NS)).toBeDefined();
    expect(t.iop().status?.status).toBe('HEALTHY');
  });

  it('prunes the egress gateway when it is disabled, but keeps CRDs', async () => {
    const t = setup();
    await converge(t);
    t.setRender({
      ok: true,
      desired: {
        ...desired({ egress: false }),
        components: desired({ egress: false }).components.filter((c) => c.component !== 'Base'),
      },
    });
    await converge(t);
    expect(t.kube.find('apps/v1', 'Deployment', 'istio-egressgateway', NS)).toBeUndefined();
    expect(t.kube.find('v1', 'ServiceAccount', 'istio-egressgateway', NS)).toBeUndefined();
    expect(
      t.kube.find('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'gateways.networking.istio.io'),
    ).toBeDefined();
    expect(t.iop().status?.componentStatus).not.toHaveProperty('EgressGateways');
    expect(
      t.kube.eventLog.some((e) =>
        e.startsWith(
          'Normal Pruned: deleted objects no longer rendered: Deployment/istio-system/istio-egressgateway',
        ),
      ),
    ).toBe(true);
  });

  it('reports an apiserver rejection on its component only and retries with an error', async () => {
    const t = setup();
    t.kube.reject.set(
      'apps/Deployment/istio-system/istio-egressgateway',
      'Deployment.apps "istio-egressgateway" is invalid: spec.replicas: Invalid value: -1',
    );
    t.rollOut();
    await t.r.reconcile(t.key);
    t.rollOut();
    await expect(t.r.reconcile(t.key)).rejects.toThrow(ReconcileError);
    t.rollOut();
    await expect(t.r.reconcile(t.key)).rejects.toThrow(ReconcileError);
    expect(t.iop().status).toMatchObject({
      status: 'ERROR',
      componentStatus: {
        Pilot: { status: 'HEALTHY' },
        IngressGateways: { status: 'HEALTHY' },
        EgressGateways: {
          status: 'ERROR',
          error:
            'Deployment/istio-system/istio-egressgateway: Deployment.apps "istio-egressgateway" is invalid: spec.replicas: Invalid value: -1',
        },
      },
    });
    expect(t.kube.eventLog.filter((e) => e.startsWith('Warning ComponentError'))).toHaveLength(1);
    // Retrying with the same failure does not write status or events again.
    const writes = t.kube.writes.length;
    await expect(t.r.reconcile(t.key)).rejects.toThrow(ReconcileError);
    expect(t.kube.writes.slice(writes)).toEqual([
      'apply Deployment/istio-egressgateway istio-operator force=true',
    ]);
    t.kube.reject.clear();
    await converge(t);
    expect(t.iop().status?.status).toBe('HEALTHY');
  });

  it('reports UPDATING while a changed Deployment rolls out', async () => {
    const t = setup();
    await converge(t);
    t.setRender({ ok: true, desired: desired({ istiodReplicas: 2 }) });
    const res = await t.r.reconcile(t.key);
    expect(res.requeueAfterMs).toBe(2000);
    expect(t.iop().status).toMatchObject({
      status: 'UPDATING',
      componentStatus: { Pilot: { status: 'UPDATING' }, IngressGateways: { status: 'RECONCILING' } },
    });
    t.rollOut();
    await converge(t);
    expect(t.iop().status?.status).toBe('HEALTHY');
  });

  it('turns a component to ERROR when it stays unready past the deadline', async () => {
    const t = setup();
    await t.r.reconcile(t.key);
    t.clock.advance(299_000);
    expect((await t.r.reconcile(t.key)).requeueAfterMs).toBe(2000);
    t.clock.advance(1_000);
    await expect(t.r.reconcile(t.key)).rejects.toThrow(/Pilot: not ready after 300s: Deployment\/istiod/);
    expect(t.iop().status?.componentStatus).toMatchObject({ Pilot: { status: 'ERROR' } });
  });

  it('reports an invalid spec as ERROR without applying anything', async () => {
    const t = setup();
    t.setRender({ ok: false, reason: 'InvalidSpec', message: 'spec.profile: unknown profile "nope"' });
    expect(await t.r.reconcile(t.key)).toEqual({});
    expect(t.kube.mutations().filter((w) => w.startsWith('apply'))).toEqual([]);
    expect(t.iop().status).toMatchObject({
      status: 'ERROR',
      message: 'spec.profile: unknown profile "nope"',
    });
    expect(t.kube.eventLog).toEqual(['Warning InvalidSpec: spec.profile: unknown profile "nope"']);
  });

  it('on deletion removes everything it owns, CRDs included, then releases the finalizer', async () => {
    const t = setup();
    await converge(t);
    const foreign = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'app', namespace: NS } };
    t.kube.seed(foreign);
    await t.kube.delete({
      apiVersion: 'install.istio.io/v1alpha1',
      kind: 'IstioOperator',
      name: 'installed',
      namespace: NS,
    });
    expect(t.iop().metadata?.deletionTimestamp).toBeDefined();
    expect((await t.r.reconcile(t.key)).requeueAfterMs).toBe(2000);
    expect(await t.r.reconcile(t.key)).toEqual({});
    expect(t.iop()).toBeUndefined();
    const left = [...t.kube.objects.values()].map((o) => `${o.kind}/${o.metadata?.name}`);
    expect(left.sort()).toEqual(['Deployment/app', `Namespace/${NS}`]);
    expect(t.kube.eventLog).toContain('Normal Uninstalled: every owned object was deleted');
  });

  it('re-deletes an owned object stuck terminating during uninstall, at most once per 10 s, and names it', async () => {
    const t = setup();
    await converge(t);
    // kube-apiserver's CRD cleanup gave up: the CRD keeps its finalizer until it is deleted again.
    const liveCrd = t.kube.find('apiextensions.k8s.io/v1', 'CustomResourceDefinition', crd.metadata!.name!)!;
    liveCrd.metadata!.finalizers = ['customresourcecleanup.apiextensions.k8s.io'];
    liveCrd.status = {
      conditions: [
        {
          type: 'Terminating',
          status: 'True',
          reason: 'InstanceDeletionFailed',
          message: 'could not list instances: storage is (re)initializing',
        },
      ],
    };
    await t.kube.delete({
      apiVersion: 'install.istio.io/v1alpha1',
      kind: 'IstioOperator',
      name: 'installed',
      namespace: NS,
    });
    const crdDeletes = () =>
      t.kube.writes.filter((w) => w === `delete CustomResourceDefinition/${crd.metadata!.name}`).length;
    expect((await t.r.reconcile(t.key)).requeueAfterMs).toBe(2000);
    expect(crdDeletes()).toBe(1);
    // Younger than 10 s: left to the apiserver.
    t.clock.advance(9_000);
    expect((await t.r.reconcile(t.key)).requeueAfterMs).toBe(2000);
    expect(crdDeletes()).toBe(1);
    t.clock.advance(1_000);
    expect((await t.r.reconcile(t.key)).requeueAfterMs).toBe(2000);
    expect(crdDeletes()).toBe(2);
    expect(t.kube.eventLog).toContain(
      'Warning DeletionStalled: still terminating, DELETE re-issued: CustomResourceDefinition/gateways.networking.istio.io (terminating for 10s, InstanceDeletionFailed: could not list instances: storage is (re)initializing)',
    );
    // At most once per 10 s per object.
    t.clock.advance(2_000);
    await t.r.reconcile(t.key);
    expect(crdDeletes()).toBe(2);
    t.clock.advance(8_000);
    await t.r.reconcile(t.key);
    expect(crdDeletes()).toBe(3);
    // The apiserver finishes: the finalizer is released.
    for (const [k, o] of t.kube.objects) if (o === liveCrd) t.kube.objects.delete(k);
    expect(await t.r.reconcile(t.key)).toEqual({});
    expect(t.iop()).toBeUndefined();
  });

  it('re-deletes a pruned object stuck terminating, re-checking it every 10 s', async () => {
    const t = setup();
    await converge(t);
    const egress = t.kube.find('apps/v1', 'Deployment', 'istio-egressgateway', NS)!;
    egress.metadata!.finalizers = ['example.com/slow'];
    t.setRender({ ok: true, desired: desired({ egress: false }) });
    expect(await t.r.reconcile(t.key)).toEqual({ requeueAfterMs: 10_000 });
    const egressDeletes = () =>
      t.kube.writes.filter((w) => w === 'delete Deployment/istio-egressgateway').length;
    expect(egressDeletes()).toBe(1);
    t.clock.advance(10_000);
    expect(await t.r.reconcile(t.key)).toEqual({ requeueAfterMs: 10_000 });
    expect(egressDeletes()).toBe(2);
    expect(
      t.kube.eventLog.some((e) =>
        e.startsWith(
          'Warning DeletionStalled: still terminating, DELETE re-issued: Deployment/istio-system/istio-egressgateway',
        ),
      ),
    ).toBe(true);
    // Once it is gone the installation is back to a steady state without writes or re-queues.
    for (const [k, o] of t.kube.objects) if (o === egress) t.kube.objects.delete(k);
    await t.r.reconcile(t.key);
    const writes = t.kube.writes.length;
    expect(await t.r.reconcile(t.key)).toEqual({});
    expect(t.kube.writes.slice(writes)).toEqual([]);
  });

  it('does nothing for an IstioOperator that no longer exists', async () => {
    const t = setup();
    expect(await t.r.reconcile(`${NS}/other`)).toEqual({});
    expect(t.kube.writes).toEqual([]);
  });
});

describe('sidecar census and gradual rollout', () => {
  const OLD = 'docker.io/istio/proxyv2:1.29.0';
  function app(t: ReturnType<typeof setup>, name: string, image: string) {
    t.kube.seed({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'shop', labels: { 'istio-injection': 'enabled' } },
    });
    t.kube.seed({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: 'shop' },
      spec: { replicas: 1 },
    } as KubernetesObject);
    // No ReplicaSet object: the Deployment is found from the ReplicaSet name and pod-template-hash.
    t.kube.seed({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: `${name}-1-x`,
        namespace: 'shop',
        labels: { 'pod-template-hash': '1' },
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${name}-1`, uid: 'r', controller: true },
        ],
      },
      spec: {
        containers: [
          { name: 'app', image: 'shop/app:1' },
          { name: 'istio-proxy', image },
        ],
      },
    } as KubernetesObject);
  }
  const restartedAt = (t: ReturnType<typeof setup>, name: string) =>
    (
      t.kube.find('apps/v1', 'Deployment', name, 'shop')?.spec as {
        template?: { metadata?: { annotations?: Record<string, string> } };
      }
    )?.template?.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt'];

  it('counts outdated sidecars in status without restarting anything by default', async () => {
    const t = setup(true);
    app(t, 'cart', OLD);
    app(t, 'web', 'docker.io/istio/proxyv2:1.30.3');
    await converge(t);
    expect((t.iop().status as { meshwright?: unknown }).meshwright).toEqual({
      version: '1.30.3',
      sidecars: {
        injected: 2,
        outdated: 1,
        expectedImage: 'docker.io/istio/proxyv2:1.30.3',
        outdatedWorkloads: ['shop/Deployment/cart'],
        outdatedWorkloadCount: 1,
      },
    });
    expect(restartedAt(t, 'cart')).toBeUndefined();
    const writes = t.kube.writes.length;
    await t.r.reconcile(t.key);
    expect(t.kube.writes.slice(writes)).toEqual([]);
  });

  it('reuses a recent census instead of listing every pod on each pass', async () => {
    const t = setup(true);
    app(t, 'cart', OLD);
    await converge(t);
    const podLists = () => t.kube.reads.filter((r) => r === 'list Pod').length;
    const before = podLists();
    await t.r.reconcile(t.key);
    expect(podLists()).toBe(before);
    t.clock.advance(60_000);
    await t.r.reconcile(t.key);
    expect(podLists()).toBe(before + 1);
  });

  it('re-counts injected pods when the census expires: the work queue re-queues a HEALTHY IstioOperator', async () => {
    const t = setup(true);
    app(t, 'cart', OLD);
    await converge(t);
    const queue = new WorkQueue(t.clock, new ControllerRateLimiter(t.clock));
    const deps = {
      queue,
      clock: t.clock,
      log: quiet,
      controller: 'istiooperator',
      metrics: { reconciled: () => undefined },
      reconciler: t.r,
    };
    queue.add(t.key);
    await processNext(deps);
    // A new injected pod appears; nothing about the installation changes, so no event enqueues it.
    app(t, 'web', 'docker.io/istio/proxyv2:1.30.3');
    t.clock.advance(59_999);
    expect(queue.len()).toBe(0);
    t.clock.advance(1);
    expect(queue.len()).toBe(1);
    const writes = t.kube.writes.length;
    await processNext(deps);
    expect((t.iop().status as { meshwright?: unknown }).meshwright).toEqual({
      version: '1.30.3',
      sidecars: {
        injected: 2,
        outdated: 1,
        expectedImage: 'docker.io/istio/proxyv2:1.30.3',
        outdatedWorkloads: ['shop/Deployment/cart'],
        outdatedWorkloadCount: 1,
      },
    });
    expect(t.kube.writes.slice(writes)).toEqual(['patch IstioOperator/installed/status']);
    // Unchanged counts: another census (reads only), no write, and re-queued again.
    t.clock.advance(60_000);
    expect(queue.len()).toBe(1);
    const podLists = t.kube.reads.filter((r) => r === 'list Pod').length;
    await processNext(deps);
    expect(t.kube.reads.filter((r) => r === 'list Pod').length).toBe(podLists + 1);
    expect(t.kube.writes.length).toBe(writes + 1);
    t.clock.advance(60_000);
    expect(queue.len()).toBe(1);
  });

  it('passes of a converged IstioOperator look only at sidecars until a watch reports a change, its spec changes or a minute passes', async () => {
    const t = setup(true);
    app(t, 'cart', OLD);
    await converge(t);
    const ownedLists = () =>
      t.kube.reads.filter((r) => /^list (Deployment|ServiceAccount|CustomResourceDefinition)$/.test(r))
        .length;
    const full = ownedLists();
    expect(await t.r.reconcile(t.key)).toEqual({ requeueAfterMs: 60_000 });
    expect(ownedLists()).toBe(full);
    expect(t.iop().status?.status).toBe('HEALTHY');
    // The istiod Deployment deleted: the owned watch tells the reconciler, the next pass repairs it.
    await t.kube.delete({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: NS, name: 'istiod' });
    t.r.invalidate(t.key);
    await t.r.reconcile(t.key);
    expect(ownedLists()).toBeGreaterThan(full);
    expect(t.kube.find('apps/v1', 'Deployment', 'istiod', NS)).toBeDefined();
    await converge(t);
    // A spec change (a new generation) needs a full pass without any watch event.
    let lists = ownedLists();
    await t.r.reconcile(t.key);
    expect(ownedLists()).toBe(lists);
    t.iop().metadata!.generation = 7;
    await t.r.reconcile(t.key);
    expect(ownedLists()).toBeGreaterThan(lists);
    // And a full pass comes at least every FULL_PASS_MS, whatever the watches said.
    await t.r.reconcile(t.key);
    lists = ownedLists();
    t.clock.advance(FULL_PASS_MS);
    await t.r.reconcile(t.key);
    expect(ownedLists()).toBeGreaterThan(lists);
  });

  it('re-queues within the remaining census TTL, which is configurable', async () => {
    const t = setup(true, 3_000);
    app(t, 'cart', OLD);
    await converge(t);
    expect(t.iop().status?.status).toBe('HEALTHY');
    t.clock.advance(3_000);
    expect(await t.r.reconcile(t.key)).toEqual({ requeueAfterMs: 3_000 });
    t.clock.advance(500);
    expect(await t.r.reconcile(t.key)).toEqual({ requeueAfterMs: 2_500 });
  });

  it('restarts outdated workloads once the rollout is enabled, records progress, then stays quiet', async () => {
    const t = setup(true);
    app(t, 'cart', OLD);
    app(t, 'web', 'docker.io/istio/proxyv2:1.30.3');
    const iop = t.kube.find('install.istio.io/v1alpha1', 'IstioOperator', 'installed', NS)!;
    iop.spec = { sidecarRollout: { enabled: true, batchSize: 1, pauseSeconds: 0 } };
    await converge(t);
    expect(restartedAt(t, 'cart')).toBe(new Date(t.clock.now()).toISOString());
    expect(restartedAt(t, 'web')).toBeUndefined();
    expect(
      t.kube.eventLog.some((e) =>
        e.startsWith('Normal SidecarRollout: batch 1 started: restarting shop/Deployment/cart'),
      ),
    ).toBe(true);
    // The restarted Deployment rolls out and its pod gets the new proxy.
    t.rollOut();
    const pod = t.kube.find('v1', 'Pod', 'cart-1-x', 'shop') as KubernetesObject & {
      spec: { containers: { image: string }[] };
    };
    pod.spec.containers[1].image = 'docker.io/istio/proxyv2:1.30.3';
    await t.r.reconcile(t.key);
    const m = (
      t.iop().status as {
        meshwright?: { sidecarRollout?: Record<string, unknown>; sidecars?: Record<string, unknown> };
      }
    ).meshwright;
    expect(m?.sidecars).toMatchObject({ outdated: 0 });
    expect(m?.sidecarRollout).toMatchObject({
      phase: 'Complete',
      total: 1,
      pending: 0,
      restarted: ['shop/Deployment/cart'],
      batch: [],
    });
    expect(m?.sidecarRollout).not.toHaveProperty('batchStartedAt');
    const writes = t.kube.writes.length;
    // A complete rollout needs no re-check of its own, but its counts still expire with the census.
    expect(await t.r.reconcile(t.key)).toEqual({ requeueAfterMs: 60_000 });
    expect(t.kube.writes.slice(writes)).toEqual([]);
  });
});

describe('sidecar census failures', () => {
  it('are shown in status and as one event, without failing the installation', async () => {
    const t = setup(true);
    t.kube.forbidList.add('Pod');
    await converge(t);
    const status = t.iop().status as { status: string; meshwright?: { sidecars?: Record<string, unknown> } };
    expect(status.status).toBe('HEALTHY');
    expect(status.meshwright?.sidecars).toEqual({
      injected: 0,
      outdated: 0,
      expectedImage: 'docker.io/istio/proxyv2:1.30.3',
      error: 'pods is forbidden: cannot list',
    });
    await t.r.reconcile(t.key);
    expect(t.kube.eventLog.filter((e) => e.startsWith('Warning SidecarCensusFailed'))).toHaveLength(1);
    t.kube.forbidList.clear();
    await t.r.reconcile(t.key);
    expect(
      (t.iop().status as { meshwright?: { sidecars?: Record<string, unknown> } }).meshwright?.sidecars,
    ).not.toHaveProperty('error');
  });
});

describe('status patches', () => {
  it('clear a component error once it recovers', async () => {
    const t = setup();
    t.kube.reject.set('apps/Deployment/istio-system/istiod', 'denied');
    await expect(t.r.reconcile(t.key)).rejects.toThrow(ReconcileError);
    expect((t.iop().status as { componentStatus: Record<string, unknown> }).componentStatus.Pilot).toEqual({
      status: 'ERROR',
      error: 'Deployment/istio-system/istiod: denied',
    });
    t.kube.reject.clear();
    await converge(t);
    expect((t.iop().status as { componentStatus: Record<string, unknown> }).componentStatus.Pilot).toEqual({
      status: 'HEALTHY',
    });
  });
});

describe('a kind the cluster does not serve', () => {
  it('is an ERROR on its component naming the missing API; the rest is applied; it recovers once served', async () => {
    const t = setup();
    const nad = owned('Cni', {
      apiVersion: 'k8s.cni.cncf.io/v1',
      kind: 'NetworkAttachmentDefinition',
      metadata: { name: 'istio-cni', namespace: 'default' },
    });
    const d = desired();
    t.setRender({
      ok: true,
      desired: {
        ...d,
        components: [...d.components, { component: 'Cni', objects: [sa('Cni', 'istio-cni'), nad] }],
      },
    });
    t.kube.unserved.add('NetworkAttachmentDefinition');
    await expect(t.r.reconcile(t.key)).rejects.toThrow(ReconcileError);
    const status = t.iop().status as { status: string; componentStatus: Record<string, { error?: string }> };
    expect(status.status).toBe('ERROR');
    expect(status.componentStatus.Cni.error).toBe(
      'NetworkAttachmentDefinition/default/istio-cni: the cluster does not serve k8s.cni.cncf.io/v1 ' +
        'NetworkAttachmentDefinition (its CustomResourceDefinition is not installed): install that API first ' +
        '(Multus provides it; OpenShift ships it), or change the IstioOperator so it does not render it',
    );
    // The same stage's other objects are applied; nothing of the kind was written.
    expect(t.kube.find('v1', 'ServiceAccount', 'istio-cni', NS)).toBeDefined();
    expect(t.kube.find('apps/v1', 'Deployment', 'istiod', NS)).toBeDefined();
    expect(t.kube.writes.filter((w) => w.includes('NetworkAttachmentDefinition'))).toEqual([]);

    t.kube.unserved.clear();
    t.rollOut();
    await converge(t);
    expect(
      t.kube.find('k8s.cni.cncf.io/v1', 'NetworkAttachmentDefinition', 'istio-cni', 'default'),
    ).toBeDefined();
    expect((t.iop().status as { status: string }).status).toBe('HEALTHY');
  });
});

describe('objects rendered by two IstioOperators', () => {
  it('are left to the IstioOperator that owns them instead of being fought over', async () => {
    const t = setup();
    await converge(t);
    // A second IstioOperator (another revision) renders the same cluster-scoped CRD.
    t.kube.seed({
      apiVersion: 'install.istio.io/v1alpha1',
      kind: 'IstioOperator',
      metadata: { name: 'canary', namespace: NS },
    });
    const canaryCrd = {
      ...crd,
      metadata: { ...crd.metadata, labels: { ...crd.metadata?.labels, [LABEL_OWNING_RESOURCE]: 'canary' } },
    };
    const r2 = new IstioOperatorReconciler({
      client: t.kube,
      render: () => ({
        ok: true,
        desired: { namespaces: [], components: [{ component: 'Base', objects: [canaryCrd] }] },
      }),
      managedKinds: [
        {
          apiVersion: 'apiextensions.k8s.io/v1',
          kind: 'CustomResourceDefinition',
          plural: 'customresourcedefinitions',
          namespaced: false,
        },
      ],
      clock: t.clock,
      log: quiet,
      events: new KubeEventRecorder(t.kube, t.clock, quiet, 'test'),
    });
    await r2.reconcile(`${NS}/canary`);
    const writes = t.kube.mutations().length;
    for (let i = 0; i < 2; i++) {
      await r2.reconcile(`${NS}/canary`);
      await t.r.reconcile(t.key);
    }
    expect(t.kube.mutations().slice(writes)).toEqual([]);
    const live = t.kube.find(
      'apiextensions.k8s.io/v1',
      'CustomResourceDefinition',
      'gateways.networking.istio.io',
    )!;
    expect(live.metadata?.labels?.[LABEL_OWNING_RESOURCE]).toBe('installed');
    expect(
      (t.kube.find('install.istio.io/v1alpha1', 'IstioOperator', 'canary', NS)!.status as { status: string })
        .status,
    ).toBe('HEALTHY');

    // The owner's uninstall keeps the CRD while another IstioOperator remains (released, not deleted), and
    // the other takes it over.
    await t.kube.delete({
      apiVersion: 'install.istio.io/v1alpha1',
      kind: 'IstioOperator',
      name: 'installed',
      namespace: NS,
    });
    await t.r.reconcile(t.key);
    await t.r.reconcile(t.key);
    expect(t.iop()).toBeUndefined();
    const released = t.kube.find(
      'apiextensions.k8s.io/v1',
      'CustomResourceDefinition',
      'gateways.networking.istio.io',
    );
    expect(released?.metadata?.labels?.[LABEL_OWNING_RESOURCE]).toBeUndefined();
    expect(t.kube.eventLog).toContain(
      `Normal CRDsKept: kept 1 CRD(s), released for the IstioOperators that remain (${NS}/canary): CRDs are deleted only with the last one`,
    );
    await r2.reconcile(`${NS}/canary`);
    expect(
      t.kube.find('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'gateways.networking.istio.io')
        ?.metadata?.labels?.[LABEL_OWNING_RESOURCE],
    ).toBe('canary');
  });
});

describe('Istio CRDs across versions', () => {
  const CRD_API = 'apiextensions.k8s.io/v1';
  const crdAt = (owner: string, version: string, field: string): KubernetesObject =>
    ({
      apiVersion: CRD_API,
      kind: 'CustomResourceDefinition',
      metadata: {
        name: 'destinationrules.networking.istio.io',
        labels: {
          [LABEL_COMPONENT]: 'Base',
          [LABEL_OWNING_RESOURCE]: owner,
          [LABEL_OWNING_NAMESPACE]: NS,
          'operator.istio.io/version': version,
        },
      },
      spec: { field },
    }) as KubernetesObject;
  const kinds = [
    {
      apiVersion: CRD_API,
      kind: 'CustomResourceDefinition',
      plural: 'customresourcedefinitions',
      namespaced: false,
    },
  ];
  const iopRef = (name: string) => ({
    apiVersion: 'install.istio.io/v1alpha1',
    kind: 'IstioOperator',
    name,
    namespace: NS,
  });

  function twoOperators() {
    const clock = new FakeClock();
    const kube = new FakeKube(() => clock.now());
    const versions: Record<string, string> = { a: '1.30.3', b: '1.31.0-rc.0' };
    const reconciler = (name: string) =>
      new IstioOperatorReconciler({
        client: kube,
        render: () => ({
          ok: true,
          desired: {
            namespaces: [],
            components: [
              { component: 'Base', objects: [crdAt(name, versions[name], `from ${versions[name]}`)] },
            ],
          },
        }),
        managedKinds: kinds,
        clock,
        log: quiet,
        events: new KubeEventRecorder(kube, clock, quiet, 'test'),
      });
    const seedIop = (name: string) =>
      kube.seed({
        apiVersion: 'install.istio.io/v1alpha1',
        kind: 'IstioOperator',
        metadata: { name, namespace: NS, uid: name },
        spec: { tag: versions[name] },
      } as KubernetesObject);
    const live = () =>
      kube.find(CRD_API, 'CustomResourceDefinition', 'destinationrules.networking.istio.io') as
        (KubernetesObject & { spec?: { field?: string } }) | undefined;
    const status = (name: string) =>
      (
        kube.find('install.istio.io/v1alpha1', 'IstioOperator', name, NS) as {
          status?: Record<string, unknown>;
        }
      )?.status;
    return { kube, a: reconciler('a'), b: reconciler('b'), seedIop, live, status };
  }

  it('a newer IstioOperator upgrades them, an older one never downgrades them, and steady state writes nothing', async () => {
    const t = twoOperators();
    t.seedIop('a');
    await t.a.reconcile(`${NS}/a`);
    expect(t.live()?.spec?.field).toBe('from 1.30.3');
    t.seedIop('b');
    await t.b.reconcile(`${NS}/b`);
    expect(t.live()?.spec?.field).toBe('from 1.31.0-rc.0');
    expect(t.live()?.metadata?.labels?.[LABEL_OWNING_RESOURCE]).toBe('b');
    await t.a.reconcile(`${NS}/a`);
    expect(t.live()?.spec?.field).toBe('from 1.31.0-rc.0');
    expect((t.status('a')?.meshwright as Record<string, unknown>).crds).toEqual({
      keptNewer: 1,
      version: '1.31.0-rc.0',
      message:
        "1 CRD(s) kept at Istio 1.31.0-rc.0, newer than this IstioOperator's 1.30.3: CRDs are never downgraded",
    });
    expect(t.status('a')?.status).toBe('HEALTHY');
    expect(t.kube.eventLog).toContain(
      "Normal CRDsKept: 1 CRD(s) kept at Istio 1.31.0-rc.0, newer than this IstioOperator's 1.30.3: CRDs are never downgraded",
    );
    const writes = t.kube.mutations().length;
    for (let i = 0; i < 2; i++) {
      await t.a.reconcile(`${NS}/a`);
      await t.b.reconcile(`${NS}/b`);
    }
    expect(t.kube.mutations().slice(writes)).toEqual([]);
  });

  it('deleting the newer one keeps them; the older adopts them unchanged; the last uninstall deletes them', async () => {
    const t = twoOperators();
    t.seedIop('a');
    await t.a.reconcile(`${NS}/a`);
    t.seedIop('b');
    await t.b.reconcile(`${NS}/b`);
    await t.kube.delete(iopRef('b'));
    await t.b.reconcile(`${NS}/b`);
    await t.b.reconcile(`${NS}/b`);
    expect(t.kube.find('install.istio.io/v1alpha1', 'IstioOperator', 'b', NS)).toBeUndefined();
    expect(t.live()?.spec?.field).toBe('from 1.31.0-rc.0');
    await t.a.reconcile(`${NS}/a`);
    expect(t.live()?.spec?.field).toBe('from 1.31.0-rc.0');
    expect(t.live()?.metadata?.labels).toEqual(
      expect.objectContaining({ [LABEL_OWNING_RESOURCE]: 'a', 'operator.istio.io/version': '1.31.0-rc.0' }),
    );
    expect(t.kube.mutations().filter((m) => m.startsWith('apply')).length).toBe(2);
    await t.kube.delete(iopRef('a'));
    await t.a.reconcile(`${NS}/a`);
    await t.a.reconcile(`${NS}/a`);
    expect(t.live()).toBeUndefined();
  });
});

describe('in-place version changes', () => {
  it('a change Istio does not support is ACTION_REQUIRED with what to do, and nothing is applied', async () => {
    const t = setup();
    const iopSpec = (tag: string) => {
      const o = t.kube.find('install.istio.io/v1alpha1', 'IstioOperator', 'installed', NS) as {
        spec?: unknown;
      };
      o.spec = { tag };
    };
    iopSpec('1.29.2');
    await converge(t);
    expect((t.iop().status as { status: string }).status).toBe('HEALTHY');
    iopSpec('1.31.0');
    const writes = t.kube.mutations().length;
    expect(await t.r.reconcile(t.key)).toEqual({});
    const status = t.iop().status as {
      status: string;
      message: string;
      meshwright: { version: string };
      conditions: { type: string; reason: string }[];
    };
    expect(status.status).toBe('ACTION_REQUIRED');
    expect(status.message).toMatch(/upgrade 1\.29 -> 1\.30 first/);
    expect(status.meshwright.version).toBe('1.29.2');
    expect(status.conditions.find((c) => c.type === 'Reconciled')?.reason).toBe('UnsupportedVersionChange');
    expect(t.kube.mutations().slice(writes)).toEqual(['patch IstioOperator/installed/status']);
    expect(t.kube.eventLog.at(-1)).toMatch(
      /^Warning UnsupportedVersionChange: in-place upgrade from Istio 1\.29\.2/,
    );
    // One minor up is fine: applied, and the new version is installed.
    iopSpec('1.30.3');
    await converge(t);
    expect(t.iop().status).toMatchObject({ status: 'HEALTHY', meshwright: { version: '1.30.3' } });
  });
});
