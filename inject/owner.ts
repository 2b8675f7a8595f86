// Workload identity of a pod (ISTIO_META_WORKLOAD_NAME, ISTIO_META_OWNER, canonical-name fallback),
// inferred from its controller like istiod does: a ReplicaSet named <deployment>-<pod-template-hash>
// stands for its Deployment, a Job named <cronjob>-<8..11 digits> for its CronJob, an OpenShift
// ReplicationController with a `deploymentconfig` label for its DeploymentConfig.
import type { V1Pod } from '@kubernetes/client-node';
import type { WorkloadOwner } from './api';
import { L } from './annotations';

export interface Workload {
  name: string;
  namespace: string;
  apiVersion: string;
  kind: string;
}

const CRONJOB_JOB_NAME = /^(.+)-\d{8,11}$/;

export function workloadOf(pod: V1Pod, namespace: string, explicit?: WorkloadOwner): Workload {
  const meta = pod.metadata ?? {};
  if (explicit) {
    return { name: explicit.name, namespace, apiVersion: explicit.apiVersion, kind: explicit.kind };
  }
  const w: Workload = { name: meta.name ?? '', namespace, apiVersion: 'v1', kind: 'Pod' };
  // Only generated pod names point at a controller worth naming the workload after.
  if (meta.generateName) {
    const ref = (meta.ownerReferences ?? []).find((r) => r.controller === true);
    if (ref) {
      w.apiVersion = ref.apiVersion;
      w.kind = ref.kind;
      w.name = ref.name;
      const labels = meta.labels ?? {};
      const hash = labels[L.podTemplateHash];
      if (ref.kind === 'ReplicaSet' && hash && ref.name.endsWith(hash)) {
        w.name = ref.name.endsWith(`-${hash}`) ? ref.name.slice(0, -(hash.length + 1)) : ref.name;
        w.kind = 'Deployment';
      } else if (ref.kind === 'ReplicationController' && labels[L.deploymentConfig]) {
        w.name = labels[L.deploymentConfig];
        w.kind = 'DeploymentConfig';
      } else if (ref.kind === 'Job') {
        const m = CRONJOB_JOB_NAME.exec(ref.name);
        if (m) {
          w.name = m[1];
          w.kind = 'CronJob';
          // Not derivable from the pod; CronJob is batch/v1 on every supported cluster.
          w.apiVersion = 'batch/v1';
        }
      }
    }
  }
  if (!w.name) w.name = meta.name ?? '';
  return w;
}
