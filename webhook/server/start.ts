// Composition root of `meshwright webhook`: picks the configuration source (static or live cluster)
// and the TLS source (files, self-signed Secret, or a given pair), then starts the listeners. Used by
// the CLI and, in-process, by the integration tests.
import { AdmissionregistrationV1Api, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { Registry } from 'prom-client';
import type { Logger } from '../../lib/log';
import type { InjectionConfig, Injector, NativeSidecarMode } from '../../inject/api';
import { startClusterConfig } from '../config/informers';
import { staticConfigSource } from '../config/static';
import { SelfSignedTls } from '../selfsigned/manager';
import { serviceDnsNames } from '../selfsigned/plan';
import type { KeyPair } from '../tls/options';
import { CertFileReloader } from '../tls/reloader';
import { createWebhookMetrics } from './metrics';
import type { ConfigSource } from './review';
import { type RunningWebhook, startWebhookServer } from './run';

export type ConfigMode =
  | { kind: 'static'; config: InjectionConfig }
  | { kind: 'cluster'; istioNamespace: string; nativeSidecars: NativeSidecarMode };

export type TlsMode =
  | { kind: 'files'; certFile: string; keyFile: string; pollMs?: number }
  | {
      kind: 'self-signed';
      secretName: string;
      serviceName: string;
      /** Extra DNS names or IP addresses (webhooks registered by URL). */
      extraNames?: string[];
      webhookConfigurations: string[];
      validityDays: number;
      checkMs?: number;
      /** How often the caBundles are re-listed and synced (default 5 s). */
      syncMs?: number;
    }
  /** A fixed pair (tests); use `RunningWebhook.setKeyPair` to change it. */
  | { kind: 'pair'; pair: KeyPair };

export interface StartWebhookOptions {
  host: string;
  port: number;
  metricsPort: number;
  healthPort: number;
  config: ConfigMode;
  tls: TlsMode;
  /** Revision answered at plain /inject. */
  defaultRevision: string;
  /** The webhook's own namespace: never injected; holds the self-signed Secret. */
  ownNamespace: string;
  kubeConfig?: KubeConfig;
  injector: Injector;
  log: Logger;
  registry: Registry;
}

export interface StartedWebhook {
  server: RunningWebhook;
  source: ConfigSource;
  /** Resolves once the configuration is loaded (immediately in static mode). */
  synced: Promise<void>;
  /**
   * Graceful stop: report not ready, keep serving for `delayMs` (while the apiserver's endpoints still
   * route here), then drain admission requests and stop timers and informers.
   */
  stop(delayMs?: number): Promise<void>;
}

const FILE_POLL_MS = 10_000;
const SELF_SIGNED_CHECK_MS = 5 * 60_000;
const CA_BUNDLE_SYNC_MS = 5_000;

function needKubeConfig(o: StartWebhookOptions, why: string): KubeConfig {
  if (!o.kubeConfig)
    throw new Error(`${why} needs access to the cluster (--kubeconfig or in-cluster config)`);
  return o.kubeConfig;
}

export async function startWebhook(o: StartWebhookOptions): Promise<StartedWebhook> {
  const metrics = createWebhookMetrics(o.registry);
  const stops: (() => Promise<void> | void)[] = [];

  let source: ConfigSource;
  let synced: Promise<void>;
  let notReadyReason: () => string | undefined;
  let readyDetails: () => string[] = () => [];
  if (o.config.kind === 'static') {
    source = staticConfigSource(o.config.config);
    synced = Promise.resolve();
    notReadyReason = () => undefined;
    metrics.configGeneration.set(1);
  } else {
    const cluster = startClusterConfig({
      kubeConfig: needKubeConfig(o, 'cluster configuration mode'),
      istioNamespace: o.config.istioNamespace,
      nativeSidecars: o.config.nativeSidecars,
      log: o.log,
      onGeneration: (g) => metrics.configGeneration.set(g),
      onTemplateProblems: (revision, problems) => metrics.templateErrors.set({ revision }, problems.length),
      onRevisionVersion: (revision, v) =>
        metrics.revisionVersion.set({ revision, declared: v.declared, line: v.line }, v.exact ? 0 : 1),
    });
    source = cluster.store;
    readyDetails = () =>
      cluster.store
        .templateProblems()
        .map((p) => `template error: revision "${p.revision}" template "${p.template}": ${p.error}`);
    synced = cluster.waitForSync();
    notReadyReason = cluster.notReadyReason;
    stops.push(() => cluster.stop());
  }

  // The server starts with the first pair; later pairs are swapped in through `server.setKeyPair`.
  let server: RunningWebhook | undefined;
  const swap = (pair: KeyPair) => server?.setKeyPair(pair);
  let keyPair: KeyPair;
  let startTimers: () => void = () => undefined;
  const tls = o.tls;
  if (tls.kind === 'files') {
    const reloader = new CertFileReloader(tls, swap, o.log);
    keyPair = reloader.load();
    startTimers = () => reloader.start(tls.pollMs ?? FILE_POLL_MS);
    stops.push(() => reloader.stop());
  } else if (tls.kind === 'self-signed') {
    const kc = needKubeConfig(o, '--self-signed');
    const selfSigned = new SelfSignedTls({
      core: kc.makeApiClient(CoreV1Api),
      admission: kc.makeApiClient(AdmissionregistrationV1Api),
      namespace: o.ownNamespace,
      secretName: tls.secretName,
      dnsNames: [...serviceDnsNames(tls.serviceName, o.ownNamespace), ...(tls.extraNames ?? [])],
      webhookConfigurations: tls.webhookConfigurations,
      validityDays: tls.validityDays,
      log: o.log,
      onKeyPair: (pair) => {
        o.log.info('serving a renewed self-signed certificate');
        swap(pair);
      },
    });
    keyPair = await selfSigned.ensure();
    startTimers = () =>
      selfSigned.start(
        tls.checkMs ?? SELF_SIGNED_CHECK_MS,
        tls.syncMs ?? Math.min(CA_BUNDLE_SYNC_MS, tls.checkMs ?? CA_BUNDLE_SYNC_MS),
      );
    stops.push(() => selfSigned.stop());
  } else {
    keyPair = tls.pair;
  }

  try {
    server = await startWebhookServer({
      host: o.host,
      port: o.port,
      metricsPort: o.metricsPort,
      healthPort: o.healthPort,
      defaultRevision: o.defaultRevision,
      keyPair,
      injector: o.injector,
      source,
      ownNamespace: o.ownNamespace,
      registry: o.registry,
      metrics,
      log: o.log,
      notReadyReason,
      readyDetails,
    });
  } catch (err) {
    for (const s of stops.reverse()) await s();
    throw err;
  }
  startTimers();
  const running = server;
  return {
    server: running,
    source,
    synced,
    async stop(delayMs = 0) {
      running.markShuttingDown();
      if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
      await running.close();
      for (const s of stops.reverse()) await s();
    },
  };
}
