// HorizontalPodAutoscaler and PodDisruptionBudget of a Deployment, and when each is rendered. A PDB is only
// rendered when more than one pod is guaranteed (autoscaling min > 1, or a fixed count > 1): with a single
// pod a PDB of minAvailable 1 would block every node drain (kubernetes/kubernetes#93476).
import type { V1PodDisruptionBudget, V2HorizontalPodAutoscaler, V2MetricSpec } from '@kubernetes/client-node';
import type { KubernetesResourceSpec } from '../api/types';
import type { ManifestObject } from './types';

export interface ScalingValues {
  autoscaleEnabled?: boolean;
  autoscaleMin?: number;
  autoscaleMax?: number;
  replicaCount?: number;
}

export interface ScalingPlan {
  hpa: boolean;
  minReplicas: number;
  maxReplicas: number;
  pdb: boolean;
}

/**
 * Whether an HPA and a PDB are rendered, given chart values and the component's k8s settings (which
 * override them: hpaSpec.minReplicas, replicaCount, or an explicit podDisruptionBudget).
 */
export function scalingPlan(
  v: ScalingValues,
  k8s: KubernetesResourceSpec | undefined,
  pdbEnabled: boolean,
): ScalingPlan {
  const minReplicas = Number(k8s?.hpaSpec?.minReplicas ?? v.autoscaleMin ?? 1);
  const maxReplicas = Number(k8s?.hpaSpec?.maxReplicas ?? v.autoscaleMax ?? 5);
  const hpa = Boolean(v.autoscaleEnabled && v.autoscaleMin && v.autoscaleMax);
  const replicas = Number(k8s?.replicaCount ?? v.replicaCount ?? 1);
  const guaranteed = hpa ? minReplicas : replicas;
  const pdb = k8s?.podDisruptionBudget !== undefined || (pdbEnabled && guaranteed > 1);
  return { hpa, minReplicas, maxReplicas, pdb };
}

export function cpuMemoryMetrics(cpu?: number, memory?: number): V2MetricSpec[] {
  const metric = (name: string, averageUtilization: number): V2MetricSpec => ({
    type: 'Resource',
    resource: { name, target: { type: 'Utilization', averageUtilization } },
  });
  const out: V2MetricSpec[] = [];
  if (cpu) out.push(metric('cpu', cpu));
  if (memory) out.push(metric('memory', memory));
  return out;
}

export function hpa(
  name: string,
  namespace: string,
  labels: Record<string, string>,
  plan: ScalingPlan,
  metrics: V2MetricSpec[],
  behavior?: Record<string, unknown>,
): ManifestObject & V2HorizontalPodAutoscaler {
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name, namespace, labels },
    spec: {
      maxReplicas: plan.maxReplicas,
      minReplicas: plan.minReplicas,
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
      metrics,
      ...(behavior && Object.keys(behavior).length ? { behavior } : {}),
    },
  };
}

export function pdb(
  name: string,
  namespace: string,
  labels: Record<string, string>,
  selector: Record<string, string>,
  budget: {
    minAvailable?: number | string;
    maxUnavailable?: number | string;
    unhealthyPodEvictionPolicy?: string;
  },
): ManifestObject & V1PodDisruptionBudget {
  const spec: V1PodDisruptionBudget['spec'] = { selector: { matchLabels: selector } };
  // maxUnavailable wins when given, as in the charts; minAvailable 1 otherwise.
  if (budget.maxUnavailable !== undefined) spec.maxUnavailable = budget.maxUnavailable;
  else spec.minAvailable = budget.minAvailable ?? 1;
  if (budget.unhealthyPodEvictionPolicy) spec.unhealthyPodEvictionPolicy = budget.unhealthyPodEvictionPolicy;
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name, namespace, labels },
    spec,
  };
}
