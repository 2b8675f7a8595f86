// Pure decisions of one reconcile pass: what to apply (and what can be skipped without any API
// call), and what to prune.
import type { KubernetesObject } from '@kubernetes/client-node';
import { appliedHash } from './applied-hash';
import { firstDifference } from './live-match';
import { objectKey } from './object-key';
import { APPLIED_HASH_ANNOTATION, componentOf } from './ownership';
import { deleteOrder } from './order';

export interface PlannedObject {
  key: string;
  component: string;
  hash: string;
  /** The apply body: the desired object plus the hash annotation, without server-owned fields. */
  body: KubernetesObject;
}

export type ApplyDecision = { apply: false } | { apply: true; reason: string };

/** Prepares a desired object for apply. Never mutates the rendered object. */
export function planObject(component: string, desired: KubernetesObject): PlannedObject {
  const rest: KubernetesObject & { status?: unknown } = { ...desired };
  delete rest.status;
  const metadata = { ...(rest.metadata ?? {}) };
  delete metadata.managedFields;
  delete metadata.resourceVersion;
  delete metadata.uid;
  delete metadata.creationTimestamp;
  const clean: KubernetesObject = { ...rest, metadata };
  const hash = appliedHash(clean);
  const body: KubernetesObject = {
    ...clean,
    metadata: {
      ...metadata,
      annotations: { ...(metadata.annotations ?? {}), [APPLIED_HASH_ANNOTATION]: hash },
    },
  };
  return { key: objectKey(clean), component, hash, body };
}

/**
 * Whether the object must be applied. `hashOnly` is set for objects whose live form the apiserver
 * normalises in ways the subset match cannot see through; for them only our own changes count.
 */
export function decideApply(
  planned: PlannedObject,
  live: KubernetesObject | undefined,
  hashOnly = false,
): ApplyDecision {
  if (!live) return { apply: true, reason: 'missing' };
  const liveHash = live.metadata?.annotations?.[APPLIED_HASH_ANNOTATION];
  if (liveHash !== planned.hash)
    return { apply: true, reason: liveHash ? 'desired state changed' : 'not applied by this operator yet' };
  if (hashOnly) return { apply: false };
  const diff = firstDifference(planned.body, live);
  return diff ? { apply: true, reason: `live object differs at ${diff}` } : { apply: false };
}

/** Kinds never pruned while the IstioOperator exists: deleting a CRD deletes every resource of it. */
export const PRUNE_PROTECTED_KINDS = new Set(['CustomResourceDefinition', 'Namespace']);

/**
 * Live owned objects that are no longer rendered, in deletion order. With `uninstall` everything
 * owned goes, CRDs included (the IstioOperator itself is being deleted).
 */
export function planPrune(
  desiredKeys: ReadonlySet<string>,
  liveOwned: readonly KubernetesObject[],
  uninstall = false,
): KubernetesObject[] {
  const stale = liveOwned.filter(
    (o) =>
      !desiredKeys.has(objectKey(o)) &&
      !o.metadata?.deletionTimestamp &&
      (uninstall || !PRUNE_PROTECTED_KINDS.has(o.kind ?? '')),
  );
  return deleteOrder(stale, (o) => componentOf(o) ?? '');
}
