// Ingress and egress gateways (the classic IstioOperator gateways): per named gateway an Envoy Deployment,
// its Service, ServiceAccount, the SDS Role/RoleBinding that lets it read TLS secrets in its namespace, and
// HPA/PDB by the same rule as istiod.
import { GATEWAY_COMPONENT, type GatewayKind } from '../../api/components';
import type { GatewaySpec } from '../../api/types';
import type { RenderContext } from '../context';
import { appLabels, operatorLabels } from '../labels';
import { role, roleBinding, rule, serviceAccount } from '../rbac';
import { cpuMemoryMetrics, hpa, pdb, scalingPlan } from '../scaling';
import type { ManifestObject } from '../types';
import { gatewayDeployment } from './deployment';
import { gatewayService } from './service';
import { gatewayValues } from './values';

export function renderGateway(
  ctx: RenderContext,
  kind: GatewayKind,
  spec: GatewaySpec,
  namespace: string,
): ManifestObject[] {
  const gw = gatewayValues(kind, spec, ctx.values);
  const component = GATEWAY_COMPONENT[kind];
  const app = kind === 'ingressGateways' ? 'istio-ingressgateway' : 'istio-egressgateway';
  const labels = { ...appLabels(app), ...gw.labels, ...operatorLabels(ctx, component) };
  const sdsLabels = { ...appLabels(app), ...operatorLabels(ctx, component) };
  const sa = `${gw.name}-service-account`;
  const objects: ManifestObject[] = [
    serviceAccount(sa, namespace, labels, ctx.values.global.imagePullSecrets ?? []),
    // SDS: the gateway reads TLS credentials (Gateway credentialName) from secrets in its namespace.
    role(`${gw.name}-sds`, namespace, sdsLabels, [rule([''], ['secrets'], ['get', 'watch', 'list'])]),
    roleBinding(`${gw.name}-sds`, namespace, sdsLabels, `${gw.name}-sds`, sa),
    gatewayService(ctx, kind, gw, namespace),
    gatewayDeployment(ctx, kind, gw, namespace),
  ];
  const plan = scalingPlan(gw, spec.k8s, ctx.values.global.defaultPodDisruptionBudget.enabled !== false);
  if (plan.hpa) {
    objects.push(
      hpa(
        gw.name,
        namespace,
        labels,
        plan,
        cpuMemoryMetrics(gw.cpu.targetAverageUtilization, gw.memory.targetAverageUtilization),
      ),
    );
  }
  if (plan.pdb) objects.push(pdb(gw.name, namespace, labels, { ...gw.labels }, {}));
  return objects;
}
