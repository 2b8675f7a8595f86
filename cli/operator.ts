// `meshwright operator`: runs the IstioOperator controller in a cluster (or against --kubeconfig).
// Flags follow the removed upstream operator and controller-runtime conventions.
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { parseFlags, usage, UsageError, type FlagSpec, type FlagValues } from '../lib/flags';
import { loadKubeConnection } from '../lib/kube/config-loader';
import { errorMessage } from '../lib/errors';
import { rootLogger } from '../lib/log';
import { createRegistry } from '../lib/metrics';
import { Shutdown } from '../lib/shutdown';
import { OperatorManager } from '../operator/controller/manager';
import { parseDuration } from '../operator/controller/runtime/duration';
import { MANAGED_KINDS } from '../operator/render/gvk';
import type { RenderFn } from '../operator/controller/reconcile/desired';
import { chartControllerRender } from '../operator/render/charts/controller-render';
import { RenderCache } from '../operator/render/charts/render-cache';
import { DEFAULT_KUBE_VERSION } from '../operator/render/charts/render';
import { serverKubeVersion } from '../operator/controller/kube/server-version';
import type { InjectionOptions } from '../operator/render/charts/meshwright-adjustments';
import { parseInjectionTarget } from '../operator/render/injection/injection-target';
import { HelmProcessRenderer, helmBinary } from '../operator/render/helm/helm-process';
import { RELEASE_FLAGS } from '../release/flags';
import { createReleaseProvider } from '../release/index';
import type { ReleaseProviderOptions } from '../release/options';
import { formatIstioVersion, parseIstioVersion } from '../release/version';
import type { Command } from './commands';
import { DEFAULT_ISTIO_VERSION } from './manifest';
import { releaseSourceFrom } from './release-source';

const SUMMARY = 'Run the IstioOperator controller';

const FLAGS: Record<string, FlagSpec> = {
  kubeconfig: { kind: 'string', help: 'Kubeconfig file (default: $KUBECONFIG, in-cluster, ~/.kube/config)' },
  'namespace-to-watch': {
    kind: 'string',
    default: '',
    help: 'Only reconcile IstioOperators in this namespace (default: all)',
  },
  'leader-elect': {
    kind: 'boolean',
    default: true,
    help: 'Elect a leader through a Lease so only one replica acts',
  },
  'leader-election-namespace': {
    kind: 'string',
    default: '',
    help:
      'Namespace of the leader Lease (default: $POD_NAMESPACE, else istio-operator); created if missing, ' +
      'else the operator exits 1 saying why. While not leading, /readyz and the log say why',
  },
  'metrics-port': { kind: 'number', default: 8080, help: 'Plain-HTTP port for /metrics' },
  'health-port': { kind: 'number', default: 8081, help: 'Plain-HTTP port for /healthz and /readyz' },
  'resync-period': {
    kind: 'string',
    default: '10m',
    help: 'Re-check every IstioOperator this often (Go duration)',
  },
  'sidecar-census-interval': {
    kind: 'string',
    default: '1m',
    help: 'How old the outdated-sidecar counts in status may get: pods are listed this often (Go duration)',
  },
  ...RELEASE_FLAGS,
  render: {
    kind: 'string',
    help: "Accepted for compatibility: charts (the only renderer: the release's own charts through helm)",
  },
  'default-istio-version': {
    kind: 'string',
    default: DEFAULT_ISTIO_VERSION,
    help: "Istio version rendered when an IstioOperator's tag names none",
  },
  helm: {
    kind: 'string',
    help: 'The helm binary for chart rendering (default $MESHWRIGHT_HELM, else helm on PATH)',
  },
  'injection-service': {
    kind: 'string',
    help:
      "namespace/name[:port] of Meshwright's webhook Service: the operator installs each revision's injection " +
      'MutatingWebhookConfigurations (upstream selectors) pointing there, and serves IstioRevisionTags',
  },
  'injection-url': {
    kind: 'string',
    help: "https://host:port of Meshwright's webhook outside the cluster (instead of --injection-service)",
  },
  'injection-ca-from': {
    kind: 'string',
    help: 'namespace/certificate for cert-manager.io/inject-ca-from on those webhooks (else the webhook keeps caBundle)',
  },
  help: { kind: 'boolean', alias: 'h', help: 'Show this help' },
};

