import { PassThrough } from 'stream';
import type {
  AdmissionregistrationV1Api,
  CoreV1Api,
  V1MutatingWebhookConfiguration,
  V1Secret,
} from '@kubernetes/client-node';
import { ApiException } from '@kubernetes/client-node';
import { selfSignedServing } from '../../../lib/certs';
import { createLogger } from '../../../lib/log';
import { SelfSignedTls } from '../../../webhook/selfsigned/manager';
import {
  renewalReason,
  rotatedBundle,
  secretToTls,
  serviceDnsNames,
  splitPem,
  splitSubjectNames,
  type StoredTls,
  tlsToSecretData,
  withCaBundle,
  caBundleWrites,
  INJECTION_WEBHOOK_SELECTOR,
} from '../../../webhook/selfsigned/plan';
import type { KeyPair } from '../../../webhook/tls/options';
import { LABEL_INJECTION_WEBHOOK } from '../../../operator/render/injection/injection-target';

const DAY = 24 * 3600 * 1000;
const names = serviceDnsNames('meshwright-webhook', 'meshwright-system');

async function stored(dnsNames = names, validityDays = 30): Promise<StoredTls> {
  const { ca, serving } = await selfSignedServing({ commonName: 'w', dnsNames, validityDays });
  return { certPem: serving.certPem, keyPem: serving.keyPem, caBundlePem: ca.certPem };
}

describe('renewalReason', () => {
  it('keeps a fresh certificate covering the service names', async () => {
    expect(renewalReason(await stored(), new Date(), names)).toBeUndefined();
  });
  it('renews when nothing is stored, names are missing, the CA differs or expiry is close', async () => {
    const good = await stored();
    const other = await stored();
    expect(renewalReason(undefined, new Date(), names)).toMatch(/no certificate/);
    expect(renewalReason(good, new Date(), [...names, 'extra.example'])).toMatch(
      /does not cover extra.example/,
    );
    expect(renewalReason({ ...good, caBundlePem: other.caBundlePem }, new Date(), names)).toMatch(
      /not issued by/,
    );
    expect(renewalReason({ ...good, keyPem: other.keyPem }, new Date(), names)).toMatch(/key does not match/);
    expect(renewalReason(good, new Date(Date.now() + 15 * DAY), names)).toBeUndefined();
    expect(renewalReason(good, new Date(Date.now() + 25 * DAY), names)).toMatch(/close to expiry/);
    expect(renewalReason(good, new Date(Date.now() + 31 * DAY), names)).toMatch(/expired/);
  });
});

describe('IP subject names', () => {
  it('checks IP SANs as IPs and splits names for issuance', async () => {
    const { ca, serving } = await selfSignedServing({
      commonName: 'w',
      dnsNames: names,
      ipAddresses: ['127.0.0.1'],
      validityDays: 30,
    });
    const s = { certPem: serving.certPem, keyPem: serving.keyPem, caBundlePem: ca.certPem };
    expect(renewalReason(s, new Date(), [...names, '127.0.0.1'])).toBeUndefined();
    expect(renewalReason(s, new Date(), [...names, '10.0.0.1'])).toMatch(/does not cover 10.0.0.1/);
    expect(splitSubjectNames(['a.example', '127.0.0.1', '::1'])).toEqual({
      dnsNames: ['a.example'],
      ipAddresses: ['127.0.0.1', '::1'],
    });
  });
});

describe('bundles and Secret data', () => {
  it('round-trips through Secret data', async () => {
    const s = await stored();
    expect(secretToTls({ data: tlsToSecretData(s) })).toEqual(s);
    expect(secretToTls({ data: { 'tls.crt': 'eA==' } })).toBeUndefined();
  });
  it('keeps the previous CA while valid', async () => {
    const old = await stored();
    const fresh = await stored();
    const bundle = rotatedBundle(fresh.caBundlePem, old, new Date());
    expect(splitPem(bundle)).toEqual([fresh.caBundlePem.trim(), old.caBundlePem.trim()]);
    expect(splitPem(rotatedBundle(fresh.caBundlePem, old, new Date(Date.now() + 40 * DAY)))).toHaveLength(1);
  });
  it('sets the caBundle of every webhook, and reports no change when already set', () => {
    const mwc: V1MutatingWebhookConfiguration = {
      metadata: { name: 'm' },
      webhooks: [
        { name: 'a', clientConfig: {}, sideEffects: 'None', admissionReviewVersions: ['v1'] },
        {
          name: 'b',
          clientConfig: { caBundle: 'b2xk' },
          sideEffects: 'None',
          admissionReviewVersions: ['v1'],
        },
      ],
    };
    const updated = withCaBundle(mwc, 'PEM');
    expect(updated?.webhooks?.map((w) => w.clientConfig.caBundle)).toEqual(['UEVN', 'UEVN']);
    expect(withCaBundle(updated as V1MutatingWebhookConfiguration, 'PEM')).toBeUndefined();
  });
});

