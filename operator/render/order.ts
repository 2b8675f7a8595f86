// Apply order: Base first (CRDs must exist before anything uses them), then CNI (so pods istiod starts are
// already covered by the node agent) and Pilot, then the gateways (which need istiod for their config).
// Within a component: identities, permissions and configuration before the workloads that use them, and
// admission webhooks last, once the service behind them is being created.
import type { ComponentName } from '../api/components';
import type { RenderedManifest, ManifestObject } from './types';

export const COMPONENT_ORDER: readonly ComponentName[] = [
  'Base',
  'Cni',
  'Pilot',
  'IngressGateways',
  'EgressGateways',
];

export const KIND_ORDER: readonly string[] = [
  'Namespace',
  'CustomResourceDefinition',
  'ServiceAccount',
  'ClusterRole',
  'ClusterRoleBinding',
  'Role',
  'RoleBinding',
  'ConfigMap',
  'Secret',
  'Service',
  'Deployment',
  'DaemonSet',
  'HorizontalPodAutoscaler',
  'PodDisruptionBudget',
  'ValidatingWebhookConfiguration',
  'MutatingWebhookConfiguration',
];

function kindRank(kind: string): number {
  const i = KIND_ORDER.indexOf(kind);
  return i < 0 ? KIND_ORDER.length : i;
}

/** Objects of one component sorted by kind rank, then namespace and name (stable and deterministic). */
export function sortObjects(objects: ManifestObject[]): ManifestObject[] {
  return [...objects].sort(
    (a, b) =>
      kindRank(a.kind) - kindRank(b.kind) ||
      a.kind.localeCompare(b.kind) ||
      (a.metadata.namespace ?? '').localeCompare(b.metadata.namespace ?? '') ||
      a.metadata.name.localeCompare(b.metadata.name),
  );
}

/** Every object of the manifest in the order to apply it. */
export function applyOrder(manifest: RenderedManifest): ManifestObject[] {
  const out: ManifestObject[] = [];
  for (const name of COMPONENT_ORDER) {
    for (const c of manifest.components.filter((x) => x.component === name))
      out.push(...sortObjects(c.objects));
  }
  return out;
}
