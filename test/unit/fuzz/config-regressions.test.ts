// Regression for the configuration bug the config fuzz suite found (docs/reliability.md): an injector
// ConfigMap that parses but holds a value of the wrong type was served, and every injection threw.
import type { V1ConfigMap } from '@kubernetes/client-node';
import { buildFromConfigMaps } from '../../../webhook/config/configmaps';
import { ConfigStore } from '../../../webhook/config/store';
import { buildInjectionConfig, injectPod } from '../../../inject';

const NS = 'istio-system';
const values = JSON.stringify(buildInjectionConfig({ overlays: [] }).values);

function injector(config: string, cpu = '100m'): V1ConfigMap {
  const v = JSON.parse(values) as { global: { proxy: { resources?: unknown } } };
  v.global.proxy.resources = { requests: { cpu, memory: '64Mi' } };
  return {
    metadata: { name: 'istio-sidecar-injector', namespace: NS },
    data: { values: JSON.stringify(v), config },
  };
}

describe('configuration regressions found by fuzzing', () => {
  it.each([
    ['alwaysInjectSelector: {}', 'policy: enabled\nalwaysInjectSelector: {}\n'],
    ['neverInjectSelector: x', 'policy: enabled\nneverInjectSelector: x\n'],
  ])(
    'a ConfigMap with %s is refused and the last good configuration kept (was: served, every pod denied)',
    (_name, bad) => {
      const errors: string[] = [];
      const store = new ConfigStore(NS, buildFromConfigMaps, 'auto', () => undefined, {
        onError: (_rev, message) => errors.push(message),
      });
      store.markSynced();
      store.upsertConfigMap(injector('policy: enabled\n', '123m'));
      store.upsertConfigMap(injector(bad, '456m'));
      expect(errors).toEqual([expect.stringMatching(/cannot inject a test pod/)]);
      const found = store.lookup('default');
      expect('config' in found).toBe(true);
      if (!('config' in found)) return;
      const o = injectPod(
        {
          pod: {
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: { name: 'p' },
            spec: { containers: [{ name: 'a', image: 'a' }] },
          },
          namespace: 'app',
          admission: true,
        },
        found.config,
      );
      expect(o.kind).toBe('injected');
      if (o.kind !== 'injected') return;
      const proxy = [...(o.pod.spec?.initContainers ?? []), ...(o.pod.spec?.containers ?? [])].find(
        (c) => c.name === 'istio-proxy',
      );
      expect(proxy?.resources?.requests?.cpu).toBe('123m');
    },
  );

  it('a revision whose first ConfigMap is unusable has no configuration, with the reason', () => {
    const store = new ConfigStore(NS, buildFromConfigMaps, 'auto');
    store.markSynced();
    store.upsertConfigMap(injector('alwaysInjectSelector: {}\n'));
    const found = store.lookup('default');
    expect(found).toEqual({
      error: expect.stringMatching(/no usable injection configuration.*cannot inject a test pod/),
    });
  });
});