describe('caBundleWrites', () => {
  const hook = (caBundle?: string) => ({
    name: 'w.test',
    clientConfig: caBundle === undefined ? {} : { caBundle },
    sideEffects: 'None',
    admissionReviewVersions: ['v1'],
  });
  const mwc = (
    name: string,
    labels: Record<string, string> | undefined,
    caBundle?: string,
  ): V1MutatingWebhookConfiguration => ({ metadata: { name, labels }, webhooks: [hook(caBundle)] });
  const injection = { 'meshwright.io/injection-webhook': 'true' };
  const pemB64 = Buffer.from('PEM').toString('base64');

  it('writes labelled and named configurations lacking the bundle, nothing else', () => {
    const writes = caBundleWrites(
      [
        mwc('istio-sidecar-injector', injection),
        mwc('istio-revision-tag-prod', injection, 'b2xk'),
        mwc('istio-sidecar-injector-r31', injection, pemB64),
        mwc('someone-elses', { app: 'x' }),
        mwc('label-false', { 'meshwright.io/injection-webhook': 'false' }),
        mwc('named', undefined),
        mwc('istio-sidecar-injector', injection),
      ],
      ['named'],
      'PEM',
    );
    expect(writes.map((w) => w.metadata?.name)).toEqual([
      'istio-sidecar-injector',
      'istio-revision-tag-prod',
      'named',
    ]);
    for (const w of writes) expect(w.webhooks?.[0].clientConfig.caBundle).toBe(pemB64);
  });

  it('selects by the label the operator sets on its injection webhooks', () => {
    expect(INJECTION_WEBHOOK_SELECTOR).toBe(`${LABEL_INJECTION_WEBHOOK}=true`);
  });
});

/** In-memory Secret and MutatingWebhookConfigurations with resourceVersion conflicts. */
function fakeCluster() {
  let secret: V1Secret | undefined;
  let rv = 0;
  const mwc: V1MutatingWebhookConfiguration = {
    metadata: { name: 'meshwright-sidecar-injector' },
    webhooks: [{ name: 'a', clientConfig: {}, sideEffects: 'None', admissionReviewVersions: ['v1'] }],
  };
  const notFound = () => new ApiException(404, 'not found', {}, {});
  const core = {
    readNamespacedSecret: async () => {
      if (!secret) throw notFound();
      return structuredClone(secret);
    },
    createNamespacedSecret: async ({ body }: { body: V1Secret }) => {
      if (secret) throw new ApiException(409, 'exists', {}, {});
      secret = { ...body, metadata: { ...body.metadata, resourceVersion: String(++rv) } };
      return secret;
    },
    replaceNamespacedSecret: async ({ body }: { body: V1Secret }) => {
      if (body.metadata?.resourceVersion !== secret?.metadata?.resourceVersion)
        throw new ApiException(409, 'conflict', {}, {});
      secret = { ...body, metadata: { ...body.metadata, resourceVersion: String(++rv) } };
      return secret;
    },
  };
  // Operator-made: found by label only; unlabelled: must never be written.
  const labelled: V1MutatingWebhookConfiguration = {
    metadata: { name: 'istio-sidecar-injector', labels: { 'meshwright.io/injection-webhook': 'true' } },
    webhooks: [{ name: 'b', clientConfig: {}, sideEffects: 'None', admissionReviewVersions: ['v1'] }],
  };
  const other: V1MutatingWebhookConfiguration = {
    metadata: { name: 'other' },
    webhooks: [{ name: 'c', clientConfig: {}, sideEffects: 'None', admissionReviewVersions: ['v1'] }],
  };
  const all = [mwc, labelled, other];
  const selectors: string[] = [];
  const admission = {
    readMutatingWebhookConfiguration: async ({ name }: { name: string }) => {
      const found = all.find((m) => m.metadata?.name === name);
      if (!found) throw notFound();
      return structuredClone(found);
    },
    listMutatingWebhookConfiguration: async ({ labelSelector }: { labelSelector?: string }) => {
      selectors.push(labelSelector ?? '');
      const [k, v] = (labelSelector ?? '').split('=');
      return { items: all.filter((m) => !k || m.metadata?.labels?.[k] === v).map((m) => structuredClone(m)) };
    },
    replaceMutatingWebhookConfiguration: async ({ body }: { body: V1MutatingWebhookConfiguration }) => {
      const target = all.find((m) => m.metadata?.name === body.metadata?.name);
      if (!target) throw notFound();
      target.webhooks = body.webhooks;
      return target;
    },
  };
  return {
    core: core as unknown as CoreV1Api,
    admission: admission as unknown as AdmissionregistrationV1Api,
    secret: () => secret,
    caBundle: () => Buffer.from(mwc.webhooks?.[0].clientConfig.caBundle ?? '', 'base64').toString(),
    caBundleOf: (m: 'labelled' | 'other') =>
      Buffer.from(
        (m === 'labelled' ? labelled : other).webhooks?.[0].clientConfig.caBundle ?? '',
        'base64',
      ).toString(),
    selectors,
  };
}

