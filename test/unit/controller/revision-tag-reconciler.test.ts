// TagReconciler against the fake apiserver: applies the tag's webhook, Service and status, moves them in
// place, refuses a webhook or Service an IstioOperator's values.revisionTags owns, deletes only its own.
import type { KubernetesObject } from '@kubernetes/client-node';
import { Writable } from 'stream';
import { createLogger } from '../../../lib/log';
import { TagReconciler } from '../../../operator/controller/tags/tag-reconciler';
import { FakeKube } from './fake-kube';

const quiet = createLogger({ stream: new Writable({ write: (_c, _e, cb) => cb() }) });
const MWC = 'admissionregistration.k8s.io/v1';
const iop = (name: string, revision: string): KubernetesObject =>
  ({
    apiVersion: 'install.istio.io/v1alpha1',
    kind: 'IstioOperator',
    metadata: { name, namespace: 'istio-system' },
    spec: { revision },
    status: { status: 'HEALTHY', meshwright: { version: revision === '1-31' ? '1.31.0' : '1.30.3' } },
  }) as KubernetesObject;
const tag = (revision: string): KubernetesObject =>
  ({
    apiVersion: 'meshwright.io/v1alpha1',
    kind: 'IstioRevisionTag',
    metadata: { name: 'prod' },
    spec: { revision },
  }) as KubernetesObject;
type Hook = { clientConfig: { url: string } };
type Svc = KubernetesObject & { spec: { selector: Record<string, string> } };

function setup() {
  const kube = new FakeKube();
  kube.seed(iop('1-30', '1-30'));
  kube.seed(iop('1-31', '1-31'));
  const r = new TagReconciler({ client: kube, target: { url: 'https://wh:9443' }, log: quiet });
  const webhook = () =>
    kube.find(MWC, 'MutatingWebhookConfiguration', 'istio-revision-tag-prod') as
      (KubernetesObject & { webhooks: Hook[] }) | undefined;
  const status = () =>
    (kube.find('meshwright.io/v1alpha1', 'IstioRevisionTag', 'prod') as { status?: Record<string, unknown> })
      .status;
  const service = (namespace = 'istio-system') =>
    kube.find('v1', 'Service', 'istiod-revision-tag-prod', namespace) as Svc | undefined;
  return { kube, r, webhook, status, service };
}

