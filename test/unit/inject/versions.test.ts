// The version table: which release's behaviour a revision gets, and what each flag changes in a pod.
import type { V1Pod } from '@kubernetes/client-node';
import { buildFromConfigMaps } from '../../../webhook/config/configmaps';
import { injectPod } from '../../../inject';
import { injectionConfigFromConfigMaps } from '../../../inject/config';
import {
  BUILT_FOR_VERSION,
  KNOWN_VERSIONS,
  parseMinor,
  resolveVersion,
  versionFromLabels,
  versionNotice,
} from '../../../inject/versions';
import { config } from './fixtures';

function pod(meta: V1Pod['metadata'] = {}): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', ...meta },
    spec: { containers: [{ name: 'app', image: 'app', ports: [{ containerPort: 80 }] }] },
  };
}

function inject(p: V1Pod, istioVersion: string, opts: { compliancePolicy?: string; values?: object } = {}) {
  const cfg = config(opts.values ? [{ values: opts.values as Record<string, unknown> }] : [], {
    istioVersion,
    compliancePolicy: opts.compliancePolicy,
  });
  return injectPod({ pod: p, namespace: 'default', admission: true }, cfg);
}

function injected(p: V1Pod, v: string, opts: { compliancePolicy?: string; values?: object } = {}): V1Pod {
  const out = inject(p, v, opts);
  if (out.kind !== 'injected') throw new Error(`not injected: ${JSON.stringify(out)}`);
  return out.pod;
}

const proxyOf = (p: V1Pod) =>
  [...(p.spec?.initContainers ?? []), ...(p.spec?.containers ?? [])].find((c) => c.name === 'istio-proxy');
const envOf = (p: V1Pod, name: string) => proxyOf(p)?.env?.find((e) => e.name === name)?.value;

describe('resolveVersion', () => {
  it('maps every known line and its patch/pre-release versions exactly', () => {
    for (const b of KNOWN_VERSIONS) {
      for (const v of [b.line, `${b.line}.0`, `${b.line}.7`, `v${b.line}.1`, `${b.line}.0-rc.0`]) {
        const r = resolveVersion(v);
        expect([v, r.line, r.exact, r.note]).toEqual([v, b.line, true, '']);
      }
    }
  });

  it('uses the nearest known line for unknown versions, and says so', () => {
    const newest = KNOWN_VERSIONS[KNOWN_VERSIONS.length - 1].line;
    const r = resolveVersion('1.32.0');
    expect(r).toMatchObject({ declared: '1.32.0', line: newest, exact: false });
    expect(r.note).toContain('1.32.0');
    expect(r.note).toContain(newest);
    expect(resolveVersion('2.0.0').line).toBe(newest);
    expect(resolveVersion('1.20.1')).toMatchObject({ line: KNOWN_VERSIONS[0].line, exact: false });
  });

  it('without a (parsable) version uses the version this build targets, not exact', () => {
    const built = parseMinor(BUILT_FOR_VERSION)!.join('.');
    for (const v of [undefined, '', '  ', 'latest', 'master']) {
      const r = resolveVersion(v);
      expect([r.line, r.exact]).toEqual([built, false]);
      expect(r.note).not.toBe('');
    }
  });
});

describe('versionFromLabels', () => {
  it('reads app.kubernetes.io/version first, then helm.sh/chart, then operator.istio.io/version', () => {
    expect(
      versionFromLabels({ 'app.kubernetes.io/version': '1.31.0', 'helm.sh/chart': 'istiod-1.30.3' }),
    ).toBe('1.31.0');
    expect(versionFromLabels({ 'helm.sh/chart': 'istiod-1.31.0-rc.0' })).toBe('1.31.0-rc.0');
    expect(versionFromLabels({ 'helm.sh/chart': 'istio-discovery-1.30.3' })).toBe('1.30.3');
    expect(versionFromLabels({ 'operator.istio.io/version': '1.30.1' })).toBe('1.30.1');
    expect(versionFromLabels({ 'istio.io/rev': 'canary' })).toBeUndefined();
    expect(versionFromLabels(undefined)).toBeUndefined();
  });
});

