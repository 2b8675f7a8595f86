// Kubeconfig loading: an explicit file, then $KUBECONFIG, then in-cluster service account, then ~/.kube/config.
import { KubeConfig } from '@kubernetes/client-node';
import { existsSync } from 'fs';

export function loadKubeConfig(file?: string): KubeConfig {
  const kc = new KubeConfig();
  if (file) {
    if (!existsSync(file)) throw new Error(`kubeconfig ${file} does not exist`);
    kc.loadFromFile(file);
  } else if (process.env.KUBECONFIG) {
    kc.loadFromDefault();
  } else if (process.env.KUBERNETES_SERVICE_HOST) {
    kc.loadFromCluster();
  } else {
    kc.loadFromDefault();
  }
  if (!kc.getCurrentCluster())
    throw new Error('no Kubernetes cluster configured (use --kubeconfig or KUBECONFIG)');
  return kc;
}
