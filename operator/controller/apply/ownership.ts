// How the controller recognises what an IstioOperator owns: the owner labels the renderer stamps on
// every object (the same keys the removed in-cluster operator used, so objects it installed are
// adopted and pruned correctly). Label values can be at most 63 characters, which namespace and
// object names already satisfy.
import type { KubernetesObject } from '@kubernetes/client-node';
import { LABELS } from '../../../lib/istio/names';

export const LABEL_COMPONENT = LABELS.component;
export const LABEL_OWNING_RESOURCE = LABELS.owningResource;
export const LABEL_OWNING_NAMESPACE = LABELS.owningResourceNamespace;

/** The server-side-apply field manager (see docs/controller.md for why upstream's name is kept). */
export const FIELD_MANAGER = 'istio-operator';

/** Finalizer that makes deleting an IstioOperator uninstall what it owns first. */
export const FINALIZER = 'install.meshwright.io/uninstall';

/** Hash of the object as last applied; lets the controller skip identical applies. */
export const APPLIED_HASH_ANNOTATION = 'install.meshwright.io/applied-hash';

export interface OwnerRef {
  namespace: string;
  name: string;
}

export function ownerKey(o: OwnerRef): string {
  return `${o.namespace}/${o.name}`;
}

export function parseOwnerKey(key: string): OwnerRef {
  const i = key.indexOf('/');
  return { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

/** Label selector matching exactly the objects of one IstioOperator. */
export function ownerSelector(o: OwnerRef): string {
  return `${LABEL_OWNING_RESOURCE}=${o.name},${LABEL_OWNING_NAMESPACE}=${o.namespace}`;
}

/** Selector for every object any IstioOperator owns (what the drift watches observe). */
export const ANY_OWNER_SELECTOR = LABEL_OWNING_RESOURCE;

/** The owning IstioOperator of a live object, from its labels. */
export function ownerOf(obj: KubernetesObject): OwnerRef | undefined {
  const labels = obj.metadata?.labels ?? {};
  const name = labels[LABEL_OWNING_RESOURCE];
  const namespace = labels[LABEL_OWNING_NAMESPACE];
  if (!name || !namespace) return undefined;
  return { namespace, name };
}

export function componentOf(obj: KubernetesObject): string | undefined {
  return obj.metadata?.labels?.[LABEL_COMPONENT];
}
