// The (group, version, kind) set the renderer can produce: what the reconcile controller lists for pruning
// and what its ClusterRole must allow.
export interface GroupVersionKind {
  group: string;
  version: string;
  /** `group/version` (or `version` for the core group), as in the objects' apiVersion. */
  apiVersion: string;
  kind: string;
  /** Plural resource name, for RBAC rules and list calls. */
  plural: string;
  namespaced: boolean;
}

const gvk = (
  group: string,
  version: string,
  kind: string,
  plural: string,
  namespaced: boolean,
): GroupVersionKind => ({
  group,
  version,
  apiVersion: group ? `${group}/${version}` : version,
  kind,
  plural,
  namespaced,
});

export const MANAGED_KINDS: readonly GroupVersionKind[] = [
  gvk('apiextensions.k8s.io', 'v1', 'CustomResourceDefinition', 'customresourcedefinitions', false),
  gvk('', 'v1', 'ServiceAccount', 'serviceaccounts', true),
  gvk('rbac.authorization.k8s.io', 'v1', 'ClusterRole', 'clusterroles', false),
  gvk('rbac.authorization.k8s.io', 'v1', 'ClusterRoleBinding', 'clusterrolebindings', false),
  gvk('rbac.authorization.k8s.io', 'v1', 'Role', 'roles', true),
  gvk('rbac.authorization.k8s.io', 'v1', 'RoleBinding', 'rolebindings', true),
  gvk('', 'v1', 'ConfigMap', 'configmaps', true),
  gvk('', 'v1', 'Service', 'services', true),
  gvk('apps', 'v1', 'Deployment', 'deployments', true),
  gvk('apps', 'v1', 'DaemonSet', 'daemonsets', true),
  gvk('autoscaling', 'v2', 'HorizontalPodAutoscaler', 'horizontalpodautoscalers', true),
  gvk('policy', 'v1', 'PodDisruptionBudget', 'poddisruptionbudgets', true),
  gvk(
    'admissionregistration.k8s.io',
    'v1',
    'ValidatingWebhookConfiguration',
    'validatingwebhookconfigurations',
    false,
  ),
  // The stable profile's policy for the stable API channel (istiod and base charts).
  gvk(
    'admissionregistration.k8s.io',
    'v1',
    'ValidatingAdmissionPolicy',
    'validatingadmissionpolicies',
    false,
  ),
  gvk(
    'admissionregistration.k8s.io',
    'v1',
    'ValidatingAdmissionPolicyBinding',
    'validatingadmissionpolicybindings',
    false,
  ),
  // The openshift profiles' CNI with Multus: a CRD the cluster may not serve (the reconciler says so).
  gvk('k8s.cni.cncf.io', 'v1', 'NetworkAttachmentDefinition', 'network-attachment-definitions', true),
  // Sidecar-injection webhooks, retargeted to Meshwright's webhook (render/injection/injection-target.ts).
  gvk(
    'admissionregistration.k8s.io',
    'v1',
    'MutatingWebhookConfiguration',
    'mutatingwebhookconfigurations',
    false,
  ),
];

export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0
    ? { group: '', version: apiVersion }
    : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/** The managed kind of an object, or undefined when it is none of MANAGED_KINDS. */
export function managedKindOf(o: { apiVersion: string; kind: string }): GroupVersionKind | undefined {
  const { group, version } = splitApiVersion(o.apiVersion);
  return MANAGED_KINDS.find((k) => k.group === group && k.version === version && k.kind === o.kind);
}