describe('SelfSignedTls', () => {
  const log = createLogger({ stream: new PassThrough() });

  it('creates the Secret, publishes the CA, reuses it, and rotates near expiry', async () => {
    const cluster = fakeCluster();
    let now = new Date();
    const swapped: KeyPair[] = [];
    const tls = new SelfSignedTls({
      core: cluster.core,
      admission: cluster.admission,
      namespace: 'meshwright-system',
      secretName: 'meshwright-webhook-tls',
      dnsNames: names,
      webhookConfigurations: ['meshwright-sidecar-injector'],
      validityDays: 30,
      log,
      onKeyPair: (p) => swapped.push(p),
      now: () => now,
    });
    const first = await tls.ensure();
    const firstStored = secretToTls(cluster.secret());
    expect(firstStored?.certPem).toBe(first.cert);
    expect(cluster.caBundle()).toBe(firstStored?.caBundlePem);
    expect(cluster.caBundleOf('labelled')).toBe(firstStored?.caBundlePem);
    expect(cluster.caBundleOf('other')).toBe('');
    expect(cluster.selectors).toEqual(['meshwright.io/injection-webhook=true']);
    expect(swapped).toHaveLength(0);

    expect((await tls.ensure()).cert).toBe(first.cert);
    expect(cluster.secret()?.metadata?.resourceVersion).toBe('1');

    now = new Date(Date.now() + 25 * 24 * 3600 * 1000);
    const second = await tls.ensure();
    expect(second.cert).not.toBe(first.cert);
    expect(swapped.map((p) => p.cert)).toEqual([second.cert]);
    // Old CA still trusted during the overlap.
    expect(splitPem(cluster.caBundle())).toHaveLength(2);
    expect(splitPem(cluster.caBundle())[1]).toBe(firstStored?.caBundlePem.trim());
    expect(cluster.caBundleOf('labelled')).toBe(cluster.caBundle());
    expect(cluster.caBundleOf('other')).toBe('');
  });

  it('uses the certificate another replica wrote when it loses the race', async () => {
    const cluster = fakeCluster();
    const opts = {
      core: cluster.core,
      admission: cluster.admission,
      namespace: 'ns',
      secretName: 's',
      dnsNames: names,
      webhookConfigurations: ['meshwright-sidecar-injector'],
      validityDays: 30,
      log,
      onKeyPair: () => undefined,
    };
    const [a, b] = await Promise.all([new SelfSignedTls(opts).ensure(), new SelfSignedTls(opts).ensure()]);
    expect(a.cert).toBe(b.cert);
  });
});
