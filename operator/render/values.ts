// Effective Helm-style values for rendering: the injector's defaults (lib/istio/values), the operator-only
// chart defaults below, the spec's `values`, then the IstioOperator fields that translate into values
// (hub, tag, revision, meshConfig, namespace, pilot hub/tag, the CNI switch) — as istioctl translates them.
import { deepMerge, isPlainObject, type PlainObject } from '../../lib/istio/merge';
import type { MeshConfig } from '../../lib/istio/mesh';
import {
  defaultValues,
  type GlobalValues,
  type PilotValues,
  type ResolvedValues,
  type ResourceValues,
} from '../../lib/istio/values';
import { ISTIO_HUB, ISTIO_VERSION } from '../../lib/version';
import type { IstioOperatorSpec } from '../api/types';

/** The istio-discovery chart's own (top-level) values, which IstioOperator carries under `values.pilot`. */
export interface PilotChartValues extends PilotValues {
  enabled?: boolean;
  hub: string;
  tag: string | number;
  variant: string;
  image: string;
  autoscaleEnabled: boolean;
  autoscaleMin: number;
  autoscaleMax: number;
  autoscaleBehavior: Record<string, unknown>;
  replicaCount: number;
  rollingMaxSurge: string | number;
  rollingMaxUnavailable: string | number;
  traceSampling: number;
  resources: ResourceValues | null;
  cpu: { targetAverageUtilization?: number };
  memory: { targetAverageUtilization?: number };
  env: Record<string, unknown>;
  envVarFrom: unknown[];
  nodeSelector: Record<string, string>;
  tolerations: unknown[];
  affinity: Record<string, unknown>;
  topologySpreadConstraints: unknown[];
  podAnnotations: Record<string, string>;
  podLabels: Record<string, string>;
  deploymentLabels: Record<string, string>;
  deploymentAnnotations: Record<string, string>;
  serviceAnnotations: Record<string, string>;
  serviceAccountAnnotations: Record<string, string>;
  keepaliveMaxServerConnectionAge: string;
  extraContainerArgs: string[];
  volumes: unknown[];
  volumeMounts: unknown[];
  seccompProfile: Record<string, unknown>;
  pdb: {
    minAvailable?: number | string;
    maxUnavailable?: number | string;
    unhealthyPodEvictionPolicy?: string;
  };
  taint: { enabled?: boolean; namespace?: string; name?: string };
  trustedZtunnelNamespace: string;
  trustedZtunnelName: string;
  ipFamilyPolicy: string;
  ipFamilies: string[];
  trafficDistribution?: string;
}

/** Global values only the operator's charts read (the injector's are typed in lib/istio/values). */
export interface OperatorGlobalValues extends GlobalValues {
  configValidation: boolean;
  defaultPodDisruptionBudget: { enabled?: boolean };
  defaultResources: ResourceValues;
  defaultNodeSelector: Record<string, string>;
  defaultTolerations: unknown[];
  priorityClassName: string;
  istiod: { enableAnalysis?: boolean };
  externalIstiod: boolean;
}

export interface RenderValues extends ResolvedValues {
  global: ResolvedValues['global'] & OperatorGlobalValues;
  pilot: PilotChartValues & { cni: NonNullable<PilotValues['cni']> };
  meshConfig: MeshConfig;
  gateways: Record<string, unknown> & {
    securityContext?: Record<string, unknown>;
    seccompProfile?: Record<string, unknown>;
  };
  cni: Record<string, unknown>;
  istio_cni: { enabled: boolean };
  telemetry: { enabled: boolean; v2: { enabled: boolean; prometheus: { enabled: boolean } } };
}

