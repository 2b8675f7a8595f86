// Typed Helm-style values of the istio-discovery chart, in the shape the sidecar injector reads them
// (the `values` key of the `istio-sidecar-injector` ConfigMap: global, sidecarInjectorWebhook, revision,
// pilot.{cni,env}, gateways) plus the few chart-level fields the operator renders.
// Only fields that injection or the operator use are typed; everything else passes through untyped.

/** Image hub and tag of a real 1.30.3 install. The conformance suite overlays its own test hub/tag. */
export const RELEASE_HUB = 'docker.io/istio';
export const RELEASE_TAG = '1.30.3';

/** Kubernetes-style compute resources as values carry them (quantities as strings or numbers). */
export interface ResourceValues {
  requests?: Record<string, string | number | null>;
  limits?: Record<string, string | number | null>;
  [key: string]: unknown;
}

export interface ProxyValues {
  /** Image name (resolved against hub/tag) or a full reference when it contains '/'. */
  image?: string;
  autoInject?: 'enabled' | 'disabled' | string;
  clusterDomain?: string;
  componentLogLevel?: string;
  logLevel?: string;
  excludeInboundPorts?: string;
  includeInboundPorts?: string;
  includeIPRanges?: string;
  excludeIPRanges?: string;
  includeOutboundPorts?: string;
  excludeOutboundPorts?: string;
  outlierLogPath?: string;
  privileged?: boolean;
  capNetBindService?: boolean;
  seccompProfile?: Record<string, unknown>;
  readinessFailureThreshold?: number;
  readinessInitialDelaySeconds?: number;
  readinessPeriodSeconds?: number;
  startupProbe?: { enabled?: boolean; failureThreshold?: number };
  resources?: ResourceValues | null;
  statusPort?: number;
  tracer?: string;
  holdApplicationUntilProxyStarts?: boolean;
  lifecycle?: Record<string, unknown>;
  variant?: string;
  [key: string]: unknown;
}

export interface ProxyInitValues {
  image?: string;
  forceApplyIptables?: boolean;
  [key: string]: unknown;
}

export interface GlobalValues {
  istioNamespace?: string;
  hub?: string;
  tag?: string | number;
  variant?: string;
  imagePullPolicy?: string;
  imagePullSecrets?: string[];
  logAsJson?: boolean;
  nativeNftables?: boolean;
  logging?: { level?: string };
  proxy?: ProxyValues;
  proxy_init?: ProxyInitValues;
  caAddress?: string;
  caName?: string;
  meshID?: string;
  mountMtlsCerts?: boolean;
  multiCluster?: { clusterName?: string; [key: string]: unknown };
  network?: string;
  pilotCertProvider?: string;
  sds?: { token?: { aud?: string } };
  sts?: { servicePort?: number };
  trustDomain?: string;
  trustBundleName?: string;
  platform?: string;
  [key: string]: unknown;
}

export interface SidecarInjectorWebhookValues {
  neverInjectSelector?: LabelSelectorValue[];
  alwaysInjectSelector?: LabelSelectorValue[];
  injectedAnnotations?: Record<string, string>;
  enableNamespacesByDefault?: boolean;
  reinvocationPolicy?: string;
  rewriteAppHTTPProbe?: boolean;
  /** User Go templates by name (not executable by this engine; see docs/injection.md). */
  templates?: Record<string, string>;
  defaultTemplates?: string[];
  [key: string]: unknown;
}

/** A Kubernetes LabelSelector as values carry it. */
export interface LabelSelectorValue {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

export interface CniValues {
  enabled?: boolean;
  provider?: string;
  [key: string]: unknown;
}

export interface PilotValues {
  cni?: CniValues;
  env?: Record<string, unknown>;
  crlConfigMapName?: string;
  [key: string]: unknown;
}

export interface Values {
  global?: GlobalValues;
  sidecarInjectorWebhook?: SidecarInjectorWebhookValues;
  revision?: string;
  pilot?: PilotValues;
  gateways?: { securityContext?: Record<string, unknown>; seccompProfile?: Record<string, unknown> };
  /** IstioOperator-level CNI values (`values.cni.*`); `provider` is propagated to pilot.cni. */
  cni?: CniValues;
  /** Legacy IstioOperator spelling of the CNI switch. */
  istio_cni?: { enabled?: boolean; [key: string]: unknown };
  meshConfig?: Record<string, unknown>;
  [key: string]: unknown;
}

/** A fully defaulted Values object: the sections injection reads are always present. */
export interface ResolvedValues extends Values {
  global: GlobalValues & { proxy: ProxyValues; proxy_init: ProxyInitValues };
  sidecarInjectorWebhook: SidecarInjectorWebhookValues;
  pilot: PilotValues & { cni: CniValues };
  revision: string;
}

/**
 * The istio-discovery chart defaults (profile empty + pilot) for the fields injection and the operator
 * read. Returns a fresh object on every call, so callers may mutate it.
 */
export function defaultValues(): ResolvedValues {
  return {
    global: {
      istioNamespace: 'istio-system',
      hub: RELEASE_HUB,
      tag: RELEASE_TAG,
      variant: '',
      imagePullPolicy: '',
      imagePullSecrets: [],
      logAsJson: false,
      nativeNftables: false,
      logging: { level: 'default:info' },
      proxy: {
        image: 'proxyv2',
        autoInject: 'enabled',
        clusterDomain: 'cluster.local',
        componentLogLevel: 'misc:error',
        excludeInboundPorts: '',
        includeInboundPorts: '*',
        includeIPRanges: '*',
        excludeIPRanges: '',
        includeOutboundPorts: '',
        excludeOutboundPorts: '',
        logLevel: 'warning',
        outlierLogPath: '',
        privileged: false,
        seccompProfile: {},
        readinessFailureThreshold: 4,
        readinessInitialDelaySeconds: 0,
        readinessPeriodSeconds: 15,
        startupProbe: { enabled: true, failureThreshold: 600 },
        resources: {
          requests: { cpu: '100m', memory: '128Mi' },
          limits: { cpu: '2000m', memory: '1024Mi' },
        },
        statusPort: 15020,
        tracer: 'none',
      },
      proxy_init: { image: 'proxyv2', forceApplyIptables: false },
      caAddress: '',
      caName: '',
      meshID: '',
      mountMtlsCerts: false,
      multiCluster: { clusterName: '' },
      network: '',
      pilotCertProvider: 'istiod',
      sds: { token: { aud: 'istio-ca' } },
      sts: { servicePort: 0 },
    },
    sidecarInjectorWebhook: {
      neverInjectSelector: [],
      alwaysInjectSelector: [],
      injectedAnnotations: {},
      enableNamespacesByDefault: false,
      reinvocationPolicy: 'Never',
      rewriteAppHTTPProbe: true,
      templates: {},
      defaultTemplates: [],
    },
    revision: '',
    pilot: { cni: { enabled: false, provider: 'default' }, env: {} },
    gateways: { securityContext: {}, seccompProfile: {} },
    meshConfig: { enablePrometheusMerge: true },
  };
}
