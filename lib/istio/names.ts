// Istio's annotation and label names, the one home for them: the injection engine, the webhook and the
// operator all name these keys, and a unit test (names.test.ts) keeps their string literals out of the rest
// of the source. Meshwright's own keys (meshwright.io/*) stay with the code that owns them.

/** Pod annotations the injector reads or writes. */
export const ANNOTATIONS = {
  status: 'sidecar.istio.io/status',
  inject: 'sidecar.istio.io/inject',
  templates: 'inject.istio.io/templates',
  interceptionMode: 'sidecar.istio.io/interceptionMode',
  enableCoreDump: 'sidecar.istio.io/enableCoreDump',
  statusPort: 'status.sidecar.istio.io/port',
  readinessInitialDelay: 'readiness.status.sidecar.istio.io/initialDelaySeconds',
  readinessPeriod: 'readiness.status.sidecar.istio.io/periodSeconds',
  readinessFailureThreshold: 'readiness.status.sidecar.istio.io/failureThreshold',
  includeOutboundIPRanges: 'traffic.sidecar.istio.io/includeOutboundIPRanges',
  excludeOutboundIPRanges: 'traffic.sidecar.istio.io/excludeOutboundIPRanges',
  includeInboundPorts: 'traffic.sidecar.istio.io/includeInboundPorts',
  excludeInboundPorts: 'traffic.sidecar.istio.io/excludeInboundPorts',
  includeOutboundPorts: 'traffic.sidecar.istio.io/includeOutboundPorts',
  excludeOutboundPorts: 'traffic.sidecar.istio.io/excludeOutboundPorts',
  excludeInterfaces: 'traffic.sidecar.istio.io/excludeInterfaces',
  kubevirtInterfaces: 'traffic.sidecar.istio.io/kubevirtInterfaces',
  rerouteVirtualInterfaces: 'istio.io/reroute-virtual-interfaces',
  prometheusMerge: 'prometheus.istio.io/merge-metrics',
  proxyConfig: 'proxy.istio.io/config',
  overrides: 'proxy.istio.io/overrides',
  proxyImage: 'sidecar.istio.io/proxyImage',
  proxyImageType: 'sidecar.istio.io/proxyImageType',
  proxyCPU: 'sidecar.istio.io/proxyCPU',
  proxyMemory: 'sidecar.istio.io/proxyMemory',
  proxyCPULimit: 'sidecar.istio.io/proxyCPULimit',
  proxyMemoryLimit: 'sidecar.istio.io/proxyMemoryLimit',
  logLevel: 'sidecar.istio.io/logLevel',
  componentLogLevel: 'sidecar.istio.io/componentLogLevel',
  agentLogLevel: 'sidecar.istio.io/agentLogLevel',
  bootstrapOverride: 'sidecar.istio.io/bootstrapOverride',
  userVolume: 'sidecar.istio.io/userVolume',
  userVolumeMount: 'sidecar.istio.io/userVolumeMount',
  capNetBindService: 'sidecar.istio.io/capNetBindService',
  nativeSidecar: 'sidecar.istio.io/nativeSidecar',
  rewriteAppHTTPProbers: 'sidecar.istio.io/rewriteAppHTTPProbers',
  rev: 'istio.io/rev',
  defaultContainer: 'kubectl.kubernetes.io/default-container',
  defaultLogsContainer: 'kubectl.kubernetes.io/default-logs-container',
  multusNetworks: 'k8s.v1.cni.cncf.io/networks',
  datadogEnv: 'apm.datadoghq.com/env',
} as const;

/** Labels on pods, namespaces and installed objects. */
export const LABELS = {
  inject: 'sidecar.istio.io/inject',
  rev: 'istio.io/rev',
  tlsMode: 'security.istio.io/tlsMode',
  tunnel: 'networking.istio.io/tunnel',
  canonicalName: 'service.istio.io/canonical-name',
  canonicalRevision: 'service.istio.io/canonical-revision',
  workloadName: 'service.istio.io/workload-name',
  network: 'topology.istio.io/network',
  podTemplateHash: 'pod-template-hash',
  deploymentConfig: 'deploymentconfig',
  /** Namespace label selecting the default revision (`enabled`) or opting out (`disabled`). */
  injection: 'istio-injection',
  /** The revision tag a tag's webhook serves. */
  tag: 'istio.io/tag',
  /** Which IstioOperator component rendered an installed object. */
  component: 'operator.istio.io/component',
  /** The Istio version that installed an object (CRDs compare it). */
  istioVersion: 'operator.istio.io/version',
  /** name and namespace of the IstioOperator owning an installed object. */
  owningResource: 'install.operator.istio.io/owning-resource',
  owningResourceNamespace: 'install.operator.istio.io/owning-resource-namespace',
} as const;

/** Prometheus scrape annotations injection merges into the agent's. */
export const PROMETHEUS = {
  scrape: 'prometheus.io/scrape',
  port: 'prometheus.io/port',
  path: 'prometheus.io/path',
  scrapeTargets: 'prometheus.istio.io/scrape-targets',
  securePort: 'prometheus.istio.io/secure-port',
} as const;
