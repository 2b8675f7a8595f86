import { UsageError } from '../../../lib/flags';
import { parseOperatorFlags } from '../../../cli/operator';
import { parseDuration } from '../../../operator/controller/runtime/duration';

describe('parseDuration', () => {
  it('reads Go-style durations and bare seconds', () => {
    expect(parseDuration('10m')).toBe(600_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('45')).toBe(45_000);
  });

  it('rejects garbage', () => {
    expect(() => parseDuration('10 minutes')).toThrow(/invalid duration/);
    expect(() => parseDuration('')).toThrow(/invalid duration/);
  });
});

describe('meshwright operator flags', () => {
  it('has controller-runtime style defaults', () => {
    const f = parseOperatorFlags([], {});
    expect(f).toMatchObject({
      leaderElect: true,
      leaderElectionNamespace: 'istio-operator',
      metricsPort: 8080,
      healthPort: 8081,
      resyncPeriodMs: 600_000,
      sidecarCensusIntervalMs: 60_000,
      namespaceToWatch: undefined,
    });
  });

  it('takes the lease namespace from POD_NAMESPACE unless given', () => {
    expect(parseOperatorFlags([], { POD_NAMESPACE: 'mesh-ops' })).toMatchObject({
      leaderElectionNamespace: 'mesh-ops',
    });
    expect(
      parseOperatorFlags(['--leader-election-namespace', 'x'], { POD_NAMESPACE: 'mesh-ops' }),
    ).toMatchObject({
      leaderElectionNamespace: 'x',
    });
  });

  it('parses every flag', () => {
    const f = parseOperatorFlags([
      '--kubeconfig=/tmp/kc',
      '--namespace-to-watch',
      'istio-system',
      '--leader-elect=false',
      '--metrics-port=0',
      '--health-port',
      '9443',
      '--resync-period=30s',
      '--sidecar-census-interval=5m',
      '--releases-dir=/releases',
      '--default-istio-version=v1.31.0',
      '--helm=/opt/helm',
    ]);
    expect(f).toEqual({
      kubeconfig: '/tmp/kc',
      namespaceToWatch: 'istio-system',
      leaderElect: false,
      leaderElectionNamespace: expect.any(String),
      metricsPort: 0,
      healthPort: 9443,
      resyncPeriodMs: 30_000,
      sidecarCensusIntervalMs: 300_000,
      releases: expect.objectContaining({ releasesDir: '/releases', official: true }),
      defaultIstioVersion: '1.31.0',
      helm: '/opt/helm',
    });
  });

  it('always renders through charts: the release chain, whatever is (not) configured', () => {
    const releases = (argv: string[], env: NodeJS.ProcessEnv = {}) => {
      const f = parseOperatorFlags(argv, env);
      return f === 'help' ? 'help' : f.releases;
    };
    const chainOnly = {
      manifestsDir: undefined,
      releasesDir: undefined,
      mirrorUrl: undefined,
      official: true,
      cacheDir: '/xdg/meshwright/releases',
      timeoutMs: 300_000,
      insecureSkipVerify: false,
    };
    // Nothing configured: cache then the official downloads; --render=charts is the same (a no-op).
    expect(releases([], { XDG_CACHE_HOME: '/xdg' })).toEqual(chainOnly);
    expect(releases(['--render=charts'], { XDG_CACHE_HOME: '/xdg' })).toEqual(chainOnly);
    expect(
      releases([
        '--release-mirror=https://mirror.example/istio',
        '--release-cache=/c',
        '--release-offline',
        '--release-timeout=30',
      ]),
    ).toMatchObject({
      mirrorUrl: 'https://mirror.example/istio',
      cacheDir: '/c',
      official: false,
      timeoutMs: 30_000,
    });
    expect(releases(['--manifests=/m'])).toMatchObject({ manifestsDir: '/m' });
    const env = parseOperatorFlags([], {
      MESHWRIGHT_RELEASES_DIR: '/env',
      MESHWRIGHT_RELEASE_CACHE: '/envcache',
      MESHWRIGHT_HELM: '/h',
    });
    expect(env === 'help' ? undefined : [env.releases, env.helm, env.defaultIstioVersion]).toEqual([
      expect.objectContaining({ releasesDir: '/env', cacheDir: '/envcache' }),
      '/h',
      '1.30.3',
    ]);
    expect(() => parseOperatorFlags(['--manifests=/m', '--releases-dir=/r'])).toThrow(/exclude each other/);
    expect(() => parseOperatorFlags(['--render=helm'])).toThrow(/--render must be charts/);
    expect(() => parseOperatorFlags(['--render=builtin'])).toThrow(/built-in renderer was removed/);
    // The built-in renderer's CRD directory went with it.
    expect(() => parseOperatorFlags(['--crds=/x'])).toThrow(UsageError);
    expect(() => parseOperatorFlags(['--release-mirror=ftp://x'])).toThrow(UsageError);
    expect(() => parseOperatorFlags(['--default-istio-version=latest'])).toThrow(UsageError);
  });

  it('rejects bad values and unknown flags as usage errors', () => {
    expect(() => parseOperatorFlags(['--resync-period=soon'])).toThrow(UsageError);
    expect(() => parseOperatorFlags(['--sidecar-census-interval=10ms'])).toThrow(
      '--sidecar-census-interval must be at least 1s',
    );
    expect(() => parseOperatorFlags(['--metrics-port=70000'])).toThrow(/port number/);
    expect(() => parseOperatorFlags(['--leader-elekt'])).toThrow(UsageError);
  });

  it('reads where the injection webhooks point (off unless given)', () => {
    expect(parseOperatorFlags([], {})).toMatchObject({ injection: undefined });
    expect(
      parseOperatorFlags(
        [
          '--injection-service',
          'meshwright-system/meshwright-webhook',
          '--injection-ca-from',
          'meshwright-system/cert',
        ],
        {},
      ),
    ).toMatchObject({
      injection: {
        target: { service: { namespace: 'meshwright-system', name: 'meshwright-webhook', port: 443 } },
        caFrom: 'meshwright-system/cert',
      },
    });
    expect(parseOperatorFlags(['--injection-url=https://127.0.0.1:9443'], {})).toMatchObject({
      injection: { target: { url: 'https://127.0.0.1:9443' } },
    });
    expect(() => parseOperatorFlags(['--injection-service=webhook'], {})).toThrow(
      new UsageError('--injection-service: "webhook" must be namespace/name[:port]'),
    );
    expect(() => parseOperatorFlags(['--injection-ca-from=a/b'], {})).toThrow(
      '--injection-ca-from needs --injection-service or --injection-url',
    );
    expect(() => parseOperatorFlags(['--injection-url=https://x', '--injection-ca-from=cert'], {})).toThrow(
      '--injection-ca-from: "cert" must be namespace/certificate',
    );
  });

  it('answers --help', () => {
    expect(parseOperatorFlags(['--help'])).toBe('help');
  });
});
