// Values of the istio-cni chart Meshwright reads, with Istio 1.30's defaults, overlaid with `values.cni`
// and the component's hub/tag.
import type { V1ResourceRequirements, V1Toleration } from '@kubernetes/client-node';
import { deepMerge, isPlainObject, type PlainObject } from '../../../lib/istio/merge';
import type { RenderContext } from '../context';

export const CNI_NAME = 'istio-cni';

/** Values of the istio-cni chart Meshwright reads, with its defaults. */
export interface CniChartValues {
  hub: string;
  tag: string | number;
  variant: string;
  image: string;
  logging: { level?: string };
  cniBinDir: string;
  cniConfDir: string;
  cniConfFileName: string;
  cniNetnsDir: string;
  excludeNamespaces: string[];
  chained: boolean;
  provider: string;
  podAnnotations: Record<string, string>;
  podLabels: Record<string, string>;
  ambient: {
    enabled: boolean;
    dnsCapture: boolean;
    ipv6: boolean;
    reconcileIptablesOnStartup: boolean;
    enableAmbientDetectionRetry: boolean;
    enablementSelectors: unknown[];
  };
  repair: {
    enabled: boolean;
    labelPods: boolean;
    deletePods: boolean;
    repairPods: boolean;
    initContainerName: string;
    brokenPodLabelKey: string;
    brokenPodLabelValue: string;
  };
  resources: V1ResourceRequirements;
  tolerations: V1Toleration[];
  nodeSelector?: Record<string, string>;
  terminationGracePeriodSeconds: number;
  env: Record<string, unknown>;
  istioOwnedCNIConfig: boolean;
  istioOwnedCNIConfigFileName: string;
}

function cniDefaults(): CniChartValues {
  return {
    hub: '',
    tag: '',
    variant: '',
    image: 'install-cni',
    logging: { level: '' },
    cniBinDir: '/opt/cni/bin',
    cniConfDir: '/etc/cni/net.d',
    cniConfFileName: '',
    cniNetnsDir: '/var/run/netns',
    excludeNamespaces: ['kube-system'],
    chained: true,
    provider: 'default',
    podAnnotations: {},
    podLabels: {},
    ambient: {
      enabled: false,
      dnsCapture: true,
      ipv6: true,
      reconcileIptablesOnStartup: true,
      enableAmbientDetectionRetry: false,
      enablementSelectors: [
        { podSelector: { matchLabels: { 'istio.io/dataplane-mode': 'ambient' } } },
        {
          podSelector: {
            matchExpressions: [{ key: 'istio.io/dataplane-mode', operator: 'NotIn', values: ['none'] }],
          },
          namespaceSelector: { matchLabels: { 'istio.io/dataplane-mode': 'ambient' } },
        },
      ],
    },
    repair: {
      enabled: true,
      labelPods: false,
      deletePods: false,
      repairPods: true,
      initContainerName: 'istio-validation',
      brokenPodLabelKey: 'cni.istio.io/uninitialized',
      brokenPodLabelValue: 'true',
    },
    resources: { requests: { cpu: '100m', memory: '100Mi' } },
    // The node agent must run on every node, whatever its taints.
    tolerations: [
      { effect: 'NoSchedule', operator: 'Exists' },
      { key: 'CriticalAddonsOnly', operator: 'Exists' },
      { effect: 'NoExecute', operator: 'Exists' },
    ],
    terminationGracePeriodSeconds: 30,
    env: {},
    istioOwnedCNIConfig: false,
    istioOwnedCNIConfigFileName: '',
  };
}

export function cniValues(ctx: RenderContext): CniChartValues {
  let v = cniDefaults() as unknown as PlainObject;
  if (isPlainObject(ctx.values.cni)) v = deepMerge(v, ctx.values.cni);
  const out = v as unknown as CniChartValues;
  const comp = ctx.spec.components?.cni;
  if (comp?.hub) out.hub = comp.hub;
  if (comp?.tag !== undefined && comp.tag !== '') out.tag = String(comp.tag);
  return out;
}