describe('1.30 vs 1.31 behaviour', () => {
  it('istio-init takes global.proxy_init.image only from 1.31', () => {
    const values = { global: { proxy: { image: 'proxyX' }, proxy_init: { image: 'initY' } } };
    const init = (v: string) =>
      injected(pod(), v, { values }).spec?.initContainers?.find((c) => c.name === 'istio-init')?.image;
    expect(init('1.30.3')).toBe('registry.istio.io/testing/proxyX:latest');
    expect(init('1.31.0')).toBe('registry.istio.io/testing/initY:latest');
    // A full reference in the value is used verbatim in both.
    const full = { global: { proxy_init: { image: 'example.com/init:1' } } };
    for (const v of ['1.30.3', '1.31.0']) {
      const p = injected(pod(), v, { values: full });
      expect(p.spec?.initContainers?.find((c) => c.name === 'istio-init')?.image).toBe('example.com/init:1');
    }
  });

  it.each([
    ['-_.svc.-_', 'svc', '-_.svc.-_'],
    ['._svc-', 'svc', '._svc'],
    ['a'.repeat(62) + '-b', 'a'.repeat(62), 'a'.repeat(62)],
    ['svc', 'svc', 'svc'],
  ])('canonical name of app=%j: 1.31 %j, 1.30 %j', (app, want131, want130) => {
    const name = (v: string) =>
      injected(pod({ labels: { app } }), v).metadata?.labels?.['service.istio.io/canonical-name'];
    expect(name('1.31.0')).toBe(want131);
    expect(name('1.30.3')).toBe(want130);
  });

  it('COMPLIANCE_POLICY reaches the proxy in both; GODEBUG=fips140=only only from 1.31', () => {
    const p130 = injected(pod(), '1.30.3', { compliancePolicy: 'fips-140-3' });
    const p131 = injected(pod(), '1.31.0', { compliancePolicy: 'fips-140-3' });
    expect(envOf(p130, 'COMPLIANCE_POLICY')).toBe('fips-140-3');
    expect(envOf(p130, 'GODEBUG')).toBeUndefined();
    expect(envOf(p131, 'COMPLIANCE_POLICY')).toBe('fips-140-3');
    expect(envOf(p131, 'GODEBUG')).toBe('fips140=only');
    // Right after GOMAXPROCS, as the template writes them.
    const names = proxyOf(p131)!.env!.map((e) => e.name);
    expect(names.slice(names.indexOf('GOMAXPROCS'), names.indexOf('GOMAXPROCS') + 3)).toEqual([
      'GOMAXPROCS',
      'COMPLIANCE_POLICY',
      'GODEBUG',
    ]);
    expect(envOf(injected(pod(), '1.31.0', { compliancePolicy: 'other' }), 'GODEBUG')).toBeUndefined();
    expect(envOf(injected(pod(), '1.31.0'), 'COMPLIANCE_POLICY')).toBeUndefined();
  });

  it('scrape-targets feed ISTIO_PROMETHEUS_ANNOTATIONS from 1.31 (first target as port/path)', () => {
    const annotations = { 'prometheus.istio.io/scrape-targets': ' 8080:/m , 9100 ,, 9200:' };
    const p131 = injected(pod({ annotations }), '1.31.0');
    expect(JSON.parse(envOf(p131, 'ISTIO_PROMETHEUS_ANNOTATIONS')!)).toEqual({
      scrape: '',
      path: '/m',
      port: '8080',
      targets: [
        { port: '8080', path: '/m' },
        { port: '9100', path: '/metrics' },
        { port: '9200', path: '/metrics' },
      ],
    });
    expect(p131.metadata?.annotations?.['prometheus.istio.io/scrape-targets']).toBeUndefined();
    const p130 = injected(pod({ annotations }), '1.30.3');
    expect(envOf(p130, 'ISTIO_PROMETHEUS_ANNOTATIONS')).toBeUndefined();
    expect(p130.metadata?.annotations?.['prometheus.istio.io/scrape-targets']).toBe(
      annotations['prometheus.istio.io/scrape-targets'],
    );
  });

  it.each([
    'abc',
    '0',
    '70000',
    '15020',
    '15000',
    '15001',
    '15004',
    '15006',
    '15008',
    '15021',
    '15053',
    '15090',
  ])(
    'prometheus.io/port %j is rejected from 1.31 (but the merged endpoint itself) and passed on by 1.30',
    (port) => {
      const p = pod({ annotations: { 'prometheus.io/port': port, 'prometheus.io/scrape': 'true' } });
      const out131 = inject(p, '1.31.0');
      // 15020 already is the merged endpoint: taken as a previous injection's, left alone in both.
      if (port === '15020') {
        expect(out131.kind).toBe('injected');
        return;
      }
      expect(out131).toMatchObject({ kind: 'rejected' });
      expect(out131.kind === 'rejected' && out131.message).toContain(`"${port}"`);
      expect(inject(p, '1.30.3').kind).toBe('injected');
    },
  );

  it('a reserved or empty port in scrape-targets is rejected from 1.31', () => {
    for (const t of ['15090:/x', ':/metrics', '8080,15000']) {
      const out = inject(pod({ annotations: { 'prometheus.istio.io/scrape-targets': t } }), '1.31.0');
      expect([t, out.kind]).toEqual([t, 'rejected']);
    }
  });

  it('prometheus.istio.io/secure-port from ENVOY_SECURE_MERGED_METRICS_PORT only from 1.31', () => {
    const annotations = {
      'proxy.istio.io/config': 'proxyMetadata: {ENVOY_SECURE_MERGED_METRICS_PORT: "15091"}',
    };
    expect(
      injected(pod({ annotations }), '1.31.0').metadata?.annotations?.['prometheus.istio.io/secure-port'],
    ).toBe('15091');
    expect(
      injected(pod({ annotations }), '1.30.3').metadata?.annotations?.['prometheus.istio.io/secure-port'],
    ).toBeUndefined();
  });

  it('an unknown newer version injects as the newest known line', () => {
    const values = { global: { proxy_init: { image: 'initY' } } };
    const p = injected(pod(), '1.32.1', { values });
    expect(p.spec?.initContainers?.find((c) => c.name === 'istio-init')?.image).toContain('/initY:');
  });
});

