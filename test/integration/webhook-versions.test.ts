// A 1.30 revision and a 1.31 revision side by side, through the real apiserver: each revision's
// `istio` and `istio-sidecar-injector` ConfigMaps are rendered from that release's own istio-discovery
// chart (../shared/reference, pinned Helm, stamped with the release version as the release build does),
// one in-process Meshwright webhook serves both, one MutatingWebhookConfiguration per revision. Pods in a
// namespace of each revision get that version's sidecar (images, the 1.31 init image value, 1.31's
// Prometheus behaviour), and editing one revision's sidecar template changes that revision's pods only.
import { ApiException, type V1ConfigMap, type V1Container, type V1Pod } from '@kubernetes/client-node';
import { parse, stringify } from 'yaml';
import { type StartedWebhook } from '../../webhook/server/start';
import { startLoopbackWebhook } from './support/loopback-webhook';
import {
  admissionApi,
  coreApi,
  createTestNamespace,
  deleteNamespace,
  uniqueName,
  waitFor,
} from './support/cluster';
import { renderRevisionConfigMaps, type RevisionConfigMaps } from './support/release-injector';
import { revisionWebhookConfiguration } from './support/revision-webhook';

jest.setTimeout(120_000);

const INIT_IMAGE = 'proxyinit-test';

interface Revision {
  version: string;
  rev: string;
  appNs: string;
  mwc: string;
  /** Set in beforeAll. */
  cms?: RevisionConfigMaps;
}

const revisions: Record<'v130' | 'v131', Revision> = {
  v130: { version: '1.30.3', rev: uniqueName('v130'), appNs: '', mwc: '' },
  v131: { version: '1.31.0-rc.0', rev: uniqueName('v131'), appNs: '', mwc: '' },
};

const containersOf = (p: V1Pod): V1Container[] => [
  ...(p.spec?.initContainers ?? []),
  ...(p.spec?.containers ?? []),
];
const proxyOf = (p: V1Pod) => containersOf(p).find((c) => c.name === 'istio-proxy');
const initOf = (p: V1Pod) => containersOf(p).find((c) => c.name === 'istio-init');
const envOf = (p: V1Pod, name: string) => proxyOf(p)?.env?.find((e) => e.name === name)?.value;

const podBody = (name: string, annotations?: Record<string, string>): V1Pod => ({
  metadata: { name, labels: { app: name }, annotations },
  spec: { containers: [{ name: 'app', image: 'registry.invalid/app:1', ports: [{ containerPort: 8080 }] }] },
});

/** The apiserver's message when a create is refused; undefined when the pod was created. */
async function createError(namespace: string, body: V1Pod): Promise<string | undefined> {
  try {
    await coreApi().createNamespacedPod({ namespace, body });
    return undefined;
  } catch (err) {
    return err instanceof ApiException ? String(err.body) : String(err);
  }
}

