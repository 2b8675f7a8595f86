// Self-signed TLS for clusters without cert-manager: the CA and serving certificate live in a Secret
// (shared by all replicas), the MutatingWebhookConfigurations' caBundle is kept in sync (the named ones
// and every injection webhook the operator makes, found by label), and a timer renews the certificate
// well before expiry and hands it to the running server.
import {
  type AdmissionregistrationV1Api,
  ApiException,
  type CoreV1Api,
  type V1MutatingWebhookConfiguration,
  type V1Secret,
} from '@kubernetes/client-node';
import { selfSignedServing } from '../../lib/certs';
import type { Logger } from '../../lib/log';
import { errorMessage } from '../../lib/log';
import type { KeyPair } from '../tls/options';
import {
  renewalReason,
  rotatedBundle,
  secretToTls,
  splitSubjectNames,
  type StoredTls,
  tlsToSecretData,
  caBundleWrites,
  INJECTION_WEBHOOK_SELECTOR,
} from './plan';

export interface SelfSignedOptions {
  core: CoreV1Api;
  admission: AdmissionregistrationV1Api;
  namespace: string;
  secretName: string;
  /** Subject alternative names: DNS names, and IP addresses for URL-registered webhooks. */
  dnsNames: string[];
  /**
   * MutatingWebhookConfigurations whose caBundle this process maintains by name, besides every one
   * labelled meshwright.io/injection-webhook=true (always).
   */
  webhookConfigurations: string[];
  validityDays: number;
  log: Logger;
  /** Called when the stored certificate changed after start (rotation here or by another replica). */
  onKeyPair(pair: KeyPair): void;
  now?: () => Date;
  /** Certificate issuance (lib/certs by default); injectable for tests. */
  issue?: (
    dnsNames: string[],
    validityDays: number,
  ) => Promise<{ caPem: string; certPem: string; keyPem: string }>;
}

function isStatus(err: unknown, code: number): boolean {
  return err instanceof ApiException && err.code === code;
}

const defaultIssue = async (names: string[], validityDays: number) => {
  const { dnsNames, ipAddresses } = splitSubjectNames(names);
  const { ca, serving } = await selfSignedServing({
    commonName: dnsNames[0] ?? 'meshwright-webhook',
    dnsNames,
    ipAddresses,
    validityDays,
  });
  return { caPem: ca.certPem, certPem: serving.certPem, keyPem: serving.keyPem };
};

export class SelfSignedTls {
  private current?: StoredTls;
  private timer?: NodeJS.Timeout;
  private syncTimer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private syncing?: Promise<void>;

  constructor(private readonly opts: SelfSignedOptions) {}

  /** Ensures a valid certificate exists, publishes its CA and returns it (first call: before listening). */
  async ensure(): Promise<KeyPair> {
    const stored = await this.ensureSecret();
    await this.publishCaBundle(stored.caBundlePem);
    const changed = this.current !== undefined && this.current.certPem !== stored.certPem;
    this.current = stored;
    const pair = { cert: stored.certPem, key: stored.keyPem };
    if (changed) this.opts.onKeyPair(pair);
    return pair;
  }

  /**
   * Re-checks the certificate every `intervalMs`, and the caBundles every `syncMs` (a cheap list, so
   * that a webhook configuration the operator creates is trusted within seconds); failures are logged
   * and retried on the next tick.
   */
  start(intervalMs: number, syncMs = intervalMs): void {
    this.syncTimer = setInterval(() => {
      const bundle = this.current?.caBundlePem;
      if (this.syncing || this.running || bundle === undefined) return;
      this.syncing = this.publishCaBundle(bundle).finally(() => (this.syncing = undefined));
    }, syncMs);
    this.syncTimer.unref();
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.ensure()
        .then(() => undefined)
        .catch((err: unknown) => {
          this.opts.log.error('self-signed TLS check failed', { error: errorMessage(err) });
        })
        .finally(() => (this.running = undefined));
    }, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.syncTimer) clearInterval(this.syncTimer);
    await this.running;
    await this.syncing;
  }

  private async ensureSecret(): Promise<StoredTls> {
    const { core, namespace, secretName, log } = this.opts;
    const now = (this.opts.now ?? (() => new Date()))();
    let secret: V1Secret | undefined;
    try {
      secret = await core.readNamespacedSecret({ name: secretName, namespace });
    } catch (err) {
      if (!isStatus(err, 404)) throw err;
    }
    const stored = secretToTls(secret);
    const reason = renewalReason(stored, now, this.opts.dnsNames);
    if (!reason) return stored as StoredTls;

    log.info('issuing self-signed webhook certificate', { secret: `${namespace}/${secretName}`, reason });
    const issued = await (this.opts.issue ?? defaultIssue)(this.opts.dnsNames, this.opts.validityDays);
    const next: StoredTls = {
      certPem: issued.certPem,
      keyPem: issued.keyPem,
      caBundlePem: rotatedBundle(issued.caPem, stored, now),
    };
    const body: V1Secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/tls',
      metadata: {
        name: secretName,
        namespace,
        labels: { 'app.kubernetes.io/managed-by': 'meshwright-webhook' },
        // The resourceVersion makes concurrent replicas race safely: one write wins, the others re-read.
        resourceVersion: secret?.metadata?.resourceVersion,
      },
      data: tlsToSecretData(next),
    };
    try {
      if (secret) await core.replaceNamespacedSecret({ name: secretName, namespace, body });
      else await core.createNamespacedSecret({ namespace, body });
      return next;
    } catch (err) {
      if (!isStatus(err, 409)) throw err;
      log.info('another replica wrote the webhook certificate first, using it');
      const theirs = secretToTls(await core.readNamespacedSecret({ name: secretName, namespace }));
      if (!theirs) throw new Error(`Secret ${namespace}/${secretName} holds no certificate after a conflict`);
      return theirs;
    }
  }

  /** Never throws: a configuration not installed yet, or a concurrent edit, is retried next tick. */
  private async publishCaBundle(bundlePem: string): Promise<void> {
    const { admission, log } = this.opts;
    const candidates: V1MutatingWebhookConfiguration[] = [];
    try {
      const list = await admission.listMutatingWebhookConfiguration({
        labelSelector: INJECTION_WEBHOOK_SELECTOR,
      });
      candidates.push(...list.items);
    } catch (err) {
      log.warn('cannot list injection webhook configurations', { error: errorMessage(err) });
    }
    for (const name of this.opts.webhookConfigurations) {
      if (candidates.some((m) => m.metadata?.name === name)) continue;
      try {
        candidates.push(await admission.readMutatingWebhookConfiguration({ name }));
      } catch (err) {
        log.warn('cannot read webhook configuration', {
          mutatingWebhookConfiguration: name,
          error: errorMessage(err),
        });
      }
    }
    for (const body of caBundleWrites(candidates, this.opts.webhookConfigurations, bundlePem)) {
      const name = body.metadata?.name ?? '';
      try {
        // The listed resourceVersion rides along: a concurrent edit fails with 409 and is redone next tick.
        await admission.replaceMutatingWebhookConfiguration({ name, body });
        log.info('updated caBundle', { mutatingWebhookConfiguration: name });
      } catch (err) {
        log.warn('cannot update caBundle', { mutatingWebhookConfiguration: name, error: errorMessage(err) });
      }
    }
  }
}
