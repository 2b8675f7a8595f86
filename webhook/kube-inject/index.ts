// kube-inject: inject sidecars into Kubernetes YAML streams (pure; the CLI in cli/kube-inject.ts is the shell).
export { kubeInject, KubeInjectError, type KubeInjectOptions, type KubeInjectResult } from './transform';
export { meshOverlay, valuesOverlay } from './config-files';
export { asWorkload, isList, type Workload, type WorkloadKind } from './workloads';
