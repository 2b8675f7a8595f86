// Held deletion: what holds an IstioOperator's revision (pure), and the reconciler keeping its finalizer
// and everything it owns while that lasts, then uninstalling.
import type { KubernetesObject } from '@kubernetes/client-node';
import { Writable } from 'stream';
import { createLogger } from '../../../lib/log';
import { FINALIZER } from '../../../operator/controller/apply/ownership';
import { deletionHold, podsInjectedBy } from '../../../operator/controller/reconcile/deletion-hold';
import { KubeEventRecorder } from '../../../operator/controller/reconcile/event-recorder';
import { IstioOperatorReconciler } from '../../../operator/controller/reconcile/reconciler';
import { FakeClock } from './fake-clock';
import { FakeKube } from './fake-kube';

const quiet = createLogger({ stream: new Writable({ write: (_c, _e, cb) => cb() }) });
const NS = 'istio-system';

const pod = (ns: string, name: string, revision: string | undefined, rs = 'web-7d9f8'): KubernetesObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    namespace: ns,
    name,
    annotations:
      revision === undefined
        ? {}
        : { 'sidecar.istio.io/status': JSON.stringify({ containers: ['istio-proxy'], revision }) },
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rs, uid: 'u', controller: true }],
  },
});

describe('deletionHold', () => {
  it('counts running pods the revision injected, per workload, and names the tags', () => {
    const pods = podsInjectedBy(
      [
        pod('shop', 'web-7d9f8-a', '1-30'),
        pod('shop', 'web-7d9f8-b', '1-30'),
        pod('shop', 'cart-1', '1-31', 'cart-5c6b7'),
        pod('pay', 'ledger-1', '1-30', 'ledger-66f7d'),
        pod('pay', 'plain', undefined),
        { ...pod('pay', 'done', '1-30'), status: { phase: 'Succeeded' } } as KubernetesObject,
      ],
      '1-30',
    );
    expect(pods.map((p) => `${p.namespace}/${p.workload}/${p.name}`)).toEqual([
      'shop/Deployment/web/web-7d9f8-a',
      'shop/Deployment/web/web-7d9f8-b',
      'pay/Deployment/ledger/ledger-1',
    ]);
    const hold = deletionHold('1-30', ['prod'], pods);
    expect(hold?.workloads).toEqual(['pay/Deployment/ledger', 'shop/Deployment/web']);
    expect(hold?.message).toBe(
      'deletion held: revision 1-30 is still in use: revision tag(s) prod point at it (move them first); ' +
        '3 pod(s) still run its sidecar, in pay/Deployment/ledger, shop/Deployment/web (restart them onto another revision)',
    );
  });

  it('holds nothing when no tag and no pod uses the revision; the default revision is "default" in pods', () => {
    expect(deletionHold('1-30', [], [])).toBeUndefined();
    expect(podsInjectedBy([pod('a', 'p', 'default')], '')).toHaveLength(1);
    expect(podsInjectedBy([pod('a', 'p', 'default')], '1-30')).toHaveLength(0);
  });

  it('names other IstioOperators of the revision (gateways-only ones) as holders', () => {
    expect(deletionHold('1-30', [], [], ['istio-system/gw'])?.message).toBe(
      'deletion held: revision 1-30 is still in use: IstioOperator(s) istio-system/gw of the same revision use its istiod (move their gateways first)',
    );
  });

  it('lists at most five workloads and says how many more', () => {
    const pods = Array.from({ length: 7 }, (_, i) => ({
      namespace: 'n',
      name: `p${i}`,
      workload: `Deployment/w${i}`,
    }));
    expect(deletionHold('r', [], pods)?.message).toMatch(
      /in n\/Deployment\/w0, .*n\/Deployment\/w4 and 2 more/,
    );
  });
});

