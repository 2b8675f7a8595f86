// Which workloads run a sidecar older than the current control plane injects. Pure: pods,
// ReplicaSet owners and namespaces in, workloads out. A pod counts when this revision injected it
// (pod label istio.io/rev, or its namespace selects the revision) and it carries an istio-proxy
// container (classic or native sidecar). It is outdated when that container's image differs from the
// image the injector would use now (ignoring the distroless/debug variant, which pods may choose).
// Opted-out pods (gateways among them) are not counted; Jobs, bare pods and the control-plane
// namespace are never restart candidates.
import { LABEL_OWNING_RESOURCE } from '../apply/ownership';

export interface PodView {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  owner?: { kind: string; name: string };
  proxyImage?: string;
}

export interface WorkloadRef {
  kind: 'Deployment' | 'StatefulSet' | 'DaemonSet';
  namespace: string;
  name: string;
}

export interface SidecarCensus {
  /** Pods this revision injected. */
  injected: number;
  /** Of those, pods whose proxy image is not the current one. */
  outdated: number;
  /** Restartable workloads with at least one outdated pod, sorted by namespace, kind, name. */
  outdatedWorkloads: WorkloadRef[];
}

export interface CensusInput {
  pods: readonly PodView[];
  /** ReplicaSet "namespace/name" -> owning Deployment name, for pods whose owner is still a ReplicaSet. */
  replicaSetOwners: ReadonlyMap<string, string>;
  namespaceLabels: ReadonlyMap<string, Record<string, string>>;
  /** '' for the default revision. */
  revision: string;
  expectedImage: string;
  controlPlaneNamespace: string;
  /** Only namespaces carrying these labels are restart candidates (sidecarRollout.namespaceSelector). */
  candidateNamespaceLabels?: Record<string, string>;
}

const VARIANT = /-(distroless|debug)$/;

export function sameProxyImage(a: string, b: string): boolean {
  return a.replace(VARIANT, '') === b.replace(VARIANT, '');
}

export function workloadKey(w: WorkloadRef): string {
  return `${w.namespace}/${w.kind}/${w.name}`;
}

function injectedByRevision(pod: PodView, nsLabels: Record<string, string>, revision: string): boolean {
  const rev = revision || 'default';
  const podRev = pod.labels['istio.io/rev'];
  if (podRev !== undefined) return podRev === rev;
  const nsRev = nsLabels['istio.io/rev'];
  if (nsLabels['istio-injection'] === 'enabled') return rev === 'default';
  if (nsRev !== undefined) return nsRev === rev;
  // Injected through the pod opt-in label alone: the default revision's webhook did it.
  return rev === 'default';
}

function workloadOf(pod: PodView, rsOwners: ReadonlyMap<string, string>): WorkloadRef | undefined {
  const o = pod.owner;
  if (!o) return undefined;
  if (o.kind === 'StatefulSet' || o.kind === 'DaemonSet' || o.kind === 'Deployment') {
    return { kind: o.kind, namespace: pod.namespace, name: o.name };
  }
  if (o.kind === 'ReplicaSet') {
    const deployment = rsOwners.get(`${pod.namespace}/${o.name}`);
    return deployment ? { kind: 'Deployment', namespace: pod.namespace, name: deployment } : undefined;
  }
  return undefined;
}

function matchesLabels(labels: Record<string, string>, want: Record<string, string>): boolean {
  return Object.entries(want).every(([k, v]) => labels[k] === v);
}

export function sidecarCensus(input: CensusInput): SidecarCensus {
  let injected = 0;
  let outdated = 0;
  const workloads = new Map<string, WorkloadRef>();
  for (const pod of input.pods) {
    // Gateways run istio-proxy too, but they are rendered (and opted out of injection), not injected.
    if (!pod.proxyImage || pod.labels['sidecar.istio.io/inject'] === 'false') continue;
    if (pod.labels[LABEL_OWNING_RESOURCE] !== undefined) continue;
    const nsLabels = input.namespaceLabels.get(pod.namespace) ?? {};
    if (!injectedByRevision(pod, nsLabels, input.revision)) continue;
    injected++;
    if (sameProxyImage(pod.proxyImage, input.expectedImage)) continue;
    outdated++;
    if (pod.namespace === input.controlPlaneNamespace) continue;
    if (input.candidateNamespaceLabels && !matchesLabels(nsLabels, input.candidateNamespaceLabels)) continue;
    const w = workloadOf(pod, input.replicaSetOwners);
    if (w) workloads.set(workloadKey(w), w);
  }
  const outdatedWorkloads = [...workloads.values()].sort(
    (a, b) =>
      a.namespace.localeCompare(b.namespace) || a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name),
  );
  return { injected, outdated, outdatedWorkloads };
}
