// Where a revision's control plane lives, read from its IstioOperator's spec as the renderer resolves it
// (operator/render/charts: spec.namespace becomes values.global.istioNamespace unless that is set; the
// profiles default it to istio-system; components.pilot.namespace moves istiod alone). Pure.
import { getString } from '../../render/charts/values-map';

/** values.global.istioNamespace as the charts see it (the revision validator's name carries it). */
export function istioNamespaceOf(iop: { spec?: unknown }): string {
  return (
    getString(iop, 'spec.values.global.istioNamespace') || getString(iop, 'spec.namespace') || 'istio-system'
  );
}

/** The namespace istiod runs in: its Services are there, and its tag watcher reads Services there only. */
export function istiodNamespaceOf(iop: { spec?: unknown }): string {
  return getString(iop, 'spec.components.pilot.namespace') || istioNamespaceOf(iop);
}
