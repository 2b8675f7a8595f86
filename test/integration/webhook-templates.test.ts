// Templates from the revision's ConfigMap, through the real apiserver: the webhook serves a revision
// whose `istio-sidecar-injector-<rev>` holds the istio-discovery chart's own `config` and `values`
// (rendered with the pinned Helm from ../shared/reference); editing the sidecar template there, or
// adding a named template selected with inject.istio.io/templates, changes the next pod, and a
// template that cannot be executed is reported at load time and rejects the pods that select it.
import { ApiException, type V1ConfigMap, type V1Pod } from '@kubernetes/client-node';
import { parse, stringify } from 'yaml';
import { type StartedWebhook } from '../../webhook/server/start';
import { stockInjectorConfigMap } from '../unit/inject/templates/stock-templates';
import { startLoopbackWebhook } from './support/loopback-webhook';
import {
  admissionApi,
  coreApi,
  createTestNamespace,
  deleteNamespace,
  uniqueName,
  waitFor,
} from './support/cluster';
import { revisionWebhookConfiguration } from './support/revision-webhook';

const VERSION = '1.30.3';
const rev = uniqueName('tmpl');
const injectorName = `istio-sidecar-injector-${rev}`;

function proxyOf(pod: V1Pod) {
  return [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].find(
    (c) => c.name === 'istio-proxy',
  );
}

const podBody = (name: string, annotations?: Record<string, string>): V1Pod => ({
  metadata: { name, labels: { app: name }, annotations },
  spec: { containers: [{ name: 'app', image: 'registry.invalid/app:1' }] },
});

/** The chart's `config` with its templates replaced by `templates`. */
function configWith(templates: Record<string, string>): string {
  const { config } = stockInjectorConfigMap(VERSION);
  const doc = parse(config) as Record<string, unknown>;
  return stringify({ ...doc, templates });
}

