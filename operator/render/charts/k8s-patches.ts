// `components.*.k8s` settings applied after Helm, as istioctl applies them: each setting is a strategic
// merge patch on one object of the component (its workload, main container, Service, HPA or PDB), named
// like the workload (`istiod-<rev>` for a revisioned istiod, the gateway's own name). Settings istioctl
// does not patch (volumes, volumeMounts) have no effect here either.
import { deepClone, isPlainObject, type PlainObject } from '../../../lib/istio/merge';
import type { ComponentInstance } from './components';
import { strategicMerge } from './strategic-merge';
import { getString } from './values-map';

type PatchBuilder = (v: unknown, container: string) => PlainObject;

const podSpec =
  (field: string): PatchBuilder =>
  (v) => ({ spec: { template: { spec: { [field]: v } } } });
const inContainer =
  (field: string): PatchBuilder =>
  (v, container) => ({ spec: { template: { spec: { containers: [{ name: container, [field]: v }] } } } });

interface Setting {
  readonly target: 'workload' | 'HorizontalPodAutoscaler' | 'PodDisruptionBudget' | 'Service';
  readonly patch: PatchBuilder;
}

const SETTINGS: Record<string, Setting> = {
  affinity: { target: 'workload', patch: podSpec('affinity') },
  env: { target: 'workload', patch: inContainer('env') },
  hpaSpec: { target: 'HorizontalPodAutoscaler', patch: (v) => ({ spec: v }) },
  imagePullPolicy: { target: 'workload', patch: inContainer('imagePullPolicy') },
  nodeSelector: { target: 'workload', patch: podSpec('nodeSelector') },
  podDisruptionBudget: { target: 'PodDisruptionBudget', patch: (v) => ({ spec: v }) },
  podAnnotations: {
    target: 'workload',
    patch: (v) => ({ spec: { template: { metadata: { annotations: v } } } }),
  },
  priorityClassName: { target: 'workload', patch: podSpec('priorityClassName') },
  readinessProbe: { target: 'workload', patch: inContainer('readinessProbe') },
  replicaCount: { target: 'workload', patch: (v) => ({ spec: { replicas: v } }) },
  resources: { target: 'workload', patch: inContainer('resources') },
  strategy: { target: 'workload', patch: (v) => ({ spec: { strategy: v } }) },
  tolerations: { target: 'workload', patch: podSpec('tolerations') },
  serviceAnnotations: { target: 'Service', patch: (v) => ({ metadata: { annotations: v } }) },
  service: { target: 'Service', patch: (v) => ({ spec: v }) },
  securityContext: { target: 'workload', patch: podSpec('securityContext') },
};

/** The name the component's patched objects share. */
export function patchTargetName(inst: ComponentInstance, values: PlainObject): string | undefined {
  const w = inst.component.workload;
  if (!w) return undefined;
  let name = inst.name || w.name;
  if (inst.component.name === 'Pilot') {
    const rev = getString(values, 'spec.values.revision') || 'default';
    if (rev !== 'default') name = `${name}-${rev}`;
  }
  return name;
}

/** Applies the instance's k8s settings to `objects` (returns new objects for the patched ones). */
export function applyK8sSettings(
  inst: ComponentInstance,
  values: PlainObject,
  objects: PlainObject[],
): PlainObject[] {
  const k8s = inst.raw.k8s;
  const w = inst.component.workload;
  const name = patchTargetName(inst, values);
  if (!isPlainObject(k8s) || !w || !name) return objects;
  const out = objects.map((o) => o);
  for (const [field, setting] of Object.entries(SETTINGS)) {
    let v = k8s[field];
    if (v === undefined) continue;
    // Gateway Service ports are chart values already (see component-values.ts); a strategic merge of
    // Service ports by `port` would mangle them, so istioctl patches the rest of the Service only.
    if (field === 'service' && inst.component.multi && isPlainObject(v)) v = { ...v, ports: [] };
    const kind = setting.target === 'workload' ? w.kind : setting.target;
    const patch = setting.patch(deepClone(v), w.container);
    for (let i = 0; i < out.length; i++) {
      const o = out[i];
      const meta = o.metadata;
      if (o.kind !== kind || !isPlainObject(meta) || meta.name !== name) continue;
      let next = strategicMerge(o, patch);
      if (setting.target === 'PodDisruptionBudget') next = oneDisruptionBound(next);
      out[i] = next;
    }
  }
  return out;
}

// A PDB may not set both bounds; the chart defaults minAvailable, so a user's maxUnavailable wins.
function oneDisruptionBound(pdb: PlainObject): PlainObject {
  const spec = pdb.spec;
  if (isPlainObject(spec) && spec.maxUnavailable !== undefined && spec.minAvailable !== undefined) {
    return { ...pdb, spec: { ...spec, minAvailable: null } };
  }
  return pdb;
}
