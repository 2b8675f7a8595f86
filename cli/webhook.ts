// `meshwright webhook`: flags -> options for webhook/server/start.ts, logger, graceful shutdown.
import { readFileSync } from 'fs';
import { isIP } from 'net';
import { type FlagSpec, parseFlags, usage, UsageError } from '../lib/flags';
import { loadKubeConfig } from '../lib/kube/kubeconfig';
import { errorMessage } from '../lib/errors';
import { createLogger } from '../lib/log';
import { createRegistry } from '../lib/metrics';
import { Shutdown } from '../lib/shutdown';
import { setFlagsToOverlay } from '../lib/istio/setpath';
import type { IopSpecOverlay, NativeSidecarMode } from '../inject/api';
import { buildInjectionConfig, injectPod } from '../inject';
import { meshOverlay, valuesOverlay } from '../webhook/kube-inject/config-files';
import { type StartWebhookOptions, startWebhook } from '../webhook/server/start';
import type { Command } from './commands';

const SUMMARY = 'Serve the sidecar injection admission webhook over HTTPS';

export const WEBHOOK_FLAGS: Record<string, FlagSpec> = {
  port: { kind: 'number', default: 9443, help: 'HTTPS port of the admission endpoint (/inject)' },
  host: { kind: 'string', default: '0.0.0.0', help: 'Address to listen on (all ports)' },
  'tls-cert-file': { kind: 'string', help: 'Serving certificate (PEM); reloaded when it changes' },
  'tls-key-file': { kind: 'string', help: 'Serving key (PEM); reloaded when it changes' },
  'self-signed': {
    kind: 'boolean',
    default: false,
    help: 'Keep a self-signed CA and certificate in a Secret and the caBundle in sync (no cert-manager)',
  },
  kubeconfig: { kind: 'string', help: 'Kubeconfig file (default: $KUBECONFIG, in-cluster, ~/.kube/config)' },
  'istio-namespace': { kind: 'string', default: 'istio-system', help: 'Namespace of the Istio ConfigMaps' },
  'metrics-port': { kind: 'number', default: 8080, help: 'Plain-HTTP port of /metrics' },
  'health-port': { kind: 'number', default: 8081, help: 'Plain-HTTP port of /healthz and /readyz' },
  revision: {
    kind: 'string',
    default: 'default',
    help: 'Revision served at /inject (others at /inject/rev/<rev> in cluster mode)',
  },
  'native-sidecars': { kind: 'string', default: 'auto', help: 'auto | enabled | disabled' },
  values: { kind: 'string', help: 'Static mode: injector values file (JSON or YAML), like kube-inject' },
  'mesh-config': { kind: 'string', help: 'Static mode: mesh config file (YAML), like kube-inject' },
  set: { kind: 'array', help: 'Static mode: IstioOperator path=value (repeatable), like kube-inject' },
  static: { kind: 'boolean', default: false, help: 'Static mode with defaults only (no Istio ConfigMaps)' },
  'webhook-namespace': {
    kind: 'string',
    help: 'Own namespace, never injected (default: $POD_NAMESPACE or meshwright-system)',
  },
  'webhook-service': {
    kind: 'string',
    default: 'meshwright-webhook',
    help: 'Service name (self-signed SANs)',
  },
  'webhook-config': {
    kind: 'array',
    help: 'MutatingWebhookConfiguration whose caBundle --self-signed maintains, besides those labelled meshwright.io/injection-webhook=true (repeatable)',
  },
  'self-signed-san': {
    kind: 'array',
    help: 'Extra DNS name or IP address for the --self-signed certificate (repeatable; for url: registrations)',
  },
  'tls-secret': { kind: 'string', default: 'meshwright-webhook-tls', help: 'Secret of --self-signed' },
  'cert-validity-days': { kind: 'number', default: 365, help: 'Lifetime of --self-signed certificates' },
  'shutdown-delay': {
    kind: 'number',
    default: 5,
    help: 'Seconds to keep serving after SIGTERM while endpoints are updated, then drain',
  },
  'log-level': { kind: 'string', default: 'info', help: 'error | warn | info | debug' },
  help: { kind: 'boolean', alias: 'h', default: false, help: 'Show this help' },
};

const NATIVE_MODES: NativeSidecarMode[] = ['auto', 'enabled', 'disabled'];

function port(name: string, v: unknown): number {
  const n = v as number;
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`--${name} must be a port number`);
  return n;
}

/** Reads a --values/--mesh-config file with kube-inject's readers (plain file or ConfigMap). */
function fileOverlay(path: string, read: (text: string, source: string) => IopSpecOverlay): IopSpecOverlay {
  try {
    return read(readFileSync(path, 'utf8'), path);
  } catch (err) {
    throw new UsageError(`cannot read ${path}: ${errorMessage(err)}`);
  }
}

/** Overlays of static mode, in the order kube-inject applies them: --set, then the files. */
function staticOverlays(flags: Record<string, unknown>): IopSpecOverlay[] {
  const overlays: IopSpecOverlay[] = [];
  const sets = flags.set as string[];
  if (sets.length > 0) {
    try {
      overlays.push(setFlagsToOverlay(sets) as IopSpecOverlay);
    } catch (err) {
      throw new UsageError(errorMessage(err));
    }
  }
  if (typeof flags.values === 'string') overlays.push(fileOverlay(flags.values, valuesOverlay));
  if (typeof flags['mesh-config'] === 'string') overlays.push(fileOverlay(flags['mesh-config'], meshOverlay));
  return overlays;
}

