// --self-signed against the real apiserver: the Secret is created once and reused, the webhook
// configuration's caBundle is filled and restored after a re-apply wipes it, and the apiserver calls
// a self-signed webhook registered by URL (IP name) once the process has published its CA; injection
// webhooks the operator creates later (label meshwright.io/injection-webhook=true) get the CA within
// seconds, unlabelled ones are never touched.
import { PassThrough } from 'node:stream';
import { X509Certificate } from 'node:crypto';
import { AdmissionregistrationV1Api, CoreV1Api } from '@kubernetes/client-node';
import { createLogger } from '../../lib/log';
import { createRegistry } from '../../lib/metrics';
import { buildInjectionConfig, injectPod } from '../../inject';
import { startWebhook } from '../../webhook/server/start';
import { SelfSignedTls } from '../../webhook/selfsigned/manager';
import { INJECTION_WEBHOOK_LABEL, serviceDnsNames, splitPem } from '../../webhook/selfsigned/plan';
import {
  admissionApi,
  coreApi,
  createTestNamespace,
  deleteNamespace,
  kubeConfig,
  uniqueName,
  waitFor,
} from './support/cluster';

describe('self-signed webhook TLS', () => {
  let ns = '';
  const mwcName = uniqueName('meshwright-selfsigned-test');

  beforeAll(async () => {
    ns = await createTestNamespace('wh-selfsigned');
    await admissionApi().createMutatingWebhookConfiguration({
      body: {
        metadata: { name: mwcName },
        webhooks: [
          {
            name: 'namespace.sidecar-injector.meshwright.test',
            clientConfig: {
              service: { name: 'meshwright-webhook', namespace: ns, path: '/inject', port: 443 },
            },
            rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
            // Selects nothing: only the caBundle handling is under test.
            namespaceSelector: { matchLabels: { 'meshwright.test/never': 'true' } },
            sideEffects: 'None',
            admissionReviewVersions: ['v1'],
            failurePolicy: 'Fail',
          },
        ],
      },
    });
  });

  afterAll(async () => {
    await admissionApi().deleteMutatingWebhookConfiguration({ name: mwcName });
    await deleteNamespace(ns);
  });

  it('creates the Secret, publishes the CA and restores a wiped caBundle', async () => {
    const kc = kubeConfig();
    const opts = {
      core: kc.makeApiClient(CoreV1Api),
      admission: kc.makeApiClient(AdmissionregistrationV1Api),
      namespace: ns,
      secretName: 'meshwright-webhook-tls',
      dnsNames: serviceDnsNames('meshwright-webhook', ns),
      webhookConfigurations: [mwcName],
      validityDays: 30,
      log: createLogger({ stream: new PassThrough() }),
      onKeyPair: () => undefined,
    };
    const pair = await new SelfSignedTls(opts).ensure();
    const secret = await coreApi().readNamespacedSecret({ name: 'meshwright-webhook-tls', namespace: ns });
    expect(secret.type).toBe('kubernetes.io/tls');
    expect(Buffer.from(secret.data?.['tls.crt'] ?? '', 'base64').toString()).toBe(pair.cert);
    expect(new X509Certificate(String(pair.cert)).checkHost(`meshwright-webhook.${ns}.svc`)).toBeDefined();

    const caBundle = async () => {
      const mwc = await admissionApi().readMutatingWebhookConfiguration({ name: mwcName });
      return Buffer.from(mwc.webhooks?.[0].clientConfig.caBundle ?? '', 'base64').toString();
    };
    const bundle = await caBundle();
    expect(splitPem(bundle)).toHaveLength(1);
    expect(new X509Certificate(String(pair.cert)).checkIssued(new X509Certificate(splitPem(bundle)[0]))).toBe(
      true,
    );

    // A second replica reuses the stored certificate.
    const again = await new SelfSignedTls(opts).ensure();
    expect(again.cert).toBe(pair.cert);

    // `kubectl apply` of the base config wipes the caBundle; the next check restores it.
    const mwc = await admissionApi().readMutatingWebhookConfiguration({ name: mwcName });
    for (const w of mwc.webhooks ?? []) delete w.clientConfig.caBundle;
    await admissionApi().replaceMutatingWebhookConfiguration({ name: mwcName, body: mwc });
    expect(await caBundle()).toBe('');
    await new SelfSignedTls(opts).ensure();
    expect(await caBundle()).toBe(bundle);
  });

  it('publishes the CA to labelled injection webhooks created after start, never to unlabelled ones', async () => {
    const own = await createTestNamespace('wh-ss-label');
    const labelled = uniqueName('istio-revision-tag-sstest');
    const unlabelled = uniqueName('meshwright-ss-unlabelled');
    const mwcBody = (name: string, labels?: Record<string, string>) => ({
      metadata: { name, labels },
      webhooks: [
        {
          name: 'rev.namespace.sidecar-injector.meshwright.test',
          clientConfig: {
            service: { name: 'meshwright-webhook', namespace: own, path: '/inject', port: 443 },
          },
          rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
          namespaceSelector: { matchLabels: { 'meshwright.test/never': 'true' } },
          sideEffects: 'None',
          admissionReviewVersions: ['v1'],
          failurePolicy: 'Fail',
        },
      ],
    });
    const kc = kubeConfig();
    const tls = new SelfSignedTls({
      core: kc.makeApiClient(CoreV1Api),
      admission: kc.makeApiClient(AdmissionregistrationV1Api),
      namespace: own,
      secretName: 'meshwright-webhook-tls',
      dnsNames: serviceDnsNames('meshwright-webhook', own),
      webhookConfigurations: [],
      validityDays: 30,
      log: createLogger({ stream: new PassThrough() }),
      onKeyPair: () => undefined,
    });
    const caOf = async (name: string) => {
      const m = await admissionApi().readMutatingWebhookConfiguration({ name });
      return Buffer.from(m.webhooks?.[0].clientConfig.caBundle ?? '', 'base64').toString();
    };
    try {
      await tls.ensure();
      tls.start(60_000, 500);
      const secret = await coreApi().readNamespacedSecret({ name: 'meshwright-webhook-tls', namespace: own });
      const bundle = Buffer.from(secret.data?.['ca.crt'] ?? '', 'base64').toString();
      expect(splitPem(bundle)).toHaveLength(1);

      const t0 = Date.now();
      await admissionApi().createMutatingWebhookConfiguration({ body: mwcBody(unlabelled) });
      await admissionApi().createMutatingWebhookConfiguration({
        body: mwcBody(labelled, { [INJECTION_WEBHOOK_LABEL]: 'true' }),
      });
      await waitFor(async () => (await caOf(labelled)) === bundle, 15_000, 'caBundle on the labelled MWC');
      const seconds = (Date.now() - t0) / 1000;
      expect(seconds).toBeLessThan(10);
      // Several more sync ticks pass: the unlabelled configuration still has no caBundle.
      await new Promise((r) => setTimeout(r, 2_000));
      expect(await caOf(unlabelled)).toBe('');

      // A re-apply that wipes it (as the operator's drift repair could) is healed by the next tick.
      const m = await admissionApi().readMutatingWebhookConfiguration({ name: labelled });
      for (const w of m.webhooks ?? []) delete w.clientConfig.caBundle;
      await admissionApi().replaceMutatingWebhookConfiguration({ name: labelled, body: m });
      await waitFor(async () => (await caOf(labelled)) === bundle, 15_000, 'caBundle restored');
    } finally {
      await tls.stop();
      for (const name of [labelled, unlabelled])
        await admissionApi()
          .deleteMutatingWebhookConfiguration({ name })
          .catch(() => undefined);
      await deleteNamespace(own);
    }
  });

  it('serves injection end to end with --self-signed and an IP name, the apiserver trusting the published CA', async () => {
    const ownNs = await createTestNamespace('wh-ss-own');
    const appNs = await createTestNamespace('wh-ss-app', { 'istio-injection': 'enabled' });
    const name = uniqueName('meshwright-selfsigned-e2e');
    const cleanup: (() => Promise<unknown>)[] = [
      () => deleteNamespace(ownNs),
      () => deleteNamespace(appNs),
      () => admissionApi().deleteMutatingWebhookConfiguration({ name }),
    ];
    try {
      const started = await startWebhook({
        host: '127.0.0.1',
        port: 0,
        metricsPort: 0,
        healthPort: 0,
        config: { kind: 'static', config: buildInjectionConfig({ overlays: [] }) },
        tls: {
          kind: 'self-signed',
          secretName: 'meshwright-webhook-tls',
          serviceName: 'meshwright-webhook',
          extraNames: ['127.0.0.1'],
          webhookConfigurations: [name],
          validityDays: 30,
          checkMs: 500,
        },
        defaultRevision: 'default',
        ownNamespace: ownNs,
        kubeConfig: kubeConfig(),
        injector: injectPod,
        log: createLogger({ stream: new PassThrough() }),
        registry: createRegistry(false),
      });
      cleanup.unshift(() => started.stop());
      // Registered without a caBundle, as a fresh `kubectl apply` would: the webhook publishes it.
      await admissionApi().createMutatingWebhookConfiguration({
        body: {
          metadata: { name },
          webhooks: [
            {
              name: 'namespace.sidecar-injector.meshwright.test',
              clientConfig: { url: `https://127.0.0.1:${started.server.port}/inject` },
              rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
              namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': appNs } },
              sideEffects: 'None',
              admissionReviewVersions: ['v1'],
              failurePolicy: 'Fail',
              timeoutSeconds: 10,
            },
          ],
        },
      });
      const pod = await waitFor(
        async () => {
          const p = await coreApi().createNamespacedPod({
            namespace: appNs,
            body: {
              metadata: { name: 'probe' },
              spec: { containers: [{ name: 'app', image: 'registry.invalid/a:1' }] },
            },
            dryRun: 'All',
          });
          const names = [...(p.spec?.initContainers ?? []), ...(p.spec?.containers ?? [])].map((c) => c.name);
          return names.includes('istio-proxy') && p;
        },
        60_000,
        'injection through the self-signed webhook',
      );
      expect(pod.metadata?.annotations?.['sidecar.istio.io/status']).toBeDefined();
    } finally {
      for (const c of cleanup) await c();
    }
  });
});
