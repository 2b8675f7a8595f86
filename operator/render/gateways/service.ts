// A gateway's Service: ingress LoadBalancer (15021, 80->8080, 443->8443), egress ClusterIP (80, 443).
import type { V1Service } from '@kubernetes/client-node';
import { GATEWAY_COMPONENT, type GatewayKind } from '../../api/components';
import type { RenderContext } from '../context';
import { appLabels, operatorLabels } from '../labels';
import type { ManifestObject } from '../types';
import type { GatewayValues } from './values';

export function gatewayService(
  ctx: RenderContext,
  kind: GatewayKind,
  gw: GatewayValues,
  namespace: string,
): ManifestObject & V1Service {
  const app = kind === 'ingressGateways' ? 'istio-ingressgateway' : 'istio-egressgateway';
  const spec: V1Service['spec'] = {
    type: gw.type,
    selector: { ...gw.labels },
    ports: gw.ports.map((p) => ({ ...p, protocol: p.protocol ?? 'TCP' })),
  };
  if (gw.loadBalancerIP) spec.loadBalancerIP = gw.loadBalancerIP;
  if (gw.loadBalancerSourceRanges?.length) spec.loadBalancerSourceRanges = gw.loadBalancerSourceRanges;
  if (gw.externalTrafficPolicy) spec.externalTrafficPolicy = gw.externalTrafficPolicy;
  if (gw.ipFamilyPolicy) spec.ipFamilyPolicy = gw.ipFamilyPolicy;
  if (gw.ipFamilies.length) spec.ipFamilies = gw.ipFamilies;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: gw.name,
      namespace,
      labels: { ...appLabels(app), ...gw.labels, ...operatorLabels(ctx, GATEWAY_COMPONENT[kind]) },
      ...(Object.keys(gw.serviceAnnotations).length ? { annotations: gw.serviceAnnotations } : {}),
    },
    spec,
  };
}
