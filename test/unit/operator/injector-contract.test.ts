// Contract with the injection webhook: the ConfigMaps Pilot renders (the operator's chart render) must build the injection config the
// webhook uses (inject/config.ts reads `values`, `config` and the mesh ConfigMap's `mesh`).
import type { V1ConfigMap } from '@kubernetes/client-node';
import { injectionConfigFromConfigMaps } from '../../../inject/config';
import { find, operatorRender } from './charts/operator-render';

jest.setTimeout(120_000);

async function injectionConfig(spec: Record<string, unknown>) {
  const m = await operatorRender(spec);
  const objects = m.components.flatMap((c) => c.objects);
  const suffix = m.sidecar?.revision ? `-${m.sidecar.revision}` : '';
  const injector = find(objects, 'ConfigMap', `istio-sidecar-injector${suffix}`) as V1ConfigMap;
  const mesh = find(objects, 'ConfigMap', `istio${suffix}`) as V1ConfigMap;
  return injectionConfigFromConfigMaps(injector.data!.values, mesh.data!.mesh, {
    injectorConfigYaml: injector.data!.config,
  });
}

describe('rendered injector ConfigMaps', () => {
  it('build the default injection config', async () => {
    const cfg = await injectionConfig({ profile: 'minimal' });
    expect(cfg.revision).toBe('default');
    expect(cfg.values.pilot?.cni?.enabled).toBe(false);
    expect(cfg.values.global?.hub).toBe('docker.io/istio');
    expect(cfg.meshConfig.defaultConfig).toMatchObject({ discoveryAddress: 'istiod.istio-system.svc:15012' });
  });

  it('carry the CNI switch, revision, policy, selectors and meshConfig', async () => {
    const cfg = await injectionConfig({
      profile: 'minimal',
      revision: 'canary',
      components: { cni: { enabled: true } },
      meshConfig: { defaultConfig: { holdApplicationUntilProxyStarts: true } },
      values: {
        global: { proxy: { autoInject: 'disabled' } },
        sidecarInjectorWebhook: { neverInjectSelector: [{ matchLabels: { skip: 'me' } }] },
      },
    });
    expect(cfg.revision).toBe('canary');
    expect(cfg.values.pilot?.cni?.enabled).toBe(true);
    expect(cfg.values.global?.proxy?.autoInject).toBe('disabled');
    expect(cfg.values.sidecarInjectorWebhook?.neverInjectSelector).toEqual([{ matchLabels: { skip: 'me' } }]);
    expect(cfg.meshConfig.defaultConfig).toMatchObject({
      holdApplicationUntilProxyStarts: true,
      discoveryAddress: 'istiod-canary.istio-system.svc:15012',
    });
  });
});