describe('TagReconciler', () => {
  it('applies the webhook for the revision, writes status once, moves the tag in place', async () => {
    const t = setup();
    t.kube.seed(tag('1-30'));
    await t.r.reconcile('prod');
    expect(t.webhook()?.webhooks.map((w) => w.clientConfig.url)).toEqual([
      'https://wh:9443/inject/rev/1-30',
      'https://wh:9443/inject/rev/1-30',
    ]);
    expect(t.status()).toMatchObject({
      state: 'Ready',
      revision: '1-30',
      istioOperator: 'istio-system/1-30',
      istioVersion: '1.30.3',
      service: 'istio-system/istiod-revision-tag-prod',
    });
    expect(t.service()?.metadata?.labels).toMatchObject({ 'istio.io/rev': '1-30', 'istio.io/tag': 'prod' });
    expect(t.service()?.spec.selector).toEqual({ app: 'istiod', 'istio.io/rev': '1-30' });
    const writes = t.kube.writes.filter((w) => w.includes('/status')).length;
    await t.r.reconcile('prod');
    expect(t.kube.writes.filter((w) => w.includes('/status')).length).toBe(writes);

    t.kube.seed({ ...tag('1-31'), status: t.status() } as KubernetesObject);
    await t.r.reconcile('prod');
    expect(t.webhook()?.webhooks.map((w) => w.clientConfig.url)).toEqual([
      'https://wh:9443/inject/rev/1-31',
      'https://wh:9443/inject/rev/1-31',
    ]);
    expect(t.status()).toMatchObject({ state: 'Ready', revision: '1-31', istioVersion: '1.31.0' });
    expect(t.kube.writes.filter((w) => w.startsWith('apply MutatingWebhookConfiguration'))).toEqual([
      'apply MutatingWebhookConfiguration/istio-revision-tag-prod meshwright-revision-tags force=true',
      'apply MutatingWebhookConfiguration/istio-revision-tag-prod meshwright-revision-tags force=true',
      'apply MutatingWebhookConfiguration/istio-revision-tag-prod meshwright-revision-tags force=true',
    ]);
    // The Service moved with it: the same object, applied again, never deleted.
    expect(t.service()?.metadata?.labels).toMatchObject({ 'istio.io/rev': '1-31' });
    expect(t.service()?.spec.selector).toEqual({ app: 'istiod', 'istio.io/rev': '1-31' });
    expect(t.kube.writes.filter((w) => w.includes('Service/'))).toEqual(
      Array(3).fill('apply Service/istiod-revision-tag-prod meshwright-revision-tags force=true'),
    );
  });

  it("moves the Service with the tag to the namespace of the new revision's istiod, deleting the old one", async () => {
    const t = setup();
    t.kube.seed(tag('1-30'));
    await t.r.reconcile('prod');
    expect(t.service()).toBeDefined();
    t.kube.seed({
      ...iop('1-31', '1-31'),
      spec: { revision: '1-31', values: { global: { istioNamespace: 'mesh' } } },
    } as KubernetesObject);
    t.kube.seed({ ...tag('1-31'), status: t.status() } as KubernetesObject);
    await t.r.reconcile('prod');
    expect(t.service('mesh')?.spec.selector).toEqual({ app: 'istiod', 'istio.io/rev': '1-31' });
    expect(t.service()).toBeUndefined();
    expect(t.status()).toMatchObject({ state: 'Ready', service: 'mesh/istiod-revision-tag-prod' });
    expect(t.kube.writes.filter((w) => w.includes('Service/')).slice(1)).toEqual([
      'apply Service/istiod-revision-tag-prod meshwright-revision-tags force=true',
      'delete Service/istiod-revision-tag-prod',
    ]);
  });

  it('leaves the Service alone while the new revision is not ready', async () => {
    const t = setup();
    t.kube.seed(tag('1-30'));
    await t.r.reconcile('prod');
    t.kube.seed({ ...iop('1-31', '1-31'), status: { status: 'RECONCILING' } } as KubernetesObject);
    t.kube.seed({ ...tag('1-31'), status: t.status() } as KubernetesObject);
    const writes = t.kube.writes.length;
    await t.r.reconcile('prod');
    expect(t.kube.writes.slice(writes)).toEqual(['patch IstioRevisionTag/prod/status']);
    expect(t.service()?.spec.selector).toEqual({ app: 'istiod', 'istio.io/rev': '1-30' });
  });

  it('leaves a webhook an IstioOperator renders (values.revisionTags) alone and reports the conflict', async () => {
    const t = setup();
    t.kube.seed(tag('1-31'));
    t.kube.seed({
      apiVersion: MWC,
      kind: 'MutatingWebhookConfiguration',
      metadata: {
        name: 'istio-revision-tag-prod',
        labels: {
          'install.operator.istio.io/owning-resource': '1-30',
          'install.operator.istio.io/owning-resource-namespace': 'istio-system',
        },
      },
      webhooks: [{ clientConfig: { url: 'https://wh:9443/inject/rev/1-30' } }],
    } as KubernetesObject);
    await t.r.reconcile('prod');
    expect(t.webhook()?.webhooks.map((w) => w.clientConfig.url)).toEqual(['https://wh:9443/inject/rev/1-30']);
    expect(t.status()).toMatchObject({ state: 'Conflict' });
    expect(JSON.stringify(t.status())).toContain(
      'installed by IstioOperator istio-system/1-30 (values.revisionTags)',
    );
  });

  it('leaves a Service an IstioOperator renders (values.revisionTags without webhooks) alone and reports the conflict', async () => {
    const t = setup();
    t.kube.seed(tag('1-31'));
    const theirs = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: 'istiod-revision-tag-prod',
        namespace: 'istio-system',
        labels: {
          'istio.io/tag': 'prod',
          'istio.io/rev': '1-30',
          'install.operator.istio.io/owning-resource': '1-30',
          'install.operator.istio.io/owning-resource-namespace': 'istio-system',
        },
      },
      spec: { selector: { app: 'istiod', 'istio.io/rev': '1-30' } },
    };
    t.kube.seed(theirs as KubernetesObject);
    await t.r.reconcile('prod');
    expect(t.webhook()).toBeUndefined();
    expect(t.service()?.spec.selector).toEqual(theirs.spec.selector);
    expect(t.status()).toMatchObject({ state: 'Conflict' });
    expect(JSON.stringify(t.status())).toContain(
      'Service istio-system/istiod-revision-tag-prod is installed by IstioOperator istio-system/1-30 (values.revisionTags)',
    );
  });

  it('refuses the default tag while the static default-revision webhook of config/ exists', async () => {
    const t = setup();
    t.kube.seed({ ...tag('1-31'), metadata: { name: 'default' } } as KubernetesObject);
    t.kube.seed({
      apiVersion: MWC,
      kind: 'MutatingWebhookConfiguration',
      metadata: { name: 'meshwright-sidecar-injector' },
    } as KubernetesObject);
    await t.r.reconcile('default');
    expect(t.kube.find(MWC, 'MutatingWebhookConfiguration', 'istio-revision-tag-default')).toBeUndefined();
    const st = (
      t.kube.find('meshwright.io/v1alpha1', 'IstioRevisionTag', 'default') as {
        status?: Record<string, unknown>;
      }
    ).status;
    expect(st).toMatchObject({ state: 'Conflict' });
    expect(JSON.stringify(st)).toContain(
      'the static webhook meshwright-sidecar-injector (config/webhook/standalone) also serves istio-injection=enabled',
    );
    // Once it is gone the tag is served.
    await t.kube.delete({
      apiVersion: MWC,
      kind: 'MutatingWebhookConfiguration',
      name: 'meshwright-sidecar-injector',
    });
    await t.r.reconcile('default');
    expect(t.kube.find(MWC, 'MutatingWebhookConfiguration', 'istio-revision-tag-default')).toBeDefined();
  });

  it("deletes a deleted tag's own webhook and Service only", async () => {
    const t = setup();
    t.kube.seed(tag('1-30'));
    await t.r.reconcile('prod');
    expect(t.webhook()).toBeDefined();
    expect(t.service()).toBeDefined();
    await t.kube.delete({ apiVersion: 'meshwright.io/v1alpha1', kind: 'IstioRevisionTag', name: 'prod' });
    await t.r.reconcile('prod');
    expect(t.webhook()).toBeUndefined();
    expect(t.service()).toBeUndefined();
    // A same-named webhook and Service this controller did not make stay.
    t.kube.seed({
      apiVersion: MWC,
      kind: 'MutatingWebhookConfiguration',
      metadata: { name: 'istio-revision-tag-prod' },
    } as KubernetesObject);
    t.kube.seed({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: 'istiod-revision-tag-prod',
        namespace: 'istio-system',
        labels: { 'istio.io/tag': 'prod' },
      },
    } as KubernetesObject);
    await t.r.reconcile('prod');
    expect(t.webhook()).toBeDefined();
    expect(t.service()).toBeDefined();
  });

  it("tag default chooses the default validator: the revision's own validator, moved with the tag, deleted with it", async () => {
    const t = setup();
    const vwc = (rev: string): KubernetesObject =>
      ({
        apiVersion: MWC,
        kind: 'ValidatingWebhookConfiguration',
        metadata: { name: `istio-validator-${rev}-istio-system`, labels: { 'istio.io/rev': rev } },
        webhooks: [
          {
            name: 'rev.validation.istio.io',
            clientConfig: {
              service: { name: `istiod-${rev}`, namespace: 'istio-system', path: '/validate' },
            },
            objectSelector: { matchExpressions: [{ key: 'istio.io/rev', operator: 'In', values: [rev] }] },
            sideEffects: 'None',
            admissionReviewVersions: ['v1'],
          },
        ],
      }) as KubernetesObject;
    const validator = () =>
      t.kube.find(MWC, 'ValidatingWebhookConfiguration', 'istiod-default-validator') as
        (KubernetesObject & { webhooks: { clientConfig: { service: { name: string } } }[] }) | undefined;
    const defaultTag = (revision: string) =>
      ({ ...tag(revision), metadata: { name: 'default' } }) as KubernetesObject;

    // No validator rendered for the revision yet: nothing is made up.
    t.kube.seed(defaultTag('1-30'));
    await t.r.reconcile('default');
    expect(t.kube.find(MWC, 'MutatingWebhookConfiguration', 'istio-revision-tag-default')).toBeDefined();
    expect(validator()).toBeUndefined();

    t.kube.seed(vwc('1-30'));
    t.kube.seed(vwc('1-31'));
    await t.r.reconcile('default');
    expect(validator()?.webhooks.map((w) => w.clientConfig.service.name)).toEqual(['istiod-1-30']);
    expect(validator()?.metadata?.labels).toMatchObject({ 'istio.io/rev': '1-30' });

    t.kube.seed(defaultTag('1-31'));
    await t.r.reconcile('default');
    expect(validator()?.webhooks.map((w) => w.clientConfig.service.name)).toEqual(['istiod-1-31']);

    // A tag other than default never touches it.
    t.kube.seed(tag('1-30'));
    await t.r.reconcile('prod');
    expect(validator()?.webhooks.map((w) => w.clientConfig.service.name)).toEqual(['istiod-1-31']);

    await t.kube.delete({ apiVersion: 'meshwright.io/v1alpha1', kind: 'IstioRevisionTag', name: 'default' });
    await t.r.reconcile('default');
    expect(validator()).toBeUndefined();
    expect(
      t.kube.find(MWC, 'ValidatingWebhookConfiguration', 'istio-validator-1-31-istio-system'),
    ).toBeDefined();
  });
});