describe('a revision declares its version on its injector ConfigMap', () => {
  const values = JSON.stringify({ global: { proxy_init: { image: 'initY' } } });
  const cm = (labels: Record<string, string>) => ({
    metadata: { name: 'istio-sidecar-injector', labels },
    data: { values },
  });

  it('buildFromConfigMaps reads the version labels into cfg.version', () => {
    const exact = buildFromConfigMaps({
      revision: 'default',
      injector: cm({ 'app.kubernetes.io/version': '1.31.0' }),
      nativeSidecars: 'disabled',
    });
    expect(exact.version).toMatchObject({ declared: '1.31.0', line: '1.31', exact: true });
    expect(versionNotice('default', exact.version)).toBeUndefined();

    const newer = buildFromConfigMaps({
      revision: 'canary',
      injector: cm({ 'helm.sh/chart': 'istiod-1.32.0' }),
      nativeSidecars: 'disabled',
    });
    expect(newer.version).toMatchObject({ declared: '1.32.0', line: '1.31', exact: false });
    expect(versionNotice('canary', newer.version)).toMatch(/^revision canary: .*1\.32\.0.*1\.31/);

    const none = buildFromConfigMaps({ revision: 'x', injector: cm({}), nativeSidecars: 'disabled' });
    expect(none.version?.exact).toBe(false);
    expect(none.version?.declared).toBe('');
  });

  it('injectionConfigFromConfigMaps takes the version and compliance policy as options', () => {
    const cfg = injectionConfigFromConfigMaps(values, '', {
      istioVersion: '1.31.0-rc.0',
      compliancePolicy: 'fips-140-3',
    });
    const out = injectPod({ pod: pod(), namespace: 'default', admission: true }, cfg);
    expect(out.kind).toBe('injected');
    if (out.kind !== 'injected') return;
    expect(out.pod.spec?.initContainers?.find((c) => c.name === 'istio-init')?.image).toContain('/initY:');
    expect(envOf(out.pod, 'GODEBUG')).toBe('fips140=only');
  });
});
