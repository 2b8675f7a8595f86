// Objects an IstioOperator is about to delete (uninstall or prune) that another IstioOperator also renders.
// Two revisions' Base charts both render, for example, ServiceAccount istio-reader-service-account in the
// control-plane namespace: the first to apply it owns it and the other leaves it alone (taking it over
// would make the two fight), so deleting it with its owner would take it from under a revision that
// remains. Such objects are handed over (owner labels moved to the other IstioOperator, content untouched;
// its next pass applies its own rendering) instead of deleted. CRDs have their own rule (released, never
// handed over: docs/operator.md), so they are never in the hand-over.
import type { KubernetesObject } from '@kubernetes/client-node';
import { objectKey } from '../apply/object-key';
import {
  LABEL_COMPONENT,
  LABEL_OWNING_NAMESPACE,
  LABEL_OWNING_RESOURCE,
  ownerKey,
  type OwnerRef,
} from '../apply/ownership';

/** Who else renders an object: that IstioOperator and the component it renders the object in. */
export interface RenderedBy {
  owner: OwnerRef;
  component: string;
}

export interface HandOver {
  obj: KubernetesObject;
  /** The owner and component labels that make it the other IstioOperator's. */
  labels: Record<string, string>;
}

export interface SharedPlan {
  handOver: HandOver[];
  /** What nobody else renders: deleted, in the order given. */
  remove: KubernetesObject[];
}

/**
 * Splits `doomed` (live objects of `self`, in deletion order) into those another IstioOperator renders
 * (`elsewhere`: object key -> who) and those that can go.
 */
export function planHandOver(
  self: OwnerRef,
  doomed: readonly KubernetesObject[],
  elsewhere: ReadonlyMap<string, RenderedBy>,
): SharedPlan {
  const handOver: HandOver[] = [];
  const remove: KubernetesObject[] = [];
  for (const obj of doomed) {
    const other = obj.kind === 'CustomResourceDefinition' ? undefined : elsewhere.get(objectKey(obj));
    if (!other || ownerKey(other.owner) === ownerKey(self)) {
      remove.push(obj);
      continue;
    }
    handOver.push({
      obj,
      labels: {
        [LABEL_OWNING_RESOURCE]: other.owner.name,
        [LABEL_OWNING_NAMESPACE]: other.owner.namespace,
        [LABEL_COMPONENT]: other.component,
      },
    });
  }
  return { handOver, remove };
}
