// What every builder needs besides its own values: revision naming, namespaces and the owning resource.
import type { IstioOperator, IstioOperatorSpec } from '../api/types';
import type { RenderValues } from './values';

export interface RenderContext {
  spec: IstioOperatorSpec;
  values: RenderValues;
  /** '' for the default revision. */
  revision: string;
  /** The `istio.io/rev` label value: the revision, or 'default'. */
  revLabel: string;
  /** global.istioNamespace: where istiod's cluster-facing objects point (CA address, webhooks). */
  istioNamespace: string;
  ownerName: string;
  ownerNamespace: string;
}

export function makeContext(
  iop: IstioOperator,
  spec: IstioOperatorSpec,
  values: RenderValues,
): RenderContext {
  // 'default' names the unrevisioned control plane (as istioctl and the injector treat it).
  const revision = spec.revision === 'default' ? '' : (spec.revision ?? '');
  const istioNamespace = values.global.istioNamespace ?? 'istio-system';
  return {
    spec,
    values,
    revision,
    revLabel: revision || 'default',
    istioNamespace,
    // Upstream's label value when rendering without a CR ('unknown'), so CLI output matches istioctl's.
    ownerName: iop.metadata?.name ?? 'unknown',
    ownerNamespace: iop.metadata?.namespace ?? istioNamespace,
  };
}

/** `name` or `name-<revision>`: how istiod's objects are named per revision. */
export function revisioned(ctx: RenderContext, name: string): string {
  return ctx.revision ? `${name}-${ctx.revision}` : name;
}