describe('injection templates from the ConfigMap', () => {
  const core = coreApi();
  const namespaces: string[] = [];
  let istioNs = '';
  let appNs = '';
  let webhook: StartedWebhook | undefined;
  let mwcName = '';
  let healthPort = 0;
  const stock = stockInjectorConfigMap(VERSION);

  const writeTemplates = async (templates: Record<string, string>): Promise<void> => {
    const body: V1ConfigMap = {
      metadata: { name: injectorName, namespace: istioNs },
      data: {
        values: JSON.stringify({ ...JSON.parse(stock.values), revision: rev }),
        config: configWith(templates),
      },
    };
    await core.replaceNamespacedConfigMap({ name: injectorName, namespace: istioNs, body });
  };

  /** Dry-run pods until one comes back as `ok` says (the informer delivers a ConfigMap change shortly). */
  const nextPod = (
    annotations: Record<string, string> | undefined,
    ok: (p: V1Pod) => boolean,
    what: string,
  ) =>
    waitFor(
      async () => {
        const p = await core.createNamespacedPod({
          namespace: appNs,
          body: podBody('probe', annotations),
          dryRun: 'All',
        });
        return ok(p) && p;
      },
      60_000,
      what,
    );

  beforeAll(async () => {
    istioNs = await createTestNamespace('tmpl-istio');
    appNs = await createTestNamespace('tmpl-app', { 'istio.io/rev': rev });
    namespaces.push(istioNs, appNs);
    await core.createNamespacedConfigMap({
      namespace: istioNs,
      body: { metadata: { name: `istio-${rev}` }, data: { mesh: 'trustDomain: cluster.local\n' } },
    });
    await core.createNamespacedConfigMap({
      namespace: istioNs,
      body: {
        metadata: { name: injectorName },
        data: {
          values: JSON.stringify({ ...JSON.parse(stock.values), revision: rev }),
          config: stock.config,
        },
      },
    });
    const started = await startLoopbackWebhook({
      commonName: 'meshwright-templates-test',
      istioNamespace: istioNs,
      nativeSidecars: 'disabled',
    });
    webhook = started.webhook;
    const ca = started.ca;
    healthPort = webhook.server.healthPort;
    const source = webhook.source;
    await waitFor(async () => 'config' in source.lookup(rev), 30_000, 'the revision to be configured');
    mwcName = uniqueName('meshwright-templates-test');
    await admissionApi().createMutatingWebhookConfiguration({
      body: revisionWebhookConfiguration(
        mwcName,
        `https://127.0.0.1:${webhook.server.port}`,
        ca.certPem,
        rev,
      ),
    });
    await nextPod(undefined, (p) => proxyOf(p) !== undefined, 'the injection webhook to take effect');
  });

  afterAll(async () => {
    if (mwcName) await admissionApi().deleteMutatingWebhookConfiguration({ name: mwcName });
    await webhook?.stop();
    for (const ns of namespaces) await deleteNamespace(ns);
  });

  it('injects the stock templates of the chart', async () => {
    const pod = await core.createNamespacedPod({ namespace: appNs, body: podBody('stock') });
    expect(proxyOf(pod)?.env?.some((e) => e.name === 'PILOT_CERT_PROVIDER')).toBe(true);
    expect(pod.spec?.initContainers?.map((c) => c.name)).toEqual(['istio-init']);
    expect(pod.metadata?.annotations?.['istio.io/rev']).toBe(rev);
  });

  it('exports which Istio version the revision is injected as: a ConfigMap without version labels is inexact', async () => {
    const text = await (await fetch(`http://127.0.0.1:${webhook!.server.metricsPort}/metrics`)).text();
    const line = text
      .split('\n')
      .find(
        (l) =>
          l.startsWith('meshwright_webhook_revision_version_inexact{') && l.includes(`revision="${rev}"`),
      );
    expect(line).toMatch(/declared="",line="1\.\d+"} 1$/);
  });

  it('injects an edited sidecar template: the next pod carries the new env var and annotation', async () => {
    const edited = stock.templates.sidecar
      .replace(
        '    - name: PILOT_CERT_PROVIDER\n',
        '    - name: EDITED_IN_CONFIGMAP\n      value: "yes"\n    - name: PILOT_CERT_PROVIDER\n',
      )
      .replace(
        '  annotations: {\n',
        '  annotations: {\n    edited.example.com/by: {{ .DeploymentMeta.Name | quote }},\n',
      );
    expect(edited).not.toBe(stock.templates.sidecar);
    await writeTemplates({ ...stock.templates, sidecar: edited });
    await nextPod(
      undefined,
      (p) => p.metadata?.annotations?.['edited.example.com/by'] !== undefined,
      'the edited template',
    );
    const pod = await core.createNamespacedPod({ namespace: appNs, body: podBody('edited') });
    expect(proxyOf(pod)?.env?.find((e) => e.name === 'EDITED_IN_CONFIGMAP')).toEqual({
      name: 'EDITED_IN_CONFIGMAP',
      value: 'yes',
    });
    expect(pod.metadata?.annotations?.['edited.example.com/by']).toBe('edited');
    // The rest of the template still does what the stock one does.
    expect(pod.spec?.initContainers?.map((c) => c.name)).toEqual(['istio-init']);
    expect(pod.metadata?.annotations?.['sidecar.istio.io/status']).toContain('istio-proxy');
  });

  it('applies a named template added to the ConfigMap when a pod selects it', async () => {
    const extra =
      'metadata:\n  labels:\n    extra-template: applied\nspec:\n  volumes:\n  - name: scratch\n    emptyDir: {}\n';
    await writeTemplates({ ...stock.templates, extra });
    const select = { 'inject.istio.io/templates': 'sidecar,extra' };
    await nextPod(select, (p) => p.metadata?.labels?.['extra-template'] === 'applied', 'the named template');
    const pod = await core.createNamespacedPod({ namespace: appNs, body: podBody('named', select) });
    expect(pod.metadata?.labels?.['extra-template']).toBe('applied');
    expect(pod.spec?.volumes?.map((v) => v.name)).toContain('scratch');
    expect(proxyOf(pod)).toBeDefined();
  });

  it('reports a template it cannot execute when the ConfigMap loads, and rejects pods selecting it', async () => {
    await writeTemplates({ ...stock.templates, broken: 'metadata: {{ frobnicate . }}\n' });
    const readyz = await waitFor(
      async () => {
        const res = await fetch(`http://127.0.0.1:${healthPort}/readyz`);
        const text = await res.text();
        return text.includes('"broken"') && { status: res.status, text };
      },
      30_000,
      'the broken template in /readyz',
    );
    expect(readyz.status).toBe(200);
    expect(readyz.text).toContain(`revision "${rev}" template "broken"`);
    expect(readyz.text).toContain('function "frobnicate" not defined');
    let message = '';
    try {
      await core.createNamespacedPod({
        namespace: appNs,
        body: podBody('broken', { 'inject.istio.io/templates': 'broken' }),
      });
    } catch (err) {
      message = err instanceof ApiException ? String(err.body) : String(err);
    }
    expect(message).toMatch(/template \\?"broken\\?" cannot be used/);
    // Pods on the default template are unaffected.
    const ok = await core.createNamespacedPod({ namespace: appNs, body: podBody('unaffected') });
    expect(proxyOf(ok)).toBeDefined();
  });
});
