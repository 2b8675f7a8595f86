// --self-signed against the real apiserver: the Secret is created once and reused, the webhook
// configuration's caBundle is filled and restored after a re-apply wipes it.
import { PassThrough } from 'node:stream';
import { X509Certificate } from 'node:crypto';
import { AdmissionregistrationV1Api, CoreV1Api } from '@kubernetes/client-node';
import { createLogger } from '../../lib/log';
import { SelfSignedTls } from '../../webhook/selfsigned/manager';
import { serviceDnsNames, splitPem } from '../../webhook/selfsigned/plan';
import {
  admissionApi,
  coreApi,
  createTestNamespace,
  deleteNamespace,
  kubeConfig,
  uniqueName,
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
});
