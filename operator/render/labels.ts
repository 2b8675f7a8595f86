// Labels every rendered object carries. The operator labels are how the reconcile controller finds what a
// component owns (pruning, drift); the app labels are the conventional Kubernetes ones.
import { ISTIO_VERSION } from '../../lib/version';
import type { ComponentName } from '../api/components';
import type { RenderContext } from './context';
import type { ManifestObject } from './types';

export const LABEL_COMPONENT = 'operator.istio.io/component';
export const LABEL_OWNING_RESOURCE = 'install.operator.istio.io/owning-resource';
export const LABEL_OWNING_NAMESPACE = 'install.operator.istio.io/owning-resource-namespace';
export const LABEL_REVISION = 'istio.io/rev';
export const MANAGED_BY = 'meshwright';

/** The operator's ownership labels of a component's objects. */
export function operatorLabels(ctx: RenderContext, component: ComponentName): Record<string, string> {
  return {
    [LABEL_COMPONENT]: component,
    [LABEL_OWNING_RESOURCE]: ctx.ownerName,
    [LABEL_OWNING_NAMESPACE]: ctx.ownerNamespace,
    [LABEL_REVISION]: ctx.revLabel,
  };
}

/** Conventional app labels; `name` is the app (istiod, istio-ingressgateway, istio-cni ...). */
export function appLabels(name: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': name,
    'app.kubernetes.io/part-of': 'istio',
    'app.kubernetes.io/instance': 'istio',
    'app.kubernetes.io/version': ISTIO_VERSION,
    'app.kubernetes.io/managed-by': MANAGED_BY,
    release: 'istio',
  };
}

/** Adds the operator labels to every object (builders may have set more specific ones already). */
export function stampOperatorLabels(objects: ManifestObject[], labels: Record<string, string>): void {
  for (const o of objects) o.metadata.labels = { ...(o.metadata.labels ?? {}), ...labels };
}
