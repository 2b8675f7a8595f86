// Contract with the injection webhook: the ConfigMaps Pilot renders must build the injection config the
// webhook uses (webhook/inject/config.ts reads `values`, `config` and the mesh ConfigMap's `mesh`).
import type { V1ConfigMap } from '@kubernetes/client-node';
import type { IstioOperatorSpec } from '../../../operator/api/types';
import { render } from '../../../operator/render';
import { injectionConfigFromConfigMaps } from '../../../webhook/inject/config';
import { find } from './golden-helpers';

function injectionConfig(spec: IstioOperatorSpec) {
  const m = render({ apiVersion: 'install.istio.io/v1alpha1', kind: 'IstioOperator', spec }, { crds: [] });
  const objects = m.components.flatMap((c) => c.objects);
  const suffix = m.revision ? `-${m.revision}` : '';
  const injector = find(objects, 'ConfigMap', `istio-sidecar-injector${suffix}`) as V1ConfigMap;
  const mesh = find(objects, 'ConfigMap', `istio${suffix}`) as V1ConfigMap;
  return injectionConfigFromConfigMaps(injector.data!.values, mesh.data!.mesh, {
    injectorConfigYaml: injector.data!.config,
  });
}

describe('rendered injector ConfigMaps', () => {
  it('build the default injection config', () => {
    const cfg = injectionConfig({ profile: 'minimal' });
    expect(cfg.revision).toBe('default');
    expect(cfg.values.pilot?.cni?.enabled).toBe(false);
    expect(cfg.values.global?.hub).toBe('docker.io/istio');
    expect(cfg.meshConfig.defaultConfig).toMatchObject({ discoveryAddress: 'istiod.istio-system.svc:15012' });
  });

  it('carry the CNI switch, revision, policy, selectors and meshConfig', () => {
    const cfg = injectionConfig({
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
