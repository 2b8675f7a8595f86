// Two IstioOperators (two revisions) whose renderings share one object, as both revisions' Base charts
// render ServiceAccount istio-reader-service-account: the reconciler (against the fake apiserver) keeps it
// through the first owner's uninstall and prune, handing it over to the other (shared-objects.ts).
import type { KubernetesObject } from '@kubernetes/client-node';
import { Writable } from 'stream';
import { createLogger } from '../../../lib/log';
import {
  LABEL_COMPONENT,
  LABEL_OWNING_NAMESPACE,
  LABEL_OWNING_RESOURCE,
} from '../../../operator/controller/apply/ownership';
import type { RenderOutcome } from '../../../operator/controller/reconcile/desired';
import { KubeEventRecorder } from '../../../operator/controller/reconcile/event-recorder';
import { IstioOperatorReconciler } from '../../../operator/controller/reconcile/reconciler';
import { FakeClock } from './fake-clock';
import { FakeKube } from './fake-kube';

const quiet = createLogger({ stream: new Writable({ write: (_c, _e, cb) => cb() }) });
const NS = 'istio-system';
const IOP = 'install.istio.io/v1alpha1';

const sa = (owner: string, name: string): KubernetesObject => ({
  apiVersion: 'v1',
  kind: 'ServiceAccount',
  metadata: {
    name,
    namespace: NS,
    labels: { [LABEL_COMPONENT]: 'Base', [LABEL_OWNING_RESOURCE]: owner, [LABEL_OWNING_NAMESPACE]: NS },
  },
});

function setup() {
  const clock = new FakeClock();
  const kube = new FakeKube(() => clock.now());
  for (const name of ['r30', 'r31'])
    kube.seed({ apiVersion: IOP, kind: 'IstioOperator', metadata: { name, namespace: NS, uid: name } });
  let r30Renders = ['istio-reader-service-account', 'istiod-r30'];
  // Each renders the shared ServiceAccount and one of its own, labelled as the real render does.
  const render = (iop: KubernetesObject): RenderOutcome => {
    const owner = iop.metadata!.name!;
    const names = owner === 'r30' ? r30Renders : ['istio-reader-service-account', 'istiod-r31'];
    return {
      ok: true,
      desired: {
        namespaces: [NS],
        components: [{ component: 'Base', objects: names.map((n) => sa(owner, n)) }],
      },
    };
  };
  const r = new IstioOperatorReconciler({
    client: kube,
    render,
    managedKinds: [{ apiVersion: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts', namespaced: true }],
    clock,
    log: quiet,
    events: new KubeEventRecorder(kube, clock, quiet, 'test'),
  });
  const shared = () => kube.find('v1', 'ServiceAccount', 'istio-reader-service-account', NS);
  const renderOnly = (names: string[]) => (r30Renders = names);
  return { kube, r, shared, renderOnly };
}

describe('an object two IstioOperators render', () => {
  it('survives the uninstall of the one that applied it first, handed over to the other', async () => {
    const t = setup();
    await t.r.reconcile(`${NS}/r30`);
    await t.r.reconcile(`${NS}/r31`);
    const before = t.shared()!;
    expect(before.metadata?.labels?.[LABEL_OWNING_RESOURCE]).toBe('r30');

    await t.kube.delete({ apiVersion: IOP, kind: 'IstioOperator', namespace: NS, name: 'r30' });
    for (let i = 0; i < 3; i++) await t.r.reconcile(`${NS}/r30`);
    expect(t.kube.find(IOP, 'IstioOperator', 'r30', NS)).toBeUndefined();
    expect(t.kube.find('v1', 'ServiceAccount', 'istiod-r30', NS)).toBeUndefined();
    const after = t.shared();
    expect(after?.metadata?.uid).toBe(before.metadata?.uid);
    expect(after?.metadata?.labels).toMatchObject({
      [LABEL_OWNING_RESOURCE]: 'r31',
      [LABEL_OWNING_NAMESPACE]: NS,
    });
    expect(t.kube.find('v1', 'ServiceAccount', 'istiod-r31', NS)).toBeDefined();
  });

  it('survives a prune by the one that applied it first (no longer rendered there), handed over', async () => {
    const t = setup();
    await t.r.reconcile(`${NS}/r30`);
    await t.r.reconcile(`${NS}/r31`);
    const before = t.shared()!;
    t.renderOnly(['istiod-r30']);
    await t.r.reconcile(`${NS}/r30`);
    expect(t.shared()?.metadata?.uid).toBe(before.metadata?.uid);
    expect(t.shared()?.metadata?.labels?.[LABEL_OWNING_RESOURCE]).toBe('r31');
  });

  it('is deleted with its owner when no other IstioOperator renders it', async () => {
    const t = setup();
    await t.r.reconcile(`${NS}/r30`);
    await t.kube.delete({ apiVersion: IOP, kind: 'IstioOperator', namespace: NS, name: 'r31' });
    await t.kube.delete({ apiVersion: IOP, kind: 'IstioOperator', namespace: NS, name: 'r30' });
    for (let i = 0; i < 3; i++) await t.r.reconcile(`${NS}/r30`);
    expect(t.shared()).toBeUndefined();
  });
});