export type WebhookFlagOptions = Omit<StartWebhookOptions, 'injector' | 'log' | 'registry' | 'kubeConfig'> & {
  kubeconfigFile?: string;
  needsCluster: boolean;
  logLevel: string;
  shutdownDelayMs: number;
};

/** Validates flags into start options (reads --values/--mesh-config files in static mode). */
export function webhookOptionsFromFlags(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
): WebhookFlagOptions | 'help' {
  const { flags, positional } = parseFlags(argv, WEBHOOK_FLAGS);
  if (flags.help) return 'help';
  if (positional.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positional[0])}`);
  const native = flags['native-sidecars'] as NativeSidecarMode;
  if (!NATIVE_MODES.includes(native))
    throw new UsageError(`--native-sidecars must be one of ${NATIVE_MODES.join(', ')}`);
  const revision = flags.revision as string;
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(revision))
    throw new UsageError(`--revision ${JSON.stringify(revision)} is not a valid revision name`);

  const certFile = flags['tls-cert-file'] as string | undefined;
  const keyFile = flags['tls-key-file'] as string | undefined;
  const selfSigned = flags['self-signed'] === true;
  if ((certFile === undefined) !== (keyFile === undefined))
    throw new UsageError('--tls-cert-file and --tls-key-file go together');
  if (selfSigned && certFile) throw new UsageError('--self-signed and --tls-cert-file exclude each other');
  if (!selfSigned && !certFile) throw new UsageError('give --tls-cert-file/--tls-key-file or --self-signed');
  const extraNames = flags['self-signed-san'] as string[];
  if (extraNames.length > 0 && !selfSigned) throw new UsageError('--self-signed-san needs --self-signed');
  const badName = extraNames.find((n) => isIP(n) === 0 && !/^[a-z0-9*]([-a-z0-9.]*[a-z0-9])?$/i.test(n));
  if (badName !== undefined)
    throw new UsageError(`--self-signed-san ${JSON.stringify(badName)} is neither a DNS name nor an IP`);
  const validityDays = flags['cert-validity-days'] as number;
  if (!(validityDays >= 1)) throw new UsageError('--cert-validity-days must be at least 1');
  const shutdownDelay = flags['shutdown-delay'] as number;
  // The process-wide shutdown deadline is 30 s; the drain needs time after the delay.
  if (!(shutdownDelay >= 0 && shutdownDelay <= 20))
    throw new UsageError('--shutdown-delay must be between 0 and 20 seconds');

  const isStatic =
    flags.static === true ||
    flags.values !== undefined ||
    flags['mesh-config'] !== undefined ||
    (flags.set as string[]).length > 0;
  const config: StartWebhookOptions['config'] = isStatic
    ? {
        kind: 'static',
        config: buildInjectionConfig({ overlays: staticOverlays(flags), revision, nativeSidecars: native }),
      }
    : { kind: 'cluster', istioNamespace: flags['istio-namespace'] as string, nativeSidecars: native };
  const webhookConfigs = flags['webhook-config'] as string[];
  return {
    host: flags.host as string,
    port: port('port', flags.port),
    metricsPort: port('metrics-port', flags['metrics-port']),
    healthPort: port('health-port', flags['health-port']),
    config,
    tls: selfSigned
      ? {
          kind: 'self-signed',
          secretName: flags['tls-secret'] as string,
          serviceName: flags['webhook-service'] as string,
          extraNames,
          webhookConfigurations: webhookConfigs,
          validityDays,
        }
      : { kind: 'files', certFile: certFile as string, keyFile: keyFile as string },
    defaultRevision: revision,
    ownNamespace:
      (flags['webhook-namespace'] as string | undefined) ?? env.POD_NAMESPACE ?? 'meshwright-system',
    kubeconfigFile: flags.kubeconfig as string | undefined,
    needsCluster: !isStatic || selfSigned,
    logLevel: flags['log-level'] as string,
    shutdownDelayMs: shutdownDelay * 1000,
  };
}

async function run(argv: string[]): Promise<number> {
  const opts = webhookOptionsFromFlags(argv);
  if (opts === 'help') {
    process.stdout.write(usage('webhook', SUMMARY, WEBHOOK_FLAGS));
    return 0;
  }
  const log = createLogger({ level: opts.logLevel }).child({ component: 'webhook' });
  const registry = createRegistry();
  const started = await startWebhook({
    ...opts,
    kubeConfig: opts.needsCluster ? loadKubeConfig(opts.kubeconfigFile) : undefined,
    injector: injectPod,
    log,
    registry,
  });
  const shutdown = new Shutdown(log);
  shutdown.register('webhook', async () => {
    await started.stop(opts.shutdownDelayMs);
    log.info('webhook stopped');
  });
  shutdown.installSignalHandlers();
  void started.synced.then(() => log.info('injection configuration synced, ready'));
  // Runs until a signal: the listeners keep the event loop alive.
  await new Promise<void>(() => undefined);
  return 0;
}

export const webhook: Command = { name: 'webhook', summary: SUMMARY, run };
