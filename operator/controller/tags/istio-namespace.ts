// Where a revision's control plane lives, read from its IstioOperator's spec as the renderer resolves it
// (operator/render/charts: spec.namespace becomes values.global.istioNamespace unless that is set; the
// profiles default it to istio-system; components.pilot.namespace moves istiod alone). Pure.

function record(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

const nonEmpty = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** values.global.istioNamespace as the charts see it (the revision validator's name carries it). */
export function istioNamespaceOf(iop: { spec?: unknown }): string {
  const spec = record(iop.spec);
  return (
    nonEmpty(record(record(spec.values).global).istioNamespace) ?? nonEmpty(spec.namespace) ?? 'istio-system'
  );
}

/** The namespace istiod runs in: its Services are there, and its tag watcher reads Services there only. */
export function istiodNamespaceOf(iop: { spec?: unknown }): string {
  const pilot = record(record(record(iop.spec).components).pilot);
  return nonEmpty(pilot.namespace) ?? istioNamespaceOf(iop);
}
