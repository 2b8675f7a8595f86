// Decisions of the built-in self-signed TLS mode, pure so that rotation is tested without a cluster
// or a clock: when to issue a new certificate, which CAs the webhook configuration must trust, and
// what the Secret holds.
import type { V1MutatingWebhookConfiguration, V1Secret } from '@kubernetes/client-node';
import { X509Certificate, createPrivateKey } from 'crypto';
import { isIP } from 'net';
import { errorMessage } from '../../lib/errors';

/** What the Secret stores: serving pair plus the CA bundle published in the webhook's caBundle. */
export interface StoredTls {
  certPem: string;
  keyPem: string;
  /** PEM of the current CA first, then the previous CA while it is still valid. */
  caBundlePem: string;
}

/** Renew when less than this share of the certificate's lifetime is left. */
export const RENEW_REMAINING_FRACTION = 1 / 3;

export function secretToTls(secret: V1Secret | undefined): StoredTls | undefined {
  const d = secret?.data;
  if (!d?.['tls.crt'] || !d['tls.key'] || !d['ca.crt']) return undefined;
  const decode = (b64: string) => Buffer.from(b64, 'base64').toString('utf8');
  return { certPem: decode(d['tls.crt']), keyPem: decode(d['tls.key']), caBundlePem: decode(d['ca.crt']) };
}

export function tlsToSecretData(t: StoredTls): Record<string, string> {
  const encode = (s: string) => Buffer.from(s, 'utf8').toString('base64');
  return { 'tls.crt': encode(t.certPem), 'tls.key': encode(t.keyPem), 'ca.crt': encode(t.caBundlePem) };
}

export function splitPem(bundle: string): string[] {
  return bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

/**
 * Why the stored certificate must be replaced now, or undefined when it is still good. `dnsNames` may
 * also hold IP addresses (SAN IP entries, for webhooks registered by URL).
 */
export function renewalReason(
  t: StoredTls | undefined,
  now: Date,
  dnsNames: readonly string[],
): string | undefined {
  if (!t) return 'no certificate stored yet';
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(t.certPem);
    if (!cert.checkPrivateKey(createPrivateKey(t.keyPem))) return 'stored key does not match the certificate';
  } catch (err) {
    return `stored certificate is unreadable: ${errorMessage(err)}`;
  }
  const missing = dnsNames.filter((n) => (isIP(n) ? cert.checkIP(n) : cert.checkHost(n)) === undefined);
  if (missing.length > 0) return `certificate does not cover ${missing.join(', ')}`;
  let cas: X509Certificate[];
  try {
    cas = splitPem(t.caBundlePem).map((ca) => new X509Certificate(ca));
  } catch (err) {
    // A damaged ca.crt (it is published as the caBundle) is replaced like a missing one, not fatal.
    return `stored CA bundle is unreadable: ${errorMessage(err)}`;
  }
  if (cas.length === 0 || !cas.some((ca) => cert.checkIssued(ca))) {
    return 'certificate was not issued by the stored CA';
  }
  const from = Date.parse(cert.validFrom);
  const to = Date.parse(cert.validTo);
  if (now.getTime() >= to) return 'certificate expired';
  if (to - now.getTime() < (to - from) * RENEW_REMAINING_FRACTION) return 'certificate is close to expiry';
  return undefined;
}

/**
 * The bundle after a rotation: the new CA, plus the previous current CA while it is valid, so that
 * replicas still serving the old certificate stay trusted until they pick up the new one.
 */
export function rotatedBundle(newCaPem: string, previous: StoredTls | undefined, now: Date): string {
  const previousCa = previous ? splitPem(previous.caBundlePem)[0] : undefined;
  const keep: string[] = [];
  if (previousCa) {
    try {
      if (Date.parse(new X509Certificate(previousCa).validTo) > now.getTime()) keep.push(previousCa);
    } catch {
      // An unreadable previous CA is simply dropped.
    }
  }
  return [newCaPem.trim(), ...keep].join('\n') + '\n';
}

/**
 * The webhook configuration with every webhook's caBundle set to `bundlePem`, or undefined when all of
 * them already carry it (no write needed).
 */
export function withCaBundle(
  mwc: V1MutatingWebhookConfiguration,
  bundlePem: string,
): V1MutatingWebhookConfiguration | undefined {
  const caBundle = Buffer.from(bundlePem, 'utf8').toString('base64');
  const webhooks = mwc.webhooks ?? [];
  if (webhooks.every((w) => w.clientConfig.caBundle === caBundle)) return undefined;
  return { ...mwc, webhooks: webhooks.map((w) => ({ ...w, clientConfig: { ...w.clientConfig, caBundle } })) };
}

/** Splits subject names into DNS names and IP addresses. */
export function splitSubjectNames(names: readonly string[]): { dnsNames: string[]; ipAddresses: string[] } {
  return { dnsNames: names.filter((n) => !isIP(n)), ipAddresses: names.filter((n) => isIP(n) !== 0) };
}

/** DNS names a Service is reached by from the apiserver. */
export function serviceDnsNames(service: string, namespace: string): string[] {
  return [
    service,
    `${service}.${namespace}`,
    `${service}.${namespace}.svc`,
    `${service}.${namespace}.svc.cluster.local`,
  ];
}

/**
 * Label the operator puts on the injection MutatingWebhookConfigurations it retargets to Meshwright's
 * webhook (operator/render/injection: LABEL_INJECTION_WEBHOOK); the self-signed mode keeps their caBundle.
 */
export const INJECTION_WEBHOOK_LABEL = 'meshwright.io/injection-webhook';
export const INJECTION_WEBHOOK_SELECTOR = `${INJECTION_WEBHOOK_LABEL}=true`;

/**
 * The caBundle writes needed: every configuration named in `names` or labelled as an operator-made
 * injection webhook, whose webhooks do not all carry `bundlePem` yet. Anything else in `candidates` (a
 * list may return more than asked for) is never touched; duplicates are written once.
 */
export function caBundleWrites(
  candidates: readonly V1MutatingWebhookConfiguration[],
  names: readonly string[],
  bundlePem: string,
): V1MutatingWebhookConfiguration[] {
  const seen = new Set<string>();
  const writes: V1MutatingWebhookConfiguration[] = [];
  for (const mwc of candidates) {
    const name = mwc.metadata?.name;
    if (!name || seen.has(name)) continue;
    const labelled = mwc.metadata?.labels?.[INJECTION_WEBHOOK_LABEL] === 'true';
    if (!labelled && !names.includes(name)) continue;
    seen.add(name);
    const updated = withCaBundle(mwc, bundlePem);
    if (updated) writes.push(updated);
  }
  return writes;
}
