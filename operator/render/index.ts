// render(): IstioOperator + inputs -> typed objects per component. Pure: no I/O, no clock, no randomness.
// Pipeline: resolve the spec (profile, user spec, --set) -> validate -> effective values -> build each
// enabled component -> k8s settings -> overlays -> operator labels on every object.
import type { ComponentName, GatewayKind } from '../api/components';
import { GATEWAY_COMPONENT, GATEWAY_KINDS } from '../api/components';
import { resolveSpec } from '../api/resolve';
import type { IstioOperator, KubernetesResourceSpec } from '../api/types';
import { validateSpec, ValidationError } from '../api/validate';
import { renderBase } from './base';
import { CNI_NAME, renderCni } from './cni';
import { makeContext, revisioned, type RenderContext } from './context';
import { gatewayEnabled } from './gateways/values';
import { renderGateway } from './gateways';
import { applyK8sSettings, type K8sTargets } from './k8s-settings';
import { operatorLabels, stampOperatorLabels } from './labels';
import { applyOverlays } from './overlays';
import { renderPilot } from './pilot';
import type { ManifestObject, RenderedComponent, RenderedManifest, RenderInputs } from './types';
import { resolveValues } from './values';

export type { RenderedManifest, RenderInputs, RenderedComponent, ManifestObject } from './types';
export { applyOrder } from './order';
export { MANAGED_KINDS } from './gvk';

function finish(
  ctx: RenderContext,
  warnings: string[],
  component: ComponentName,
  namespace: string,
  objects: ManifestObject[],
  k8s: KubernetesResourceSpec | undefined,
  targets: K8sTargets | undefined,
  gateway?: string,
): RenderedComponent {
  if (targets) applyK8sSettings(objects, k8s, targets);
  warnings.push(...applyOverlays(objects, k8s?.overlays, gateway ? `${component} ${gateway}` : component));
  stampOperatorLabels(objects, operatorLabels(ctx, component));
  return { component, namespace, objects, ...(gateway ? { gateway } : {}) };
}

/**
 * Renders an IstioOperator. Throws ValidationError (invalid spec), ProfileError (unknown/unsupported
 * profile), SetPathError (bad --set) or OverlayError (an overlay that matches nothing).
 */
export function render(iop: IstioOperator, inputs: RenderInputs): RenderedManifest {
  const setFlags = [...(inputs.setFlags ?? [])];
  if (inputs.revision !== undefined) setFlags.push(`revision=${inputs.revision}`);
  const userErrors = validateSpec(iop.spec, false);
  if (userErrors.length) throw new ValidationError(userErrors);
  const spec = resolveSpec(iop.spec, setFlags);
  const errors = validateSpec(spec);
  if (errors.length) throw new ValidationError(errors);
  const values = resolveValues(spec);
  const ctx = makeContext(iop, spec, values);
  const c = spec.components ?? {};
  const components: RenderedComponent[] = [];
  const warnings: string[] = [];

  if (c.base?.enabled) {
    if (inputs.crds.length === 0)
      warnings.push('Base: no Istio API CRDs were given (crds/istio/*.yaml); rendered without them');
    components.push(
      finish(ctx, warnings, 'Base', ctx.istioNamespace, renderBase(ctx, inputs.crds), c.base.k8s, undefined),
    );
  }
  if (c.cni?.enabled) {
    const ns = c.cni.namespace || ctx.istioNamespace;
    components.push(
      finish(ctx, warnings, 'Cni', ns, renderCni(ctx, ns), c.cni.k8s, {
        workloadKind: 'DaemonSet',
        workloadName: `${CNI_NAME}-node`,
        container: 'install-cni',
      }),
    );
  }
  if (c.pilot?.enabled) {
    const ns = c.pilot.namespace || ctx.istioNamespace;
    const name = revisioned(ctx, 'istiod');
    components.push(
      finish(ctx, warnings, 'Pilot', ns, renderPilot(ctx, ns), c.pilot.k8s, {
        workloadKind: 'Deployment',
        workloadName: name,
        container: 'discovery',
        serviceName: name,
      }),
    );
  }
  for (const kind of GATEWAY_KINDS as readonly GatewayKind[]) {
    for (const gw of c[kind] ?? []) {
      if (!gatewayEnabled(gw, values)) continue;
      const ns = gw.namespace || ctx.istioNamespace;
      const targets: K8sTargets = {
        workloadKind: 'Deployment',
        workloadName: gw.name,
        container: 'istio-proxy',
        serviceName: gw.name,
      };
      components.push(
        finish(
          ctx,
          warnings,
          GATEWAY_COMPONENT[kind],
          ns,
          renderGateway(ctx, kind, gw, ns),
          gw.k8s,
          targets,
          gw.name,
        ),
      );
    }
  }
  const namespaces = [
    ...new Set(
      components.flatMap((x) => x.objects.map((o) => o.metadata.namespace).filter((n): n is string => !!n)),
    ),
  ].sort();
  return { spec, values, revision: ctx.revision, namespaces, components, warnings };
}
