// The two ConfigMaps a cluster-mode webhook reads for the default revision, as the operator renders them:
// `istio` (mesh config) and `istio-sidecar-injector` (values JSON and injection policy).
import { coreApi } from './cluster';

export async function seedInjectorConfigMaps(namespace: string, valuesJson: string): Promise<void> {
  const core = coreApi();
  await core.createNamespacedConfigMap({
    namespace,
    body: { metadata: { name: 'istio' }, data: { mesh: 'trustDomain: cluster.local\n' } },
  });
  await core.createNamespacedConfigMap({
    namespace,
    body: {
      metadata: { name: 'istio-sidecar-injector' },
      data: { values: valuesJson, config: 'policy: enabled\n' },
    },
  });
}
