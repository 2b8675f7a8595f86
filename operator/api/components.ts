// Component names as they appear in the `operator.istio.io/component` label and in status.componentStatus.
export type ComponentName = 'Base' | 'Pilot' | 'Cni' | 'IngressGateways' | 'EgressGateways';

/** The keys of `spec.components`, including ones Meshwright knows but does not render yet. */
export const COMPONENT_KEYS = [
  'base',
  'pilot',
  'cni',
  'ztunnel',
  'ingressGateways',
  'egressGateways',
] as const;
export type ComponentKey = (typeof COMPONENT_KEYS)[number];

/** Components that are accepted in the spec but cannot be enabled until implemented. */
export const UNSUPPORTED_COMPONENTS: readonly ComponentKey[] = ['ztunnel'];

export const GATEWAY_KINDS = ['ingressGateways', 'egressGateways'] as const;
export type GatewayKind = (typeof GATEWAY_KINDS)[number];

export const GATEWAY_COMPONENT: Record<GatewayKind, ComponentName> = {
  ingressGateways: 'IngressGateways',
  egressGateways: 'EgressGateways',
};

/** The chart-level gateway each kind defaults from (also the name of the profile's gateway). */
export const DEFAULT_GATEWAY_NAME: Record<GatewayKind, string> = {
  ingressGateways: 'istio-ingressgateway',
  egressGateways: 'istio-egressgateway',
};
