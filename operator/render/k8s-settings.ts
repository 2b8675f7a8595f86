// Applies `components.<c>.k8s` settings to a component's rendered objects, the way istioctl patches them
// after rendering: each setting is a strategic-merge patch onto one field of the workload, its main
// container, its Service, HPA or PDB. Strategic merge here means: objects merge, lists of named things
// merge by their key (env/volumes/containers by name, volumeMounts by mountPath, Service ports by port),
// other lists (tolerations, HPA metrics, args) are replaced, and null deletes.
import { deepClone, isPlainObject, type PlainObject } from '../../lib/istio/merge';
import type { KubernetesResourceSpec } from '../api/types';
import type { ManifestObject } from './types';

/** Which rendered objects a component's k8s settings apply to. */
export interface K8sTargets {
  workloadKind: 'Deployment' | 'DaemonSet';
  workloadName: string;
  container: string;
  serviceName?: string;
}

const MERGE_KEYS: Record<string, string> = {
  env: 'name',
  volumes: 'name',
  containers: 'name',
  initContainers: 'name',
  volumeMounts: 'mountPath',
};

/** Strategic-merge-like patch of `patch` onto `base` (neither mutated). `field` names the list being merged. */
export function strategicMerge(base: unknown, patch: unknown, field = ''): unknown {
  if (patch === null) return undefined;
  if (isPlainObject(patch) && isPlainObject(base)) {
    const out: PlainObject = deepClone(base);
    for (const [k, v] of Object.entries(patch)) {
      const merged = strategicMerge(out[k], v, k);
      if (merged === undefined) delete out[k];
      else out[k] = merged;
    }
    return out;
  }
  const key = MERGE_KEYS[field] ?? (field === 'servicePorts' ? 'port' : undefined);
  if (key && Array.isArray(patch) && Array.isArray(base)) {
    const out = base.map((x) => deepClone(x));
    for (const item of patch) {
      const id = isPlainObject(item) ? item[key] : undefined;
      const at = id === undefined ? -1 : out.findIndex((x) => isPlainObject(x) && x[key] === id);
      if (at >= 0) out[at] = strategicMerge(out[at], item);
      else out.push(deepClone(item));
    }
    return out;
  }
  return deepClone(patch);
}

function patchAt(obj: PlainObject, path: string[], value: unknown, listField?: string): void {
  let node = obj;
  for (const k of path.slice(0, -1)) {
    if (!isPlainObject(node[k])) node[k] = {};
    node = node[k] as PlainObject;
  }
  const last = path[path.length - 1];
  const merged = strategicMerge(node[last], value, listField ?? last);
  if (merged === undefined) delete node[last];
  else node[last] = merged;
}

function find(objects: ManifestObject[], kind: string, name: string | undefined): PlainObject | undefined {
  if (!name) return undefined;
  return objects.find((o) => o.kind === kind && o.metadata.name === name) as PlainObject | undefined;
}

/**
 * hpaSpec written for autoscaling/v2beta1 (`resource.targetAverageUtilization` / `targetAverageValue`) in
 * the autoscaling/v2 form the HPA is rendered in, as istioctl still accepts the old form.
 */
export function upgradeHpaSpec(spec: KubernetesResourceSpec['hpaSpec']): unknown {
  if (!spec || !Array.isArray(spec.metrics)) return spec;
  const metrics = (spec.metrics as unknown[]).map((m) => {
    if (!isPlainObject(m) || !isPlainObject(m.resource)) return m;
    const { targetAverageUtilization, targetAverageValue, ...resource } = m.resource;
    if (targetAverageUtilization !== undefined) {
      resource.target = { type: 'Utilization', averageUtilization: targetAverageUtilization };
    } else if (targetAverageValue !== undefined) {
      resource.target = { type: 'AverageValue', averageValue: targetAverageValue };
    } else return m;
    return { ...m, resource };
  });
  return { ...spec, metrics };
}

/** Applies k8s settings in place to the objects of one component. */
export function applyK8sSettings(
  objects: ManifestObject[],
  k8s: KubernetesResourceSpec | undefined,
  t: K8sTargets,
): void {
  if (!k8s) return;
  const workload = find(objects, t.workloadKind, t.workloadName);
  if (workload) {
    const pod = ['spec', 'template', 'spec'];
    const simple: [keyof KubernetesResourceSpec, string[]][] = [
      ['affinity', [...pod, 'affinity']],
      ['nodeSelector', [...pod, 'nodeSelector']],
      ['tolerations', [...pod, 'tolerations']],
      ['securityContext', [...pod, 'securityContext']],
      ['priorityClassName', [...pod, 'priorityClassName']],
      ['volumes', [...pod, 'volumes']],
      ['topologySpreadConstraints', [...pod, 'topologySpreadConstraints']],
      ['podAnnotations', ['spec', 'template', 'metadata', 'annotations']],
    ];
    if (t.workloadKind === 'Deployment') {
      simple.push(['replicaCount', ['spec', 'replicas']], ['strategy', ['spec', 'strategy']]);
    }
    for (const [field, path] of simple) {
      if (k8s[field] !== undefined) patchAt(workload, path, k8s[field]);
    }
    const podSpec = ((workload.spec as PlainObject).template as PlainObject).spec as PlainObject;
    const containers = (podSpec.containers ?? []) as PlainObject[];
    const container = containers.find((c) => c.name === t.container);
    if (container) {
      for (const field of [
        'env',
        'resources',
        'readinessProbe',
        'imagePullPolicy',
        'volumeMounts',
      ] as const) {
        if (k8s[field] !== undefined) patchAt(container, [field], k8s[field]);
      }
    }
  }
  const service = find(objects, 'Service', t.serviceName);
  if (service) {
    if (k8s.serviceAnnotations !== undefined)
      patchAt(service, ['metadata', 'annotations'], k8s.serviceAnnotations);
    if (k8s.service !== undefined) {
      const { ports, ...rest } = k8s.service;
      patchAt(service, ['spec'], rest);
      if (ports !== undefined) patchAt(service, ['spec', 'ports'], ports, 'servicePorts');
    }
  }
  const hpa = find(objects, 'HorizontalPodAutoscaler', t.workloadName);
  if (hpa && k8s.hpaSpec !== undefined) patchAt(hpa, ['spec'], upgradeHpaSpec(k8s.hpaSpec));
  const pdb = find(objects, 'PodDisruptionBudget', t.workloadName);
  if (pdb && k8s.podDisruptionBudget !== undefined) {
    const budget = k8s.podDisruptionBudget;
    const spec = pdb.spec as PlainObject;
    // minAvailable and maxUnavailable are exclusive: the one the user sets replaces the other.
    if (budget.maxUnavailable !== undefined) delete spec.minAvailable;
    if (budget.minAvailable !== undefined) delete spec.maxUnavailable;
    patchAt(pdb, ['spec'], budget);
  }
}
