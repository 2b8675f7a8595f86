// The real webhook in-process on loopback TLS with a fresh self-signed CA, reading its configuration from
// the cluster: the one way the integration suites start Meshwright's webhook for the apiserver to call.
import { PassThrough, type Writable } from 'node:stream';
import type { KubeConfig } from '@kubernetes/client-node';
import { selfSignedServing, type CertificateAuthority } from '../../../lib/certs';
import { createLogger } from '../../../lib/log';
import { createRegistry } from '../../../lib/metrics';
import { injectPod } from '../../../inject';
import { startWebhook, type StartedWebhook } from '../../../webhook/server/start';
import { kubeConfig } from './cluster';

export type LoopbackWebhook = StartedWebhook;

export interface LoopbackWebhookOptions {
  /** Common name of the serving certificate (one per suite, for telling logs apart). */
  commonName: string;
  /** Where the injector ConfigMaps live. */
  istioNamespace: string;
  /** The webhook's own namespace (never injected); the control-plane namespace by default. */
  ownNamespace?: string;
  nativeSidecars: 'auto' | 'disabled';
  kubeConfig?: KubeConfig;
  /** Log destination; discarded by default. */
  logStream?: Writable;
  registry?: ReturnType<typeof createRegistry>;
}

/** Starts the webhook and waits for its informers; `url` is its base URL, `ca` the CA to register. */
export async function startLoopbackWebhook(
  o: LoopbackWebhookOptions,
): Promise<{ webhook: LoopbackWebhook; ca: CertificateAuthority; url: string }> {
  const { ca, serving } = await selfSignedServing({ commonName: o.commonName, ipAddresses: ['127.0.0.1'] });
  const webhook = await startWebhook({
    host: '127.0.0.1',
    port: 0,
    metricsPort: 0,
    healthPort: 0,
    config: { kind: 'cluster', istioNamespace: o.istioNamespace, nativeSidecars: o.nativeSidecars },
    tls: { kind: 'pair', pair: { cert: serving.certPem, key: serving.keyPem } },
    defaultRevision: 'default',
    ownNamespace: o.ownNamespace ?? o.istioNamespace,
    kubeConfig: o.kubeConfig ?? kubeConfig(),
    injector: injectPod,
    log: createLogger({ stream: o.logStream ?? new PassThrough() }),
    registry: o.registry ?? createRegistry(false),
  });
  await webhook.synced;
  return { webhook, ca, url: `https://127.0.0.1:${webhook.server.port}` };
}