describe('IstioOperatorReconciler with holdDeletion', () => {
  function setup() {
    const clock = new FakeClock();
    const kube = new FakeKube(() => clock.now());
    kube.seed({
      apiVersion: 'install.istio.io/v1alpha1',
      kind: 'IstioOperator',
      metadata: { name: '1-30', namespace: NS, uid: 'iop-1', finalizers: [FINALIZER] },
      spec: { revision: '1-30' },
    } as KubernetesObject);
    kube.seed({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: {
        name: 'istiod-1-30',
        namespace: NS,
        labels: {
          'install.operator.istio.io/owning-resource': '1-30',
          'install.operator.istio.io/owning-resource-namespace': NS,
          'operator.istio.io/component': 'Pilot',
        },
      },
    });
    kube.seed({
      apiVersion: 'meshwright.io/v1alpha1',
      kind: 'IstioRevisionTag',
      metadata: { name: 'prod' },
      spec: { revision: '1-30' },
    } as KubernetesObject);
    kube.seed(pod('shop', 'web-7d9f8-a', '1-30'));
    const r = new IstioOperatorReconciler({
      client: kube,
      render: () => ({ ok: true, desired: { namespaces: [NS], components: [] } }),
      managedKinds: [
        { apiVersion: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts', namespaced: true },
      ],
      clock,
      log: quiet,
      events: new KubeEventRecorder(kube, clock, quiet, 'test'),
      holdDeletion: true,
    });
    const iop = () =>
      kube.find('install.istio.io/v1alpha1', 'IstioOperator', '1-30', NS) as
        | (KubernetesObject & {
            status?: { message?: string; conditions?: { type: string; message: string }[] };
          })
        | undefined;
    return { kube, r, iop, key: `${NS}/1-30` };
  }

  it('keeps the finalizer and owned objects while a tag or pods use the revision, then uninstalls', async () => {
    const t = setup();
    await t.kube.delete({
      apiVersion: 'install.istio.io/v1alpha1',
      kind: 'IstioOperator',
      name: '1-30',
      namespace: NS,
    });
    expect(await t.r.reconcile(t.key)).toEqual({ requeueAfterMs: 5000 });
    expect(t.kube.find('v1', 'ServiceAccount', 'istiod-1-30', NS)).toBeDefined();
    const held = t.iop()?.status?.conditions?.find((c) => c.type === 'DeletionHeld');
    expect(held?.message).toMatch(
      /revision tag\(s\) prod point at it.*1 pod\(s\) still run its sidecar, in shop\/Deployment\/web/,
    );
    expect(t.kube.eventLog.filter((e) => e.startsWith('Warning DeletionHeld'))).toHaveLength(1);
    // Unchanged: no second event, no status write.
    const writes = t.kube.writes.length;
    await t.r.reconcile(t.key);
    expect(t.kube.writes.length).toBe(writes);

    // The tag moves away: the pod still holds it.
    t.kube.seed({
      apiVersion: 'meshwright.io/v1alpha1',
      kind: 'IstioRevisionTag',
      metadata: { name: 'prod' },
      spec: { revision: '1-31' },
    } as KubernetesObject);
    await t.r.reconcile(t.key);
    expect(t.iop()?.status?.message).toBe(
      'deletion held: revision 1-30 is still in use: 1 pod(s) still run its sidecar, in shop/Deployment/web (restart them onto another revision)',
    );
    // The pod was re-injected by 1-31: nothing holds it any more.
    t.kube.seed(pod('shop', 'web-7d9f8-a', '1-31'));
    expect(await t.r.reconcile(t.key)).toEqual({ requeueAfterMs: 2000 });
    expect(t.kube.find('v1', 'ServiceAccount', 'istiod-1-30', NS)).toBeUndefined();
    expect(await t.r.reconcile(t.key)).toEqual({});
    expect(t.iop()).toBeUndefined();
  });

  it('never holds a gateways-only IstioOperator of the revision, which itself holds the control plane one', async () => {
    const t = setup();
    t.kube.seed({
      apiVersion: 'install.istio.io/v1alpha1',
      kind: 'IstioOperator',
      metadata: { name: 'ingress', namespace: NS, uid: 'iop-gw', finalizers: [FINALIZER] },
      spec: { profile: 'empty', revision: '1-30' },
    } as KubernetesObject);
    t.kube.seed({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: {
        name: 'istio-ingressgateway-service-account',
        namespace: NS,
        labels: {
          'install.operator.istio.io/owning-resource': 'ingress',
          'install.operator.istio.io/owning-resource-namespace': NS,
          'operator.istio.io/component': 'IngressGateways',
        },
      },
    });
    // The control plane's IstioOperator is held by the tag, the pod and the gateways-only one.
    await t.kube.delete({
      apiVersion: 'install.istio.io/v1alpha1',
      kind: 'IstioOperator',
      name: '1-30',
      namespace: NS,
    });
    await t.r.reconcile(t.key);
    expect(t.iop()?.status?.message).toMatch(/IstioOperator\(s\) istio-system\/ingress of the same revision/);
    // The gateways-only one goes at once, though the same tag and pod use revision 1-30.
    await t.kube.delete({
      apiVersion: 'install.istio.io/v1alpha1',
      kind: 'IstioOperator',
      name: 'ingress',
      namespace: NS,
    });
    const gwKey = `${NS}/ingress`;
    await t.r.reconcile(gwKey);
    await t.r.reconcile(gwKey);
    expect(t.kube.find('v1', 'ServiceAccount', 'istio-ingressgateway-service-account', NS)).toBeUndefined();
    expect(t.kube.find('install.istio.io/v1alpha1', 'IstioOperator', 'ingress', NS)).toBeUndefined();
    expect(t.kube.find('v1', 'ServiceAccount', 'istiod-1-30', NS)).toBeDefined();
    // ...after which the control plane's hold names only the tag and the pod.
    await t.r.reconcile(t.key);
    expect(t.iop()?.status?.message).not.toMatch(/IstioOperator\(s\)/);
    expect(t.iop()?.status?.message).toMatch(/revision tag\(s\) prod point at it/);
  });
});
