// PROXY_CONFIG is cleaned of default-valued fields, as istiod's cleanProxyConfig does.
import type { V1ConfigMap } from '@kubernetes/client-node';
import { defaultProxyConfig, type ProxyConfig } from '../../../lib/istio/mesh';
import { find, operatorObjects } from '../operator/charts/operator-render';
import { injectPod } from '../../../inject';
import { injectionConfigFromConfigMaps } from '../../../inject/config';
import { cleanProxyConfig, proxyConfigJson } from '../../../inject/proxy-config-json';
import { config } from './fixtures';

const CLEANED = [
  'configPath',
  'binaryPath',
  'serviceCluster',
  'drainDuration',
  'terminationDrainDuration',
  'discoveryAddress',
  'proxyAdminPort',
  'controlPlaneAuthPolicy',
  'statNameLength',
  'statusPort',
] as const;

describe('cleanProxyConfig', () => {
  const d = defaultProxyConfig();
  it.each(CLEANED)('drops %s when it equals the default, keeps it otherwise', (k) => {
    expect(proxyConfigJson({ [k]: d[k] })).toBe('{}');
    const other =
      typeof d[k] === 'number' ? Number(d[k]) + 1 : k.endsWith('Duration') ? '61s' : `${String(d[k])}x`;
    expect(JSON.parse(proxyConfigJson({ [k]: other }))).toEqual({ [k]: other });
  });

  it('compares durations as durations and drops an empty proxyMetadata', () => {
    expect(proxyConfigJson({ drainDuration: '45.000s', terminationDrainDuration: '5.0s' })).toBe('{}');
    expect(proxyConfigJson({ proxyMetadata: {} })).toBe('{}');
    expect(proxyConfigJson({ proxyMetadata: { B: '2', A: '1' } })).toBe(
      '{"proxyMetadata":{"A":"1","B":"2"}}',
    );
  });

  it('keeps fields istiod does not clean, in proto order; tracing keys in declaration order', () => {
    const json = proxyConfigJson({
      holdApplicationUntilProxyStarts: true,
      tracing: { sampling: 10, customTags: { b: {}, a: {} }, zipkin: { address: 'z:9411' } },
      concurrency: 2,
    });
    expect(json).toBe(
      '{"concurrency":2,"tracing":{"zipkin":{"address":"z:9411"},"customTags":{"a":{},"b":{}},"sampling":10},' +
        '"holdApplicationUntilProxyStarts":true}',
    );
  });

  it('prints integers given as numeric strings as numbers', () => {
    // As read from YAML: protobuf JSON accepts numeric strings for integer fields.
    const asRead = (o: Record<string, string>) => o as unknown as ProxyConfig;
    expect(proxyConfigJson(asRead({ statusPort: '15021', concurrency: '2' }))).toBe(
      '{"concurrency":2,"statusPort":15021}',
    );
    expect(proxyConfigJson(asRead({ statusPort: '15020' }))).toBe('{}');
  });

  it('does not modify its input', () => {
    const pc = { discoveryAddress: d.discoveryAddress };
    cleanProxyConfig(pc);
    expect(pc).toEqual({ discoveryAddress: d.discoveryAddress });
  });
});

describe('PROXY_CONFIG of an installation', () => {
  const proxyConfigEnv = (cfg: ReturnType<typeof config>) => {
    const out = injectPod(
      {
        pod: { metadata: { name: 'p' }, spec: { containers: [{ name: 'a', image: 'a' }] } },
        namespace: 'default',
        admission: true,
      },
      cfg,
    );
    if (out.kind !== 'injected') throw new Error(out.kind);
    const proxy = [...(out.pod.spec?.initContainers ?? []), ...(out.pod.spec?.containers ?? [])].find(
      (c) => c.name === 'istio-proxy',
    );
    return proxy?.env?.find((e) => e.name === 'PROXY_CONFIG')?.value;
  };

  it('is {} for the default mesh config the operator writes', async () => {
    const objects = await operatorObjects({ profile: 'minimal' });
    const injector = find(objects, 'ConfigMap', 'istio-sidecar-injector') as V1ConfigMap;
    const mesh = find(objects, 'ConfigMap', 'istio') as V1ConfigMap;
    const cfg = injectionConfigFromConfigMaps(injector.data!.values, mesh.data!.mesh, {
      injectorConfigYaml: injector.data!.config,
    });
    expect(cfg.meshConfig.defaultConfig).toMatchObject({ discoveryAddress: 'istiod.istio-system.svc:15012' });
    expect(proxyConfigEnv(cfg)).toBe('{}\n');
  });

  it('carries a non-default mesh setting', () => {
    const cfg = config([
      { meshConfig: { defaultConfig: { discoveryAddress: 'istiod-canary.istio-system.svc:15012' } } },
    ]);
    expect(proxyConfigEnv(cfg)).toBe('{"discoveryAddress":"istiod-canary.istio-system.svc:15012"}\n');
  });
});
