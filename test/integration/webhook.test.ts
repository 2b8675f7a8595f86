// `meshwright webhook` against the real apiserver: the server runs in-process in cluster mode, the
// apiserver calls it through a MutatingWebhookConfiguration built from the shipped one (same selectors,
// url on loopback), and pods created directly or by the controller-manager come back injected.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ApiException,
  type V1MutatingWebhook,
  type V1MutatingWebhookConfiguration,
  type V1Pod,
} from '@kubernetes/client-node';
import { parse } from 'yaml';
import { createRegistry } from '../../lib/metrics';
import { buildInjectionConfig } from '../../inject';
import { type StartedWebhook } from '../../webhook/server/start';
import { startLoopbackWebhook } from './support/loopback-webhook';
import {
  admissionApi,
  appsApi,
  coreApi,
  createTestNamespace,
  deleteNamespace,
  uniqueName,
  waitFor,
} from './support/cluster';
import { seedInjectorConfigMaps } from './support/injector-config';

const RUN_LABEL = 'meshwright.test/webhook-run';
const runId = uniqueName('run');
const root = join(__dirname, '..', '..');

/** The shipped webhooks, pointed at `url` and limited to this run's namespaces (the cluster is shared). */
function webhooksFor(url: string, caPem: string, suffix: string): V1MutatingWebhook[] {
  const shipped = parse(
    readFileSync(join(root, 'config/webhook/standalone/mutatingwebhookconfiguration.yaml'), 'utf8'),
  ) as V1MutatingWebhookConfiguration;
  return (shipped.webhooks ?? []).map((w) => ({
    ...w,
    name: w.name.replace('meshwright.io', `${suffix}.meshwright.test`),
    clientConfig: { url, caBundle: Buffer.from(caPem).toString('base64') },
    namespaceSelector: {
      matchExpressions: [
        ...(w.namespaceSelector?.matchExpressions ?? []),
        { key: RUN_LABEL, operator: 'In', values: [runId] },
      ],
    },
  }));
}

/** The rev.* webhooks for revision `rev`, served at /inject/rev/<rev>. */
function revisionWebhooks(base: string, caPem: string, rev: string): V1MutatingWebhook[] {
  return webhooksFor(`${base}/inject/rev/${rev}`, caPem, rev)
    .filter((w) => w.name.startsWith('rev.'))
    .map((w) => {
      const swap = (exprs: { key: string; operator: string; values?: string[] }[] | undefined) =>
        exprs?.map((e) => (e.key === 'istio.io/rev' && e.operator === 'In' ? { ...e, values: [rev] } : e));
      return {
        ...w,
        namespaceSelector: { matchExpressions: swap(w.namespaceSelector?.matchExpressions) },
        objectSelector: { matchExpressions: swap(w.objectSelector?.matchExpressions) },
      };
    });
}

function containerNames(pod: V1Pod): string[] {
  return [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].map((c) => c.name);
}

function proxyOf(pod: V1Pod) {
  return [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].find(
    (c) => c.name === 'istio-proxy',
  );
}

function podBody(
  name: string,
  extra: {
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    hostNetwork?: boolean;
  } = {},
): V1Pod {
  return {
    metadata: { name, labels: { app: name, ...extra.labels }, annotations: extra.annotations },
    spec: { hostNetwork: extra.hostNetwork, containers: [{ name: 'app', image: 'registry.invalid/app:1' }] },
  };
}

function injectorValues(overlay: Record<string, unknown> = {}): string {
  return JSON.stringify(buildInjectionConfig({ overlays: [{ values: overlay }] }).values);
}

