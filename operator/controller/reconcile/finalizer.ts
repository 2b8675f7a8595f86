// Finalizer bookkeeping as merge patches. The patch carries the resourceVersion that was read, so a
// concurrent change to the finalizer list makes the write fail (409) instead of clobbering it.
import type { KubernetesObject } from '@kubernetes/client-node';
import { FINALIZER } from '../apply/ownership';

export function hasFinalizer(obj: KubernetesObject): boolean {
  return obj.metadata?.finalizers?.includes(FINALIZER) ?? false;
}

export function addFinalizerPatch(obj: KubernetesObject): object {
  return {
    metadata: {
      resourceVersion: obj.metadata?.resourceVersion,
      finalizers: [...(obj.metadata?.finalizers ?? []), FINALIZER],
    },
  };
}

export function removeFinalizerPatch(obj: KubernetesObject): object {
  return {
    metadata: {
      resourceVersion: obj.metadata?.resourceVersion,
      finalizers: (obj.metadata?.finalizers ?? []).filter((f) => f !== FINALIZER),
    },
  };
}
