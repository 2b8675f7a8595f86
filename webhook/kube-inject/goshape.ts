// Upstream kube-inject decodes each workload into its Go type and marshals it back, so its output carries
// Go's zero values (`resources: {}`, `status: {}`, `strategy: {}` ...), drops `creationTimestamp: null`
// and sorts keys. We reproduce that shape for the kinds we inject so the output reads like upstream's.
import { isPlainObject, put, type PlainObject } from '../../lib/istio/merge';
import { canonicalizeResourceList, canonicalQuantity } from '../../inject/quantity';
import type { WorkloadKind } from './workloads';

// Status structs whose counters have no `omitempty`, so they print even when zero.
const ZERO_STATUS: Record<WorkloadKind, PlainObject> = {
  Pod: {},
  Deployment: {},
  Job: {},
  CronJob: {},
  DaemonSet: { currentNumberScheduled: 0, desiredNumberScheduled: 0, numberMisscheduled: 0, numberReady: 0 },
  StatefulSet: { availableReplicas: 0, replicas: 0 },
  ReplicaSet: { replicas: 0 },
  ReplicationController: { replicas: 0 },
  DeploymentConfig: {
    availableReplicas: 0,
    latestVersion: 0,
    observedGeneration: 0,
    replicas: 0,
    unavailableReplicas: 0,
    updatedReplicas: 0,
  },
};

/** Adds Go's zero-value fields to a workload (in place) and returns it with keys sorted. */
export function goShapeWorkload(kind: WorkloadKind, obj: PlainObject): PlainObject {
  dropNullTimestamp(obj.metadata);
  obj.status = { ...ZERO_STATUS[kind], ...(isPlainObject(obj.status) ? obj.status : {}) };
  const spec = isPlainObject(obj.spec) ? obj.spec : undefined;
  if (kind === 'Pod') {
    if (spec) shapePodSpec(spec);
    return sortKeys(obj) as PlainObject;
  }
  if (!spec) return sortKeys(obj) as PlainObject;
  if (kind === 'Deployment') defaultObj(spec, 'strategy');
  if (kind === 'DaemonSet' || kind === 'StatefulSet') defaultObj(spec, 'updateStrategy');
  if (kind === 'DeploymentConfig') {
    defaultObj(defaultObj(spec, 'strategy'), 'resources');
    if (spec.test === undefined) spec.test = false;
    // omitempty scalars vanish at their zero value.
    if (spec.paused === false) delete spec.paused;
    if (spec.minReadySeconds === 0) delete spec.minReadySeconds;
  }
  let template: unknown = spec.template;
  if (kind === 'CronJob') {
    const jobTemplate = defaultObj(spec, 'jobTemplate');
    dropNullTimestamp(jobTemplate.metadata);
    template = isPlainObject(jobTemplate.spec) ? jobTemplate.spec.template : undefined;
  }
  if (isPlainObject(template)) {
    dropNullTimestamp(defaultObj(template, 'metadata'));
    if (isPlainObject(template.spec)) shapePodSpec(template.spec);
  }
  return sortKeys(obj) as PlainObject;
}

/** The `metadata: {}` a Go List always has. */
export function goShapeList(obj: PlainObject): PlainObject {
  defaultObj(obj, 'metadata');
  return obj;
}

// Quantities are printed in canonical form by the Go round trip (`1000m` -> `1`, `1024Mi` -> `1Gi`), the
// app's own as much as the injected ones.
function shapePodSpec(spec: PlainObject): void {
  for (const key of ['initContainers', 'containers', 'ephemeralContainers']) {
    const list = spec[key];
    if (!Array.isArray(list)) continue;
    for (const c of list) {
      if (!isPlainObject(c)) continue;
      const r = defaultObj(c, 'resources');
      for (const k of ['limits', 'requests']) if (isPlainObject(r[k])) canonicalizeResourceList(r[k]);
    }
  }
  if (isPlainObject(spec.overhead)) canonicalizeResourceList(spec.overhead);
  if (isPlainObject(spec.resources)) {
    for (const k of ['limits', 'requests']) {
      const list = spec.resources[k];
      if (isPlainObject(list)) canonicalizeResourceList(list);
    }
  }
  if (Array.isArray(spec.volumes)) {
    for (const v of spec.volumes) {
      const ed = isPlainObject(v) && isPlainObject(v.emptyDir) ? v.emptyDir : undefined;
      if (ed && (typeof ed.sizeLimit === 'string' || typeof ed.sizeLimit === 'number')) {
        ed.sizeLimit = canonicalQuantity(ed.sizeLimit);
      }
    }
  }
}

function defaultObj(parent: PlainObject, key: string): PlainObject {
  const v = parent[key];
  if (isPlainObject(v)) return v;
  const fresh: PlainObject = {};
  parent[key] = fresh;
  return fresh;
}

function dropNullTimestamp(meta: unknown): void {
  if (isPlainObject(meta) && meta.creationTimestamp === null) delete meta.creationTimestamp;
}

/** Recursively sorted keys, as sigs.k8s.io/yaml prints maps. */
export function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (!isPlainObject(v)) return v;
  const out: PlainObject = {};
  for (const k of Object.keys(v).sort()) put(out, k, sortKeys(v[k]));
  return out;
}
