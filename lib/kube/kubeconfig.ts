// client-node's KubeConfig (the webhook and the CLI's other commands), from the same source as the lean
// client's connection: `kubeconfigSource` decides (an explicit file, $KUBECONFIG, in-cluster, ~/.kube/config).
import { KubeConfig } from '@kubernetes/client-node';
import { kubeconfigSource } from './config-loader';

export function loadKubeConfig(file?: string): KubeConfig {
  const kc = new KubeConfig();
  const src = kubeconfigSource(file);
  if (src.kind === 'in-cluster') kc.loadFromCluster();
  // A $KUBECONFIG list is merged by client-node itself (it reads the variable).
  else if (src.fromEnv && src.files.length > 1) kc.loadFromDefault();
  else kc.loadFromFile(src.files[0]);
  if (!kc.getCurrentCluster())
    throw new Error('no Kubernetes cluster configured (use --kubeconfig or KUBECONFIG)');
  return kc;
}
