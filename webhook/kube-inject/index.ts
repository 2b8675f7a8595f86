// kube-inject: inject sidecars into Kubernetes YAML streams (pure; the CLI in cli/kube-inject.ts is the shell).
export { kubeInject, KubeInjectError, type KubeInjectOptions, type KubeInjectResult } from './transform';
export { injectConfigOverlay, meshOverlay, valuesOverlay, type InjectConfigOverlay } from './config-files';
export {
  clusterConfig,
  injectorConfigMapName,
  meshConfigMapName,
  type ClusterConfig,
  type ClusterConfigRequest,
  type ConfigMapReader,
} from './cluster-config';
export { asWorkload, isList, type Workload, type WorkloadKind } from './workloads';
