// The injection config the operator's render reads from its own rendered ConfigMaps: the revision's injector
// and mesh ConfigMaps in the control-plane namespace only, and a change key that moves with their data.
import type { KubernetesObject } from '@kubernetes/client-node';
import { renderedInjection } from '../../../../operator/render/charts/controller-render';

const configMap = (name: string, data: Record<string, string>, namespace?: string): KubernetesObject =>
  ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, ...(namespace !== undefined ? { namespace } : {}) },
    data,
  }) as KubernetesObject;

const injector = (hub: string) => ({
  values: JSON.stringify({ global: { hub } }),
  config: 'policy: enabled\n',
});

describe('renderedInjection', () => {
  it('is undefined without the revision’s injector ConfigMap (Pilot disabled)', () => {
    expect(
      renderedInjection({
        revision: 'blue',
        values: { global: { istioNamespace: 'istio-system' } },
        // The unrevisioned injector is another revision's.
        components: [
          { namespace: 'istio-system', objects: [configMap('istio-sidecar-injector', injector('a'))] },
        ],
      }),
    ).toBeUndefined();
  });

  it('reads the revision’s ConfigMaps in the control-plane namespace, not same-named ones elsewhere', () => {
    const r = renderedInjection({
      revision: 'blue',
      values: { global: { istioNamespace: 'cp' } },
      components: [
        {
          namespace: 'other',
          objects: [configMap('istio-sidecar-injector-blue', injector('wrong.example'))],
        },
        {
          // No metadata.namespace: the component's namespace holds it.
          namespace: 'cp',
          objects: [
            configMap('istio-sidecar-injector-blue', injector('right.example')),
            configMap('istio-blue', {
              mesh: 'defaultConfig:\n  discoveryAddress: istiod-blue.cp.svc:15012\n',
            }),
          ],
        },
      ],
    });
    expect(r?.injection.revision).toBe('blue');
    expect(r?.injection.values.global?.hub).toBe('right.example');
    expect(r?.injection.meshConfig.defaultConfig?.discoveryAddress).toBe('istiod-blue.cp.svc:15012');
  });

  it('names the default revision and keys on the ConfigMaps’ data', () => {
    const at = (hub: string, mesh: string) =>
      renderedInjection({
        revision: '',
        values: { global: {} },
        components: [
          {
            namespace: 'ignored',
            objects: [
              configMap('istio-sidecar-injector', injector(hub), 'istio-system'),
              configMap('istio', { mesh }, 'istio-system'),
            ],
          },
        ],
      });
    const a = at('a', 'enablePrometheusMerge: true\n');
    expect(a?.injection.revision).toBe('default');
    expect(at('a', 'enablePrometheusMerge: true\n')?.injectionKey).toBe(a?.injectionKey);
    // A digest, not the ConfigMaps' text: the census holds it per IstioOperator.
    expect(a?.injectionKey).toMatch(/^[0-9a-f]{64}$/);
    expect(at('b', 'enablePrometheusMerge: true\n')?.injectionKey).not.toBe(a?.injectionKey);
    expect(at('a', 'enablePrometheusMerge: false\n')?.injectionKey).not.toBe(a?.injectionKey);
  });
});