describe('a 1.30 and a 1.31 revision served by one webhook', () => {
  const core = coreApi();
  const namespaces: string[] = [];
  let istioNs = '';
  let webhook: StartedWebhook | undefined;

  const create = (r: Revision, name: string, annotations?: Record<string, string>) =>
    core.createNamespacedPod({ namespace: r.appNs, body: podBody(name, annotations) });

  beforeAll(async () => {
    istioNs = await createTestNamespace('versions-istio');
    namespaces.push(istioNs);
    for (const r of Object.values(revisions)) {
      // global.proxy_init.image set in both: only the 1.31 release reads it (1.30 uses the proxy image).
      r.cms = renderRevisionConfigMaps({
        version: r.version,
        revision: r.rev,
        namespace: istioNs,
        set: [`global.proxy_init.image=${INIT_IMAGE}`],
      });
      await core.createNamespacedConfigMap({ namespace: istioNs, body: r.cms.mesh });
      await core.createNamespacedConfigMap({ namespace: istioNs, body: r.cms.injector });
      r.appNs = await createTestNamespace(`versions-${r.rev.slice(0, 4)}`, { 'istio.io/rev': r.rev });
      namespaces.push(r.appNs);
    }
    const started = await startLoopbackWebhook({
      commonName: 'meshwright-versions-test',
      istioNamespace: istioNs,
      nativeSidecars: 'disabled',
    });
    webhook = started.webhook;
    const ca = started.ca;
    const source = webhook.source;
    for (const r of Object.values(revisions)) {
      await waitFor(async () => 'config' in source.lookup(r.rev), 30_000, `revision ${r.rev} configured`);
      r.mwc = uniqueName(`meshwright-versions-${r.rev}`);
      await admissionApi().createMutatingWebhookConfiguration({
        body: revisionWebhookConfiguration(
          r.mwc,
          `https://127.0.0.1:${webhook.server.port}`,
          ca.certPem,
          r.rev,
        ),
      });
      // Registration takes effect after a short delay: dry-run until a pod comes back injected.
      await waitFor(
        async () => {
          const p = await core.createNamespacedPod({
            namespace: r.appNs,
            body: podBody('probe'),
            dryRun: 'All',
          });
          return proxyOf(p) !== undefined;
        },
        60_000,
        `the webhook of ${r.rev} to take effect`,
      );
    }
  }, 180_000);

  afterAll(async () => {
    for (const r of Object.values(revisions))
      if (r.mwc)
        await admissionApi()
          .deleteMutatingWebhookConfiguration({ name: r.mwc })
          .catch(() => undefined);
    await webhook?.stop();
    for (const ns of namespaces) await deleteNamespace(ns);
  });

  it('reads each revision as its own release version, exactly', async () => {
    const text = await (await fetch(`http://127.0.0.1:${webhook!.server.metricsPort}/metrics`)).text();
    const series = (rev: string) =>
      text
        .split('\n')
        .find(
          (l) =>
            l.startsWith('meshwright_webhook_revision_version_inexact{') && l.includes(`revision="${rev}"`),
        );
    expect(series(revisions.v130.rev)).toMatch(/declared="1\.30\.3",line="1\.30"} 0$/);
    expect(series(revisions.v131.rev)).toMatch(/declared="1\.31\.0-rc\.0",line="1\.31"} 0$/);
  });

  it("gives each revision's pods that release's images: 1.31 takes istio-init's image from global.proxy_init.image", async () => {
    const p130 = await create(revisions.v130, 'images');
    const p131 = await create(revisions.v131, 'images');
    expect(proxyOf(p130)?.image).toBe('docker.io/istio/proxyv2:1.30.3');
    expect(initOf(p130)?.image).toBe('docker.io/istio/proxyv2:1.30.3');
    expect(proxyOf(p131)?.image).toBe('docker.io/istio/proxyv2:1.31.0-rc.0');
    expect(initOf(p131)?.image).toBe(`docker.io/istio/${INIT_IMAGE}:1.31.0-rc.0`);
    for (const [p, r] of [
      [p130, revisions.v130],
      [p131, revisions.v131],
    ] as const) {
      expect(p.metadata?.annotations?.['istio.io/rev']).toBe(r.rev);
      expect(p.metadata?.labels?.['security.istio.io/tlsMode']).toBe('istio');
      expect(JSON.parse(p.metadata?.annotations?.['sidecar.istio.io/status'] ?? '{}')).toMatchObject({
        containers: ['istio-proxy'],
        initContainers: ['istio-init'],
        revision: r.rev,
      });
    }
  });

  it('prometheus.istio.io/scrape-targets feeds ISTIO_PROMETHEUS_ANNOTATIONS in 1.31 only', async () => {
    const annotations = { 'prometheus.istio.io/scrape-targets': '8080:/metrics,9100:/stats' };
    const p130 = await create(revisions.v130, 'targets', annotations);
    const p131 = await create(revisions.v131, 'targets', annotations);
    expect(JSON.parse(envOf(p131, 'ISTIO_PROMETHEUS_ANNOTATIONS') ?? 'null')).toEqual({
      scrape: '',
      path: '/metrics',
      port: '8080',
      targets: [
        { port: '8080', path: '/metrics' },
        { port: '9100', path: '/stats' },
      ],
    });
    expect(p131.metadata?.annotations?.['prometheus.istio.io/scrape-targets']).toBeUndefined();
    // 1.30 knows no scrape targets: the annotation stays as it was and feeds nothing.
    expect(envOf(p130, 'ISTIO_PROMETHEUS_ANNOTATIONS')).toBeUndefined();
    expect(p130.metadata?.annotations?.['prometheus.istio.io/scrape-targets']).toBe(
      annotations['prometheus.istio.io/scrape-targets'],
    );
  });

  it("a prometheus.io/port on the proxy's admin port is refused by 1.31 and passed on by 1.30", async () => {
    const annotations = { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '15000' };
    const refused = await createError(revisions.v131.appNs, podBody('reserved-port', annotations));
    expect(refused).toContain('denied the request');
    expect(refused).toContain('invalid prometheus scrape configuration');
    expect(refused).toMatch(/port \\+"15000\\+" is reserved/);
    const p130 = await create(revisions.v130, 'reserved-port', annotations);
    expect(proxyOf(p130)).toBeDefined();
    expect(JSON.parse(envOf(p130, 'ISTIO_PROMETHEUS_ANNOTATIONS') ?? 'null')).toMatchObject({
      port: '15000',
    });
  });

  it("an edited sidecar template in one revision's ConfigMap changes the next pod of that revision only", async () => {
    const r = revisions.v130;
    if (!r.cms) throw new Error('beforeAll did not render the 1.30 ConfigMaps');
    const data = r.cms.injector.data ?? {};
    const config = parse(data.config ?? '') as { templates: Record<string, string> };
    const sidecar = config.templates.sidecar;
    const edited = sidecar.replace(
      '    - name: PILOT_CERT_PROVIDER\n',
      '    - name: EDITED_IN_CONFIGMAP\n      value: "1.30 only"\n    - name: PILOT_CERT_PROVIDER\n',
    );
    expect(edited).not.toBe(sidecar);
    const body: V1ConfigMap = {
      ...r.cms.injector,
      data: {
        ...data,
        config: stringify({ ...config, templates: { ...config.templates, sidecar: edited } }),
      },
    };
    await core.replaceNamespacedConfigMap({ name: body.metadata!.name!, namespace: istioNs, body });
    await waitFor(
      async () => {
        const p = await core.createNamespacedPod({
          namespace: r.appNs,
          body: podBody('probe'),
          dryRun: 'All',
        });
        return envOf(p, 'EDITED_IN_CONFIGMAP') !== undefined;
      },
      60_000,
      'the edited 1.30 template to take effect',
    );
    const p130 = await create(revisions.v130, 'edited');
    const p131 = await create(revisions.v131, 'edited');
    expect(envOf(p130, 'EDITED_IN_CONFIGMAP')).toBe('1.30 only');
    expect(envOf(p131, 'EDITED_IN_CONFIGMAP')).toBeUndefined();
    // Both still inject their own version otherwise.
    expect(proxyOf(p130)?.image).toBe('docker.io/istio/proxyv2:1.30.3');
    expect(initOf(p131)?.image).toBe(`docker.io/istio/${INIT_IMAGE}:1.31.0-rc.0`);
    expect(envOf(p131, 'PILOT_CERT_PROVIDER')).toBe(envOf(p130, 'PILOT_CERT_PROVIDER'));
  });
});