describe('meshwright webhook in cluster mode', () => {
  const namespaces: string[] = [];
  let istioNs = '';
  let ownNs = '';
  let webhook: StartedWebhook | undefined;
  let mwcName = '';
  const core = coreApi();

  async function namespace(prefix: string, labels: Record<string, string> = {}): Promise<string> {
    const ns = await createTestNamespace(prefix, { [RUN_LABEL]: runId, ...labels });
    namespaces.push(ns);
    return ns;
  }

  const createPod = (ns: string, pod: V1Pod) => core.createNamespacedPod({ namespace: ns, body: pod });

  beforeAll(async () => {
    istioNs = await namespace('wh-istio');
    ownNs = await namespace('wh-own', { 'istio-injection': 'enabled' });
    await seedInjectorConfigMaps(istioNs, injectorValues());
    await core.createNamespacedConfigMap({
      namespace: istioNs,
      body: {
        metadata: { name: 'istio-sidecar-injector-canary' },
        data: { values: injectorValues({ revision: 'canary' }), config: 'policy: enabled\n' },
      },
    });

    const registry = createRegistry(false);
    const started = await startLoopbackWebhook({
      commonName: 'meshwright-webhook-test',
      istioNamespace: istioNs,
      ownNamespace: ownNs,
      nativeSidecars: 'auto',
      registry,
    });
    webhook = started.webhook;
    const ca = started.ca;
    const source = webhook.source;
    await waitFor(async () => 'config' in source.lookup('canary'), 30_000, 'both revisions to be configured');

    const base = `https://127.0.0.1:${webhook.server.port}`;
    mwcName = uniqueName('meshwright-webhook-test');
    await admissionApi().createMutatingWebhookConfiguration({
      body: {
        metadata: { name: mwcName },
        webhooks: [
          ...webhooksFor(`${base}/inject`, ca.certPem, 'default'),
          ...revisionWebhooks(base, ca.certPem, 'canary'),
        ],
      },
    });
    // Registration takes effect after a short delay: dry-run creates until a pod comes back injected.
    const probeNs = await namespace('wh-probe', { 'istio-injection': 'enabled' });
    await waitFor(
      async () => {
        const pod = await core.createNamespacedPod({
          namespace: probeNs,
          body: podBody('probe'),
          dryRun: 'All',
        });
        return containerNames(pod).includes('istio-proxy');
      },
      60_000,
      'the injection webhook to take effect',
    );
  });

  afterAll(async () => {
    if (mwcName) await admissionApi().deleteMutatingWebhookConfiguration({ name: mwcName });
    await webhook?.stop();
    for (const ns of namespaces) await deleteNamespace(ns);
  });

  it('injects the pods a Deployment creates in an istio-injection=enabled namespace', async () => {
    const ns = await namespace('wh-enabled', { 'istio-injection': 'enabled' });
    await appsApi().createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: 'web', namespace: ns },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'web' } },
          template: { metadata: { labels: { app: 'web' } }, spec: podBody('web').spec },
        },
      },
    });
    const pods = await waitFor(
      async () => {
        const list = await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=web' });
        return list.items.length === 2 && list.items;
      },
      90_000,
      'the Deployment pods',
    );
    for (const pod of pods) {
      expect(containerNames(pod)).toEqual(expect.arrayContaining(['istio-init', 'istio-proxy', 'app']));
      expect(pod.metadata?.annotations?.['sidecar.istio.io/status']).toBeDefined();
      expect(pod.metadata?.labels?.['security.istio.io/tlsMode']).toBe('istio');
      // Every kwok node reports kubelet >= 1.33, so `auto` (fed by the Node informer) means native sidecars.
      expect(pod.spec?.initContainers?.find((c) => c.name === 'istio-proxy')?.restartPolicy).toBe('Always');
    }
  });

  it('honours the opt-out label, unlabelled namespaces, object opt-in and hostNetwork', async () => {
    const enabled = await namespace('wh-optout', { 'istio-injection': 'enabled' });
    const plain = await namespace('wh-plain');
    const optOut = await createPod(
      enabled,
      podBody('opt-out', { labels: { 'sidecar.istio.io/inject': 'false' } }),
    );
    expect(containerNames(optOut)).toEqual(['app']);
    const unlabelled = await createPod(plain, podBody('plain'));
    expect(containerNames(unlabelled)).toEqual(['app']);
    const optIn = await createPod(
      plain,
      podBody('opt-in', { labels: { 'sidecar.istio.io/inject': 'true' } }),
    );
    expect(containerNames(optIn)).toContain('istio-proxy');
    const host = await createPod(enabled, podBody('host', { hostNetwork: true }));
    expect(containerNames(host)).toEqual(['app']);
  });

  it('injects per revision: namespace istio.io/rev and pod istio.io/rev', async () => {
    const canaryNs = await namespace('wh-canary', { 'istio.io/rev': 'canary' });
    const canary = await createPod(canaryNs, podBody('canary'));
    expect(containerNames(canary)).toContain('istio-proxy');
    expect(canary.metadata?.annotations?.['istio.io/rev']).toBe('canary');

    const defaultNs = await namespace('wh-revdefault', { 'istio.io/rev': 'default' });
    const dflt = await createPod(defaultNs, podBody('dflt'));
    expect(dflt.metadata?.annotations?.['istio.io/rev']).toBe('default');

    const plain = await namespace('wh-podrev');
    const byPod = await createPod(plain, podBody('by-pod', { labels: { 'istio.io/rev': 'canary' } }));
    expect(byPod.metadata?.annotations?.['istio.io/rev']).toBe('canary');
    // A revision nobody serves is simply not selected by any webhook.
    const other = await createPod(plain, podBody('other', { labels: { 'istio.io/rev': 'nope' } }));
    expect(containerNames(other)).toEqual(['app']);
  });

  it('never injects its own namespace', async () => {
    const pod = await createPod(ownNs, podBody('own'));
    expect(containerNames(pod)).toEqual(['app']);
  });

  it('applies an injector ConfigMap change to the next pod without a restart', async () => {
    const ns = await namespace('wh-live', { 'istio-injection': 'enabled' });
    const before = await createPod(ns, podBody('before'));
    expect(proxyOf(before)?.resources?.requests?.cpu).not.toBe('123m');
    await core.replaceNamespacedConfigMap({
      name: 'istio-sidecar-injector',
      namespace: istioNs,
      body: {
        metadata: { name: 'istio-sidecar-injector' },
        data: {
          values: injectorValues({
            global: { proxy: { resources: { requests: { cpu: '123m', memory: '64Mi' } } } },
          }),
          config: 'policy: enabled\n',
        },
      },
    });
    const after = await waitFor(
      async () => {
        const pod = await createPod(ns, {
          ...podBody(uniqueName('after')),
          metadata: { generateName: 'after-' },
        });
        return proxyOf(pod)?.resources?.requests?.cpu === '123m' && pod;
      },
      30_000,
      'the new proxy resources to apply',
    );
    expect(proxyOf(after)?.resources?.requests?.memory).toBe('64Mi');
    const metrics = await (await fetch(`http://127.0.0.1:${webhook?.server.metricsPort}/metrics`)).text();
    expect(Number(/meshwright_webhook_config_generation (\d+)/.exec(metrics)?.[1])).toBeGreaterThanOrEqual(3);
  });

  it('rejects a pod with an invalid annotation, with the message in the API error', async () => {
    const ns = await namespace('wh-invalid', { 'istio-injection': 'enabled' });
    let error: unknown;
    try {
      await createPod(
        ns,
        podBody('bad', { annotations: { 'sidecar.istio.io/interceptionMode': 'SIDEWAYS' } }),
      );
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ApiException);
    const body = String((error as ApiException<unknown>).body);
    expect(body).toMatch(/denied the request/);
    expect(body).toMatch(/interceptionMode invalid, use REDIRECT,TPROXY,NONE: SIDEWAYS/);
  });

  it('is ready and counts its decisions', async () => {
    const ready = await fetch(`http://127.0.0.1:${webhook?.server.healthPort}/readyz`);
    expect(ready.status).toBe(200);
    const metrics = await (await fetch(`http://127.0.0.1:${webhook?.server.metricsPort}/metrics`)).text();
    expect(
      Number(/meshwright_webhook_requests_total\{result="injected"\} (\d+)/.exec(metrics)?.[1]),
    ).toBeGreaterThan(0);
    expect(
      Number(/meshwright_webhook_requests_total\{result="skipped"\} (\d+)/.exec(metrics)?.[1]),
    ).toBeGreaterThan(0);
  });
});
