// When a rendered workload counts as ready, from its live status. Later install stages wait for it:
// gateways need istiod serving before they can get configuration and certificates.
import type { KubernetesObject } from '@kubernetes/client-node';

export type Readiness = { ready: true } | { ready: false; reason: string };

interface WorkloadShape {
  metadata?: { generation?: number };
  spec?: { replicas?: number };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
    conditions?: { type?: string; status?: string; reason?: string; message?: string }[];
    desiredNumberScheduled?: number;
    currentNumberScheduled?: number;
    updatedNumberScheduled?: number;
    numberAvailable?: number;
    readyReplicas?: number;
    currentRevision?: string;
    updateRevision?: string;
  };
}

const READY: Readiness = { ready: true };

function name(obj: KubernetesObject): string {
  return `${obj.kind}/${obj.metadata?.name ?? '?'}`;
}

export function readinessOf(obj: KubernetesObject): Readiness {
  const w = obj as KubernetesObject & WorkloadShape;
  const status = w.status ?? {};
  const generation = w.metadata?.generation ?? 0;
  const seen = (status.observedGeneration ?? 0) >= generation;
  if (obj.kind === 'Deployment') {
    if (!seen) return { ready: false, reason: `${name(obj)}: rollout not observed yet` };
    const want = w.spec?.replicas ?? 1;
    const available = status.conditions?.some((c) => c.type === 'Available' && c.status === 'True') ?? false;
    const stalled = status.conditions?.find(
      (c) => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded',
    );
    if (stalled)
      return {
        ready: false,
        reason: `${name(obj)}: ProgressDeadlineExceeded: ${stalled.message ?? ''}`.trim(),
      };
    if ((status.updatedReplicas ?? 0) < want) {
      return {
        ready: false,
        reason: `${name(obj)}: ${status.updatedReplicas ?? 0}/${want} replicas updated`,
      };
    }
    if ((status.availableReplicas ?? 0) < want || !available) {
      return {
        ready: false,
        reason: `${name(obj)}: ${status.availableReplicas ?? 0}/${want} replicas available`,
      };
    }
    if ((status.replicas ?? 0) > want)
      return { ready: false, reason: `${name(obj)}: old replicas terminating` };
    return READY;
  }
  if (obj.kind === 'DaemonSet') {
    if (!seen) return { ready: false, reason: `${name(obj)}: rollout not observed yet` };
    const desired = status.desiredNumberScheduled ?? 0;
    const updated = status.updatedNumberScheduled ?? 0;
    const available = status.numberAvailable ?? 0;
    if (updated < desired)
      return { ready: false, reason: `${name(obj)}: ${updated}/${desired} pods updated` };
    if (available < desired)
      return { ready: false, reason: `${name(obj)}: ${available}/${desired} pods available` };
    return READY;
  }
  if (obj.kind === 'StatefulSet') {
    if (!seen) return { ready: false, reason: `${name(obj)}: rollout not observed yet` };
    const want = w.spec?.replicas ?? 1;
    if ((status.updatedReplicas ?? 0) < want || (status.readyReplicas ?? 0) < want) {
      return { ready: false, reason: `${name(obj)}: ${status.readyReplicas ?? 0}/${want} replicas ready` };
    }
    if (status.updateRevision && status.currentRevision !== status.updateRevision) {
      return { ready: false, reason: `${name(obj)}: rollout in progress` };
    }
    return READY;
  }
  return READY;
}
