// The Pod a controller would create from a workload, as the admission webhook receives it: the template's
// metadata and spec plus the controller's ownerReference, generateName and bookkeeping labels. As the suite
// README says, the owner is the workload itself, except a ReplicaSet `<deployment>-<hash>` (with label
// pod-template-hash) for a Deployment and a Job `<cronjob>-<minutes>` for a CronJob.
import type { V1OwnerReference, V1Pod } from '@kubernetes/client-node';
import { createHash } from 'node:crypto';
import { isPlainObject, type PlainObject } from '../../lib/istio/merge';

export interface AdmissionPod {
  pod: V1Pod;
  namespace: string;
  /** Removes what the runner added (and the webhook left alone) so the result compares with a template. */
  strip(pod: PlainObject): PlainObject;
}

const POD_KINDS = new Set([
  'Pod',
  'Deployment',
  'DaemonSet',
  'StatefulSet',
  'ReplicaSet',
  'ReplicationController',
  'Job',
  'CronJob',
  'DeploymentConfig',
]);

/** The workloads of a decoded file in document order, List items flattened. */
export function workloadsOf(docs: unknown[]): PlainObject[] {
  const out: PlainObject[] = [];
  const visit = (o: unknown): void => {
    if (!isPlainObject(o) || typeof o.kind !== 'string') return;
    if (o.kind.endsWith('List') && Array.isArray(o.items)) o.items.forEach(visit);
    else if (POD_KINDS.has(o.kind)) out.push(o);
  };
  docs.forEach(visit);
  return out;
}

/** The pod template (metadata + spec) of a workload; a Pod is its own template. */
export function templateOf(w: PlainObject): PlainObject {
  if (w.kind === 'Pod') return { metadata: w.metadata ?? {}, spec: w.spec ?? {} };
  const spec = obj(w.spec);
  const t = w.kind === 'CronJob' ? obj(obj(obj(spec.jobTemplate).spec).template) : obj(spec.template);
  return { metadata: t.metadata ?? {}, spec: t.spec ?? {} };
}

export function admissionPod(w: PlainObject): AdmissionPod {
  const meta = obj(w.metadata);
  const name = typeof meta.name === 'string' ? meta.name : 'workload';
  const namespace = typeof meta.namespace === 'string' && meta.namespace ? meta.namespace : 'default';
  const template = structuredClone(templateOf(w));
  if (w.kind === 'Pod') return { pod: template as V1Pod, namespace, strip: (p) => p };

  const apiVersion = typeof w.apiVersion === 'string' ? w.apiVersion : 'v1';
  const hash = podTemplateHash(template);
  let owner: { apiVersion: string; kind: string; name: string };
  const labels: Record<string, string> = {};
  switch (w.kind) {
    case 'Deployment':
      owner = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${name}-${hash}` };
      labels['pod-template-hash'] = hash;
      break;
    case 'CronJob':
      // Jobs of a CronJob are named after the scheduled time in minutes.
      owner = { apiVersion: 'batch/v1', kind: 'Job', name: `${name}-29000000` };
      break;
    default:
      owner = { apiVersion, kind: String(w.kind), name };
  }
  const ref: V1OwnerReference = {
    ...owner,
    uid: `00000000-0000-4000-8000-${hash.padEnd(12, '0').slice(0, 12)}`,
    controller: true,
    blockOwnerDeletion: true,
  };
  const generateName = `${owner.name}-`;
  const podMeta = obj(template.metadata);
  const added = Object.entries(labels).filter(
    ([k]) => !isPlainObject(podMeta.labels) || !(k in podMeta.labels),
  );
  const pod: V1Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...podMeta,
      generateName,
      ownerReferences: [ref],
      labels: {
        ...(isPlainObject(podMeta.labels) ? (podMeta.labels as Record<string, string>) : {}),
        ...labels,
      },
    },
    spec: template.spec as V1Pod['spec'],
  };
  const strip = (p: PlainObject): PlainObject => {
    const m = { ...obj(p.metadata) };
    if (m.generateName === generateName) delete m.generateName;
    if (JSON.stringify(m.ownerReferences) === JSON.stringify([ref])) delete m.ownerReferences;
    if (isPlainObject(m.labels)) {
      const l = { ...m.labels };
      for (const [k, v] of added) if (l[k] === v) delete l[k];
      m.labels = l;
    }
    return { ...p, metadata: m };
  };
  return { pod, namespace, strip };
}

// A stable stand-in for the controller's pod-template-hash, in its alphabet.
function podTemplateHash(template: PlainObject): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  const digest = createHash('sha256').update(JSON.stringify(template)).digest();
  return Array.from(digest.subarray(0, 10), (b) => alphabet[b % alphabet.length]).join('');
}

function obj(v: unknown): PlainObject {
  return isPlainObject(v) ? v : {};
}
