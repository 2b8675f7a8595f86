import { defaultMeshConfig } from '../../../lib/istio/mesh';
import { defaultValues, RELEASE_HUB, RELEASE_TAG } from '../../../lib/istio/values';
import { buildInjectionConfig, injectionConfigFromConfigMaps } from '../../../inject/config';

describe('defaults', () => {
  it('are the chart release defaults, fresh on every call', () => {
    const v = defaultValues();
    expect(v.global.hub).toBe(RELEASE_HUB);
    expect(v.global.tag).toBe(RELEASE_TAG);
    expect(v.global.proxy.statusPort).toBe(15020);
    expect(v.global.proxy.resources).toEqual({
      requests: { cpu: '100m', memory: '128Mi' },
      limits: { cpu: '2000m', memory: '1024Mi' },
    });
    v.global.proxy.statusPort = 1;
    expect(defaultValues().global.proxy.statusPort).toBe(15020);
    expect(defaultMeshConfig().trustDomain).toBe('cluster.local');
  });
});

describe('buildInjectionConfig', () => {
  it('applies overlays in order, later winning', () => {
    const cfg = buildInjectionConfig({
      overlays: [
        { values: { global: { proxy: { logLevel: 'debug', statusPort: 1 } } } },
        { values: { global: { proxy: { statusPort: 2 } } }, hub: 'example.com/istio', tag: 'x' },
      ],
    });
    expect(cfg.values.global?.proxy?.logLevel).toBe('debug');
    expect(cfg.values.global?.proxy?.statusPort).toBe(2);
    expect(cfg.values.global?.hub).toBe('example.com/istio');
    expect(cfg.values.global?.tag).toBe('x');
    expect(cfg.nativeSidecars).toBe('auto');
    expect(cfg.revision).toBe('default');
  });

  it('maps components.cni.enabled and values.cni.provider onto pilot.cni', () => {
    const cfg = buildInjectionConfig({
      overlays: [{ components: { cni: { enabled: true } }, values: { cni: { provider: 'multus' } } }],
    });
    expect(cfg.values.pilot).toMatchObject({ cni: { enabled: true, provider: 'multus' } });
    const off = buildInjectionConfig({
      overlays: [{ components: { cni: { enabled: true } } }, { values: { istio_cni: { enabled: false } } }],
    });
    expect(off.values.pilot).toMatchObject({ cni: { enabled: false } });
  });

  it('deletes a default with null (resources) and merges mesh config', () => {
    const cfg = buildInjectionConfig({
      overlays: [
        { values: { global: { proxy: { resources: { limits: { cpu: null } } } } } },
        { meshConfig: { defaultConfig: { holdApplicationUntilProxyStarts: true } } },
      ],
    });
    expect(cfg.values.global?.proxy?.resources).toEqual({
      requests: { cpu: '100m', memory: '128Mi' },
      limits: { memory: '1024Mi' },
    });
    expect(cfg.meshConfig.defaultConfig).toEqual({ holdApplicationUntilProxyStarts: true });
    expect(cfg.meshConfig.trustDomain).toBe('cluster.local');
  });

  it('serves a revision: istiod-<rev> addresses and the revision name', () => {
    const cfg = buildInjectionConfig({ overlays: [], revision: 'canary' });
    expect(cfg.revision).toBe('canary');
    expect(cfg.values.revision).toBe('canary');
  });
});

describe('injectionConfigFromConfigMaps', () => {
  it('layers the ConfigMaps on the defaults', () => {
    const cfg = injectionConfigFromConfigMaps(
      JSON.stringify({ global: { hub: 'my.reg/istio', tag: '1.30.3' }, revision: '' }),
      'trustDomain: example.org\ndefaultConfig:\n  discoveryAddress: istiod.istio-system.svc:15012\n',
      {
        injectorConfigYaml: 'policy: disabled\nneverInjectSelector:\n- matchLabels: {a: b}\n',
        nodeKubeletVersions: ['v1.34.0'],
      },
    );
    expect(cfg.values.global?.hub).toBe('my.reg/istio');
    expect(cfg.values.global?.proxy?.image).toBe('proxyv2');
    expect(cfg.values.global?.proxy?.autoInject).toBe('disabled');
    expect(cfg.values.sidecarInjectorWebhook?.neverInjectSelector).toEqual([{ matchLabels: { a: 'b' } }]);
    expect(cfg.meshConfig.trustDomain).toBe('example.org');
    expect(cfg.meshConfig.defaultConfig).toEqual({ discoveryAddress: 'istiod.istio-system.svc:15012' });
    expect(cfg.revision).toBe('default');
    expect(cfg.nodeKubeletVersions).toEqual(['v1.34.0']);
  });

  it('reports unparsable ConfigMaps', () => {
    expect(() => injectionConfigFromConfigMaps('{', '')).toThrow(/injector values/);
    expect(() => injectionConfigFromConfigMaps('{}', '- a list')).toThrow(/mesh config/);
  });
});
