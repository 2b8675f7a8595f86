// Typed values of the classic ingress/egress gateway charts and their defaults (Istio 1.30). Every gateway
// of a kind starts from these, then `values.gateways.<istio-ingressgateway|istio-egressgateway>`, then its
// IstioOperator component (name, namespace, label, hub, tag); k8s settings are patched after rendering.
import { deepMerge, isPlainObject, type PlainObject } from '../../../lib/istio/merge';
import type { ResourceValues } from '../../../lib/istio/values';
import { DEFAULT_GATEWAY_NAME, type GatewayKind } from '../../api/components';
import type { GatewaySpec } from '../../api/types';
import type { RenderValues } from '../values';

export interface GatewayPort {
  port: number;
  targetPort?: number;
  name?: string;
  protocol?: string;
  nodePort?: number;
}

export interface SecretVolume {
  name: string;
  secretName: string;
  mountPath: string;
}

export interface GatewayValues {
  enabled?: boolean;
  name: string;
  labels: Record<string, string>;
  ports: GatewayPort[];
  rollingMaxSurge: string | number;
  rollingMaxUnavailable: string | number;
  autoscaleEnabled: boolean;
  autoscaleMin: number;
  autoscaleMax: number;
  replicaCount?: number;
  cpu: { targetAverageUtilization?: number };
  memory: { targetAverageUtilization?: number };
  resources: ResourceValues | null;
  serviceAnnotations: Record<string, string>;
  podAnnotations: Record<string, string>;
  type: string;
  loadBalancerIP?: string;
  loadBalancerSourceRanges?: string[];
  externalTrafficPolicy?: string;
  ipFamilyPolicy: string;
  ipFamilies: string[];
  secretVolumes: SecretVolume[];
  env: Record<string, string>;
  nodeSelector: Record<string, string>;
  tolerations: unknown[];
  runAsRoot: boolean;
  hub?: string;
  tag?: string | number;
  [key: string]: unknown;
}

function chartDefaults(kind: GatewayKind): GatewayValues {
  const ingress = kind === 'ingressGateways';
  const short = ingress ? 'ingressgateway' : 'egressgateway';
  return {
    name: DEFAULT_GATEWAY_NAME[kind],
    labels: { app: DEFAULT_GATEWAY_NAME[kind], istio: short },
    // Ingress exposes the status port first: cloud load balancers health-check the first port.
    ports: ingress
      ? [
          { port: 15021, targetPort: 15021, name: 'status-port', protocol: 'TCP' },
          { port: 80, targetPort: 8080, name: 'http2', protocol: 'TCP' },
          { port: 443, targetPort: 8443, name: 'https', protocol: 'TCP' },
        ]
      : [
          { port: 80, targetPort: 8080, name: 'http2', protocol: 'TCP' },
          { port: 443, targetPort: 8443, name: 'https', protocol: 'TCP' },
        ],
    rollingMaxSurge: '100%',
    rollingMaxUnavailable: '25%',
    autoscaleEnabled: true,
    autoscaleMin: 1,
    autoscaleMax: 5,
    cpu: { targetAverageUtilization: 80 },
    memory: {},
    resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '2000m', memory: '1024Mi' } },
    serviceAnnotations: {},
    podAnnotations: {},
    type: ingress ? 'LoadBalancer' : 'ClusterIP',
    ipFamilyPolicy: '',
    ipFamilies: [],
    secretVolumes: [
      { name: `${short}-certs`, secretName: `istio-${short}-certs`, mountPath: `/etc/istio/${short}-certs` },
      {
        name: `${short}-ca-certs`,
        secretName: `istio-${short}-ca-certs`,
        mountPath: `/etc/istio/${short}-ca-certs`,
      },
    ],
    env: {},
    nodeSelector: {},
    tolerations: [],
    runAsRoot: false,
  };
}

/** The effective values of one gateway component. */
export function gatewayValues(kind: GatewayKind, gw: GatewaySpec, values: RenderValues): GatewayValues {
  const fromValues = values.gateways[DEFAULT_GATEWAY_NAME[kind]];
  let v = chartDefaults(kind) as unknown as PlainObject;
  if (isPlainObject(fromValues)) v = deepMerge(v, fromValues);
  const out = v as unknown as GatewayValues;
  out.name = gw.name;
  if (gw.label) out.labels = { ...out.labels, ...gw.label };
  if (gw.hub) out.hub = gw.hub;
  if (gw.tag !== undefined && gw.tag !== '') out.tag = String(gw.tag);
  return out;
}

/**
 * Whether a gateway is rendered: its `enabled`, except that `values.gateways.<default name>.enabled` decides
 * for the gateway of that name (istioctl honours the Helm-style switch, e.g. for the egress gateway).
 */
export function gatewayEnabled(gw: GatewaySpec, values: RenderValues): boolean {
  const v = values.gateways[gw.name];
  if (isPlainObject(v) && typeof v.enabled === 'boolean') return v.enabled;
  return gw.enabled === true;
}
