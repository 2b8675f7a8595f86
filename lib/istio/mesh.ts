// Typed MeshConfig (the `mesh` key of the `istio` ConfigMap) and its ProxyConfig (`defaultConfig`,
// also the `proxy.istio.io/config` annotation), camelCase as in that ConfigMap. Only the fields the
// injector and the operator read are typed; the rest passes through.

export type InterceptionMode = 'REDIRECT' | 'TPROXY' | 'NONE';

export interface TracingConfig {
  zipkin?: { address?: string };
  datadog?: { address?: string };
  lightstep?: { address?: string; accessToken?: string };
  stackdriver?: Record<string, unknown>;
  tlsSettings?: { caCertificates?: string; [key: string]: unknown };
  [key: string]: unknown;
}

export interface ProxyConfig {
  configPath?: string;
  binaryPath?: string;
  serviceCluster?: string;
  drainDuration?: string;
  discoveryAddress?: string;
  proxyAdminPort?: number;
  controlPlaneAuthPolicy?: string;
  statNameLength?: number;
  concurrency?: number | null;
  interceptionMode?: InterceptionMode | string;
  tracing?: TracingConfig | null;
  proxyMetadata?: Record<string, string>;
  statusPort?: number;
  terminationDrainDuration?: string;
  meshId?: string;
  holdApplicationUntilProxyStarts?: boolean | null;
  image?: { imageType?: string };
  [key: string]: unknown;
}

export interface ExtensionProvider {
  name: string;
  opentelemetry?: {
    service?: string;
    port?: number;
    serviceAttributeEnrichment?: string;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

export interface MeshConfig {
  proxyListenPort?: number;
  proxyInboundListenPort?: number;
  trustDomain?: string;
  trustDomainAliases?: string[];
  rootNamespace?: string;
  enablePrometheusMerge?: boolean;
  enableTracing?: boolean;
  accessLogFile?: string;
  ingressClass?: string;
  ingressService?: string;
  ingressControllerMode?: string;
  outboundTrafficPolicy?: { mode?: string };
  inboundTrafficPolicy?: { mode?: string };
  defaultProviders?: { metrics?: string[]; tracing?: string[]; accessLogging?: string[] };
  extensionProviders?: ExtensionProvider[];
  /**
   * ProxyConfig overrides as configured (not filled with defaults): istiod passes exactly these to the
   * proxy in PROXY_CONFIG. Effective values come from `effectiveProxyConfig`.
   */
  defaultConfig?: ProxyConfig;
  [key: string]: unknown;
}

/**
 * Mesh defaults as istiod applies them (trust domain cluster.local, root namespace istio-system,
 * Prometheus merge on). `defaultConfig` is empty: proxy defaults live in `defaultProxyConfig`.
 * Returns a fresh object on every call.
 */
export function defaultMeshConfig(): MeshConfig {
  return {
    proxyListenPort: 15001,
    proxyInboundListenPort: 15006,
    trustDomain: 'cluster.local',
    trustDomainAliases: [],
    rootNamespace: 'istio-system',
    enablePrometheusMerge: true,
    enableTracing: true,
    accessLogFile: '',
    ingressClass: 'istio',
    ingressService: 'istio-ingressgateway',
    ingressControllerMode: 'STRICT',
    outboundTrafficPolicy: { mode: 'ALLOW_ANY' },
    inboundTrafficPolicy: { mode: 'PASSTHROUGH' },
    defaultProviders: { metrics: ['prometheus'] },
    extensionProviders: [],
    defaultConfig: {},
  };
}

/** istiod's ProxyConfig defaults (what a proxy runs with when nothing overrides a field). */
export function defaultProxyConfig(): ProxyConfig {
  return {
    configPath: './etc/istio/proxy',
    binaryPath: '/usr/local/bin/envoy',
    serviceCluster: 'istio-proxy',
    drainDuration: '45s',
    terminationDrainDuration: '5s',
    discoveryAddress: 'istiod.istio-system.svc:15012',
    proxyAdminPort: 15000,
    controlPlaneAuthPolicy: 'MUTUAL_TLS',
    statNameLength: 189,
    statusPort: 15020,
    interceptionMode: 'REDIRECT',
    tracing: { zipkin: { address: 'zipkin.istio-system:9411' } },
    proxyMetadata: {},
    holdApplicationUntilProxyStarts: false,
  };
}

/**
 * Layers ProxyConfig overrides like istiod does (proto merge): scalar fields replace, `proxyMetadata`
 * merges by key, message fields (tracing, image ...) replace as a whole. Returns a new object.
 */
export function mergeProxyConfig(base: ProxyConfig, ...overrides: (ProxyConfig | undefined)[]): ProxyConfig {
  const out: ProxyConfig = { ...base };
  for (const o of overrides) {
    if (!o) continue;
    for (const [k, v] of Object.entries(o)) {
      if (v === undefined) continue;
      if (k === 'proxyMetadata' && v !== null && typeof v === 'object') {
        out.proxyMetadata = { ...(out.proxyMetadata ?? {}), ...(v as Record<string, string>) };
      } else {
        out[k] = v;
      }
    }
  }
  return out;
}

/** Field order of istio.mesh.v1alpha1.ProxyConfig, as protobuf JSON emits it (PROXY_CONFIG). */
export const PROXY_CONFIG_FIELD_ORDER: readonly string[] = [
  'configPath',
  'binaryPath',
  'serviceCluster',
  'drainDuration',
  'parentShutdownDuration',
  'discoveryAddress',
  'discoveryRefreshDelay',
  'zipkinAddress',
  'statsdUdpAddress',
  'envoyMetricsServiceAddress',
  'proxyAdminPort',
  'availabilityZone',
  'controlPlaneAuthPolicy',
  'customConfigFile',
  'statNameLength',
  'concurrency',
  'proxyBootstrapTemplatePath',
  'interceptionMode',
  'tracing',
  'sds',
  'envoyAccessLogService',
  'envoyMetricsService',
  'proxyMetadata',
  'runtimeValues',
  'statusPort',
  'extraStatTags',
  'gatewayTopology',
  'terminationDrainDuration',
  'meshId',
  'readinessProbe',
  'proxyStatsMatcher',
  'holdApplicationUntilProxyStarts',
  'caCertificatesPem',
  'image',
  'privateKeyProvider',
  'proxyHeaders',
  'fileFlushInterval',
  'fileFlushMinSizeKb',
];
