// Where each workload kind keeps its pod: the kinds kube-inject (and the conformance runner) understand,
// and how to read a Pod out of them and write the injected Pod back.
import type { V1ObjectMeta, V1Pod, V1PodSpec } from '@kubernetes/client-node';
import { isPlainObject, type PlainObject } from '../../lib/istio/merge';
import type { WorkloadOwner } from '../../inject/api';

export type WorkloadKind =
  | 'Pod'
  | 'Deployment'
  | 'DaemonSet'
  | 'StatefulSet'
  | 'ReplicaSet'
  | 'ReplicationController'
  | 'Job'
  | 'CronJob'
  | 'DeploymentConfig';

export interface Workload {
  kind: WorkloadKind;
  apiVersion: string;
  name: string;
  /** Empty when the object names none. */
  namespace: string;
  /** The object itself (mutated by `writePod`). */
  object: PlainObject;
  /** The pod the workload would create: its template's metadata and spec (deep copies). */
  readPod(): V1Pod;
  /** Stores an injected pod's metadata and spec back into the workload. */
  writePod(pod: V1Pod): void;
  /** The workload identity to inject for; undefined for a bare Pod (its ownerReferences speak for it). */
  owner: WorkloadOwner | undefined;
}

const TEMPLATE_KINDS = new Set<string>([
  'Deployment',
  'DaemonSet',
  'StatefulSet',
  'ReplicaSet',
  'ReplicationController',
  'Job',
  'DeploymentConfig',
]);

/** The workload view of a decoded object, or undefined for objects without a pod (passed through). */
export function asWorkload(obj: unknown): Workload | undefined {
  if (!isPlainObject(obj) || typeof obj.kind !== 'string') return undefined;
  const kind = obj.kind;
  const apiVersion = typeof obj.apiVersion === 'string' ? obj.apiVersion : '';
  const meta = isPlainObject(obj.metadata) ? obj.metadata : {};
  const name = typeof meta.name === 'string' ? meta.name : '';
  const namespace = typeof meta.namespace === 'string' ? meta.namespace : '';
  const base = { apiVersion, name, namespace, object: obj };
  if (kind === 'Pod') {
    return {
      ...base,
      kind,
      owner: undefined,
      readPod: () => ({ metadata: copy(meta), spec: podSpec(objAt(obj, ['spec'])) }),
      writePod: (pod) => {
        obj.metadata = pod.metadata ?? {};
        obj.spec = pod.spec ?? {};
      },
    };
  }
  if (kind === 'CronJob') {
    // Like upstream kube-inject, a CronJob's pod metadata is the job template's metadata: that is where
    // the injected labels and annotations land (the inner pod template's metadata is left alone).
    const jobTemplate = (): PlainObject => ensureObj(ensureObj(obj, 'spec'), 'jobTemplate');
    const template = (): PlainObject => ensureObj(ensureObj(jobTemplate(), 'spec'), 'template');
    return {
      ...base,
      kind,
      owner: { apiVersion, kind, name },
      readPod: () => ({
        metadata: copy(objAt(obj, ['spec', 'jobTemplate', 'metadata'])),
        spec: podSpec(objAt(obj, ['spec', 'jobTemplate', 'spec', 'template', 'spec'])),
      }),
      writePod: (pod) => {
        jobTemplate().metadata = pod.metadata ?? {};
        template().spec = pod.spec ?? {};
      },
    };
  }
  if (TEMPLATE_KINDS.has(kind)) {
    const template = (): PlainObject => ensureObj(ensureObj(obj, 'spec'), 'template');
    return {
      ...base,
      kind: kind as WorkloadKind,
      owner: { apiVersion, kind, name },
      readPod: () => ({
        metadata: copy(objAt(obj, ['spec', 'template', 'metadata'])) as V1ObjectMeta,
        spec: podSpec(objAt(obj, ['spec', 'template', 'spec'])),
      }),
      writePod: (pod) => {
        const t = template();
        t.metadata = pod.metadata ?? {};
        t.spec = pod.spec ?? {};
      },
    };
  }
  return undefined;
}

/** True for `List` and `*List` kinds carrying `items`. */
export function isList(obj: unknown): obj is PlainObject & { items: unknown[] } {
  return (
    isPlainObject(obj) &&
    typeof obj.kind === 'string' &&
    obj.kind.endsWith('List') &&
    Array.isArray(obj.items)
  );
}

function objAt(obj: PlainObject, path: string[]): PlainObject {
  let cur: unknown = obj;
  for (const k of path) cur = isPlainObject(cur) ? cur[k] : undefined;
  return isPlainObject(cur) ? cur : {};
}

function ensureObj(parent: PlainObject, key: string): PlainObject {
  const v = parent[key];
  if (isPlainObject(v)) return v;
  const fresh: PlainObject = {};
  parent[key] = fresh;
  return fresh;
}

// The edge where decoded YAML becomes a typed pod spec; the engine validates what it reads.
function podSpec(o: PlainObject): V1PodSpec {
  return copy(o) as unknown as V1PodSpec;
}

function copy<T>(v: T): T {
  return structuredClone(v);
}