export interface OperatorFlags {
  kubeconfig?: string;
  namespaceToWatch?: string;
  leaderElect: boolean;
  leaderElectionNamespace: string;
  metricsPort: number;
  healthPort: number;
  resyncPeriodMs: number;
  sidecarCensusIntervalMs: number;
  /** Where releases come from: the chain of releases dir, cache, mirror and official location. */
  releases: ReleaseProviderOptions;
  defaultIstioVersion: string;
  helm: string;
  /** Where injection MWCs point; undefined leaves them out (the static default-revision MWC serves). */
  injection?: InjectionOptions;
}

function port(value: unknown, flag: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 65535) {
    throw new UsageError(`--${flag} must be a port number (0-65535)`);
  }
  return value;
}

export function parseOperatorFlags(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
): OperatorFlags | 'help' {
  const { flags, positional } = parseFlags(argv, FLAGS);
  if (flags.help) return 'help';
  if (positional.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positional[0])}`);
  const duration = (flag: string): number => {
    let ms: number;
    try {
      ms = parseDuration(String(flags[flag]));
    } catch (err) {
      throw new UsageError(`--${flag}: ${(err as Error).message}`);
    }
    if (ms < 1000) throw new UsageError(`--${flag} must be at least 1s`);
    return ms;
  };
  const resyncPeriodMs = duration('resync-period');
  const sidecarCensusIntervalMs = duration('sidecar-census-interval');
  const ns = String(flags['namespace-to-watch'] ?? '');
  return {
    kubeconfig: typeof flags.kubeconfig === 'string' ? flags.kubeconfig : undefined,
    namespaceToWatch: ns === '' ? undefined : ns,
    leaderElect: flags['leader-elect'] === true,
    leaderElectionNamespace: String(
      flags['leader-election-namespace'] || env.POD_NAMESPACE || 'istio-operator',
    ),
    metricsPort: port(flags['metrics-port'], 'metrics-port'),
    healthPort: port(flags['health-port'], 'health-port'),
    resyncPeriodMs,
    sidecarCensusIntervalMs,
    releases: chartReleases(flags, env),
    defaultIstioVersion: defaultVersionFlag(flags['default-istio-version']),
    helm: typeof flags.helm === 'string' && flags.helm !== '' ? flags.helm : helmBinary(env),
    injection: injectionFlags(flags),
  };
}

function injectionFlags(flags: FlagValues): InjectionOptions | undefined {
  const str = (k: string): string | undefined =>
    typeof flags[k] === 'string' ? String(flags[k]) : undefined;
  let target;
  try {
    target = parseInjectionTarget({ service: str('injection-service'), url: str('injection-url') });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const caFrom = str('injection-ca-from');
  if (caFrom !== undefined && !target)
    throw new UsageError('--injection-ca-from needs --injection-service or --injection-url');
  if (caFrom !== undefined && !/^[^/\s]+\/[^/\s]+$/.test(caFrom))
    throw new UsageError(`--injection-ca-from: ${JSON.stringify(caFrom)} must be namespace/certificate`);
  return target ? { target, ...(caFrom !== undefined ? { caFrom } : {}) } : undefined;
}

/**
 * The release source: always the chain (releases dir, cache, mirror, official). `--render=charts` is
 * accepted as a no-op for old manifests; the removed built-in renderer gets an error saying so.
 */
function chartReleases(flags: FlagValues, env: NodeJS.ProcessEnv): ReleaseProviderOptions {
  const mode = flags.render;
  if (mode === 'builtin')
    throw new UsageError(
      "--render=builtin: the built-in renderer was removed; the operator renders through the release's charts (drop the flag)",
    );
  if (mode !== undefined && mode !== 'charts')
    throw new UsageError(`--render must be charts (the only renderer), got ${JSON.stringify(mode)}`);
  return releaseSourceFrom(flags, env).options;
}

function defaultVersionFlag(v: unknown): string {
  const parsed = parseIstioVersion(typeof v === 'string' ? v : undefined);
  if (!parsed) throw new UsageError(`--default-istio-version: ${JSON.stringify(v)} is not an Istio version`);
  return formatIstioVersion(parsed);
}

export const operator: Command = {
  name: 'operator',
  summary: SUMMARY,
  async run(argv) {
    const parsed = parseOperatorFlags(argv);
    if (parsed === 'help') {
      process.stdout.write(usage('operator', SUMMARY, FLAGS));
      return 0;
    }
    const log = rootLogger();
    // The lean client's loader: the operator does not load @kubernetes/client-node (docs/architecture.md).
    const kc = loadKubeConnection(parsed.kubeconfig);
    const releases = parsed.releases;
    // Once at start: charts branch on the Kubernetes version, so render for this cluster's.
    const kubeVersion = await serverKubeVersion(kc).catch((err: unknown) => {
      log.warn('cannot read the Kubernetes version (GET /version); charts render for the default', {
        error: errorMessage(err),
        kubeVersion: DEFAULT_KUBE_VERSION,
      });
      return undefined;
    });
    const render: RenderFn = chartControllerRender({
      releases: createReleaseProvider(releases),
      cache: new RenderCache(new HelmProcessRenderer({ binary: parsed.helm })),
      defaultVersion: parsed.defaultIstioVersion,
      kubeVersion,
      injection: parsed.injection,
    });
    const identity = `${process.env.POD_NAME ?? hostname()}_${randomUUID()}`;
    const shutdown = new Shutdown(log);
    let lostLeadership = false;
    const manager = new OperatorManager({
      kc,
      render,
      managedKinds: MANAGED_KINDS,
      namespace: parsed.namespaceToWatch,
      leaderElect: parsed.leaderElect,
      leaderElectionNamespace: parsed.leaderElectionNamespace,
      identity,
      resyncPeriodMs: parsed.resyncPeriodMs,
      sidecarCensusTtlMs: parsed.sidecarCensusIntervalMs,
      // status.meshwright.version of an IstioOperator that names no release is the operator's default.
      defaultIstioVersion: parsed.defaultIstioVersion,
      injection: parsed.injection,
      metricsPort: parsed.metricsPort,
      healthPort: parsed.healthPort,
      registry: createRegistry(),
      log,
      onLostLeadership: () => {
        // Like controller-runtime: a replica that lost the lease exits and is restarted as a candidate.
        lostLeadership = true;
        void shutdown.run().then(() => process.exit(1));
      },
    });
    shutdown.register('operator', () => manager.stop());
    shutdown.installSignalHandlers((code) => process.exit(lostLeadership ? 1 : code));
    try {
      await manager.start();
    } catch (err) {
      // E.g. a Lease namespace that cannot be created: stop the probe servers so the process exits
      // with the error (main prints it) instead of idling with open ports.
      await manager.stop();
      throw err;
    }
    log.info('operator started', {
      controller: 'istiooperator',
      identity,
      namespace: parsed.namespaceToWatch ?? '*',
      leaderElect: parsed.leaderElect,
      renderer: `helm ${parsed.helm}, ${describeSource(releases)}`,
      kubeVersion: kubeVersion ?? DEFAULT_KUBE_VERSION,
      ports: manager.ports(),
    });
    // Runs until a signal; the shutdown hooks end the process. The interval keeps the event loop alive
    // while a standby replica has nothing else scheduled.
    const keepAlive = setInterval(() => undefined, 3_600_000);
    shutdown.register('keep-alive', () => clearInterval(keepAlive));
    await new Promise<never>(() => undefined);
    return 0;
  },
};

/** The release source for the start-up log: locations only (a mirror URL could carry credentials). */
function describeSource(o: ReleaseProviderOptions): string {
  if (o.manifestsDir !== undefined) return `manifests ${o.manifestsDir}`;
  const parts = [o.releasesDir && `releases-dir ${o.releasesDir}`, `cache ${o.cacheDir}`];
  if (o.mirrorUrl !== undefined) parts.push('mirror');
  if (o.official !== false) parts.push('official');
  return parts.filter(Boolean).join(', ');
}
