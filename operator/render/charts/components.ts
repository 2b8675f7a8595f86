// The one component table: which chart renders each IstioOperator component, under which values root,
// in which order, and which workload its `k8s` settings patch. Mirrors istioctl's own table (1.24+).
import type { PlainObject } from '../../../lib/istio/merge';
import { isPlainObject } from '../../../lib/istio/merge';
import { getBool, getPath, getString } from './values-map';

export type ChartComponentName = 'Base' | 'Pilot' | 'IngressGateways' | 'EgressGateways' | 'Cni' | 'Ztunnel';

export interface ChartComponent {
  /** Name in labels, status and messages. */
  readonly name: ChartComponentName;
  /** Key under `spec.components`. */
  readonly specName: string;
  /** Rendered when the spec does not mention it. */
  readonly enabledByDefault: boolean;
  /** A list of named instances (gateways). */
  readonly multi: boolean;
  /** Chart directory under `<manifests>/charts`. */
  readonly chartPath: string;
  /** Where the component's values live under `spec.values` (`pilot`, `gateways.istio-ingressgateway`). */
  readonly valuesRoot: string;
  /** The chart reads its values unprefixed (`resources`, not `ztunnel.resources`). */
  readonly flattenValues: boolean;
  /** A values path that enables the component too (`values.gateways.istio-egressgateway.enabled`). */
  readonly altEnablementPath?: string;
  /** The workload `k8s` settings patch, and its main container. */
  readonly workload?: { kind: 'Deployment' | 'DaemonSet'; name: string; container: string };
}

/** Render (and apply) order, as istioctl iterates it. */
export const CHART_COMPONENTS: readonly ChartComponent[] = [
  {
    name: 'Base',
    specName: 'base',
    enabledByDefault: true,
    multi: false,
    chartPath: 'base',
    valuesRoot: 'global',
    flattenValues: false,
  },
  {
    name: 'Pilot',
    specName: 'pilot',
    enabledByDefault: true,
    multi: false,
    chartPath: 'istio-control/istio-discovery',
    valuesRoot: 'pilot',
    flattenValues: false,
    workload: { kind: 'Deployment', name: 'istiod', container: 'discovery' },
  },
  {
    name: 'IngressGateways',
    specName: 'ingressGateways',
    enabledByDefault: true,
    multi: true,
    chartPath: 'gateways/istio-ingress',
    valuesRoot: 'gateways.istio-ingressgateway',
    flattenValues: false,
    altEnablementPath: 'spec.values.gateways.istio-ingressgateway.enabled',
    workload: { kind: 'Deployment', name: 'istio-ingressgateway', container: 'istio-proxy' },
  },
  {
    name: 'EgressGateways',
    specName: 'egressGateways',
    enabledByDefault: false,
    multi: true,
    chartPath: 'gateways/istio-egress',
    valuesRoot: 'gateways.istio-egressgateway',
    flattenValues: false,
    altEnablementPath: 'spec.values.gateways.istio-egressgateway.enabled',
    workload: { kind: 'Deployment', name: 'istio-egressgateway', container: 'istio-proxy' },
  },
  {
    name: 'Cni',
    specName: 'cni',
    enabledByDefault: false,
    multi: false,
    chartPath: 'istio-cni',
    valuesRoot: 'cni',
    flattenValues: false,
    workload: { kind: 'DaemonSet', name: 'istio-cni-node', container: 'install-cni' },
  },
  {
    name: 'Ztunnel',
    specName: 'ztunnel',
    enabledByDefault: false,
    multi: false,
    chartPath: 'ztunnel',
    valuesRoot: 'ztunnel',
    flattenValues: true,
    workload: { kind: 'DaemonSet', name: 'ztunnel', container: 'istio-proxy' },
  },
];

export const isGateway = (c: ChartComponent): boolean => c.multi;

/** One instance of a component to render: its spec entry (raw) and resolved namespace. */
export interface ComponentInstance {
  readonly component: ChartComponent;
  /** The raw `spec.components.<c>` entry (`{}` when enabled by default without an entry). */
  readonly raw: PlainObject;
  readonly namespace: string;
  /** Gateway name ('' for other components). */
  readonly name: string;
}

/**
 * The enabled instances of `c` in the merged IstioOperator: entries default to enabled, a component absent
 * from the spec follows its default, and the alternative values switch enables gateways wholesale.
 */
export function componentInstances(c: ChartComponent, merged: PlainObject): ComponentInstance[] {
  const defaultNs = getString(merged, 'metadata.namespace');
  const altEnabled = c.altEnablementPath !== undefined && getBool(merged, c.altEnablementPath);
  const byDefault = c.enabledByDefault || altEnabled;
  const make = (raw: PlainObject): ComponentInstance => {
    const ns = typeof raw.namespace === 'string' && raw.namespace !== '' ? raw.namespace : defaultNs;
    return {
      component: c,
      raw,
      namespace: ns || 'istio-system',
      name: typeof raw.name === 'string' ? raw.name : '',
    };
  };
  const defaults = byDefault ? [make({})] : [];
  const enabled = (raw: PlainObject): boolean => raw.enabled !== false || altEnabled;
  const entry = getPath(merged, `spec.components.${c.specName}`);
  if (entry === undefined || entry === null) return defaults;
  if (c.multi) {
    const list = Array.isArray(entry) ? entry : [];
    return list
      .map((x) => (isPlainObject(x) ? x : {}))
      .filter(enabled)
      .map(make);
  }
  const raw = isPlainObject(entry) ? entry : {};
  return enabled(raw) ? [make(raw)] : [];
}