function operatorDefaults(): PlainObject {
  return {
    global: {
      // The release this build installs (lib/version.ts), whatever the injector's defaults say.
      hub: ISTIO_HUB,
      tag: ISTIO_VERSION,
      configValidation: true,
      defaultPodDisruptionBudget: { enabled: true },
      defaultResources: { requests: { cpu: '10m' } },
      defaultNodeSelector: {},
      defaultTolerations: [],
      priorityClassName: '',
      istiod: { enableAnalysis: false },
      externalIstiod: false,
    },
    pilot: {
      enabled: true,
      hub: '',
      tag: '',
      variant: '',
      image: 'pilot',
      autoscaleEnabled: true,
      autoscaleMin: 1,
      autoscaleMax: 5,
      autoscaleBehavior: {},
      replicaCount: 1,
      rollingMaxSurge: '100%',
      rollingMaxUnavailable: '25%',
      traceSampling: 1.0,
      resources: { requests: { cpu: '500m', memory: '2048Mi' } },
      cpu: { targetAverageUtilization: 80 },
      memory: {},
      envVarFrom: [],
      nodeSelector: {},
      tolerations: [],
      affinity: {},
      topologySpreadConstraints: [],
      podAnnotations: {},
      podLabels: {},
      deploymentLabels: {},
      deploymentAnnotations: {},
      serviceAnnotations: {},
      serviceAccountAnnotations: {},
      keepaliveMaxServerConnectionAge: '30m',
      extraContainerArgs: [],
      volumes: [],
      volumeMounts: [],
      seccompProfile: {},
      pdb: { minAvailable: 1, unhealthyPodEvictionPolicy: '' },
      taint: { enabled: false, namespace: '' },
      trustedZtunnelNamespace: '',
      trustedZtunnelName: '',
      ipFamilyPolicy: '',
      ipFamilies: [],
    },
    cni: {},
    istio_cni: { enabled: false },
    telemetry: { enabled: true, v2: { enabled: true, prometheus: { enabled: true } } },
  };
}

/** Effective values of a resolved spec. Pure; never mutates `spec`. */
export function resolveValues(spec: IstioOperatorSpec): RenderValues {
  let v = deepMerge(defaultValues() as unknown as PlainObject, operatorDefaults());
  if (isPlainObject(spec.values)) v = deepMerge(v, spec.values);
  const out = v as unknown as RenderValues;
  if (spec.hub) out.global.hub = spec.hub;
  if (spec.tag !== undefined && spec.tag !== '') out.global.tag = String(spec.tag);
  if (spec.namespace) out.global.istioNamespace = spec.namespace;
  if (spec.revision !== undefined) out.revision = spec.revision === 'default' ? '' : spec.revision;
  if (isPlainObject(spec.meshConfig)) out.meshConfig = deepMerge(out.meshConfig ?? {}, spec.meshConfig);
  const pilot = spec.components?.pilot;
  if (pilot?.hub) out.pilot.hub = pilot.hub;
  if (pilot?.tag !== undefined && pilot.tag !== '') out.pilot.tag = String(pilot.tag);
  // The injector switches istio-init to istio-validation on pilot.cni.enabled (istio_cni.enabled is the
  // older spelling, kept in sync for readers of either).
  const cniOn = spec.components?.cni?.enabled === true || out.istio_cni.enabled === true;
  out.pilot.cni = { ...out.pilot.cni, enabled: cniOn };
  if (typeof out.cni.provider === 'string') out.pilot.cni.provider = out.cni.provider;
  out.istio_cni = { ...out.istio_cni, enabled: cniOn };
  return out;
}

/** The Values subset the `istio-sidecar-injector` ConfigMap carries (as istiod's chart cuts it). */
export function injectorValues(v: RenderValues): PlainObject {
  return {
    global: v.global,
    sidecarInjectorWebhook: v.sidecarInjectorWebhook,
    revision: v.revision,
    pilot: { cni: v.pilot.cni, env: v.pilot.env ?? {} },
    istio_cni: v.istio_cni,
    gateways: {
      securityContext: v.gateways.securityContext ?? {},
      seccompProfile: v.gateways.seccompProfile ?? {},
    },
  };
}
