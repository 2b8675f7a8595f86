// The istiod Deployment: container args, env, ports, probe, security context and volumes as Istio 1.30's
// istio-discovery chart renders them.
import type {
  V1Container,
  V1Deployment,
  V1EnvVar,
  V1PodSpec,
  V1ResourceRequirements,
  V1SeccompProfile,
  V1Toleration,
  V1TopologySpreadConstraint,
  V1Volume,
  V1VolumeMount,
} from '@kubernetes/client-node';
import { revisioned, type RenderContext } from '../context';
import { appLabels, operatorLabels } from '../labels';
import { imageRef } from '../images';
import type { ManifestObject } from '../types';

const fieldEnv = (name: string, fieldPath: string): V1EnvVar => ({
  name,
  valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath } },
});

/** Labels that select istiod pods: per revision when revisioned, so canaries don't share a Service. */
export function istiodSelector(ctx: RenderContext): Record<string, string> {
  return ctx.revision ? { app: 'istiod', 'istio.io/rev': ctx.revision } : { istio: 'pilot' };
}

export function istiodResources(ctx: RenderContext): V1ResourceRequirements {
  const r = ctx.values.pilot.resources ?? ctx.values.global.defaultResources;
  return r as V1ResourceRequirements;
}

function env(ctx: RenderContext, namespace: string): V1EnvVar[] {
  const p = ctx.values.pilot;
  const g = ctx.values.global;
  const userEnv = p.env ?? {};
  const out: V1EnvVar[] = [
    { name: 'REVISION', value: ctx.revLabel },
    { name: 'PILOT_CERT_PROVIDER', value: String(g.pilotCertProvider ?? 'istiod') },
    fieldEnv('POD_NAME', 'metadata.name'),
    fieldEnv('POD_NAMESPACE', 'metadata.namespace'),
    fieldEnv('SERVICE_ACCOUNT', 'spec.serviceAccountName'),
    { name: 'KUBECONFIG', value: '/var/run/secrets/remote/config' },
  ];
  // istiod trusts ztunnel's node identity for CA requests; by default ztunnel lives next to istiod.
  if (userEnv.CA_TRUSTED_NODE_ACCOUNTS === undefined) {
    const ns = p.trustedZtunnelNamespace || namespace;
    out.push({ name: 'CA_TRUSTED_NODE_ACCOUNTS', value: `${ns}/${p.trustedZtunnelName || 'ztunnel'}` });
  }
  for (const [k, v] of Object.entries(userEnv)) out.push({ name: k, value: String(v) });
  for (const e of p.envVarFrom) out.push(e as V1EnvVar);
  if (p.traceSampling) out.push({ name: 'PILOT_TRACE_SAMPLING', value: String(p.traceSampling) });
  if (p.taint.enabled) {
    out.push({ name: 'PILOT_ENABLE_NODE_UNTAINT_CONTROLLERS', value: 'true' });
    out.push({ name: 'PILOT_NODE_UNTAINT_CONTROLLERS_TAINT_NAME', value: String(p.taint.name ?? '') });
  }
  if (g.externalIstiod && userEnv.EXTERNAL_ISTIOD === undefined)
    out.push({ name: 'EXTERNAL_ISTIOD', value: 'true' });
  if (g.trustBundleName) out.push({ name: 'PILOT_CA_CERT_CONFIGMAP', value: g.trustBundleName });
  if (p.crlConfigMapName) out.push({ name: 'PILOT_CRL_CONFIGMAP', value: p.crlConfigMapName });
  out.push({ name: 'PILOT_ENABLE_ANALYSIS', value: String(g.istiod.enableAnalysis ?? false) });
  out.push({ name: 'CLUSTER_ID', value: g.multiCluster?.clusterName || 'Kubernetes' });
  out.push({ name: 'GOMAXPROCS', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: '1' } } });
  out.push({ name: 'PLATFORM', value: g.platform ?? '' });
  return out;
}

function args(ctx: RenderContext): string[] {
  const g = ctx.values.global;
  const p = ctx.values.pilot;
  const out = ['discovery', '--monitoringAddr=:15014'];
  if (g.logging?.level) out.push(`--log_output_level=${g.logging.level}`);
  if (g.logAsJson) out.push('--log_as_json');
  out.push('--domain', g.proxy.clusterDomain ?? 'cluster.local');
  if (p.taint.namespace) out.push(`--cniNamespace=${p.taint.namespace}`);
  out.push('--keepaliveMaxServerConnectionAge', p.keepaliveMaxServerConnectionAge);
  out.push(...p.extraContainerArgs);
  return out;
}

const MOUNTS: V1VolumeMount[] = [
  { name: 'istio-token', mountPath: '/var/run/secrets/tokens', readOnly: true },
  { name: 'local-certs', mountPath: '/var/run/secrets/istio-dns' },
  { name: 'cacerts', mountPath: '/etc/cacerts', readOnly: true },
  { name: 'istio-kubeconfig', mountPath: '/var/run/secrets/remote', readOnly: true },
  { name: 'istio-csr-dns-cert', mountPath: '/var/run/secrets/istiod/tls', readOnly: true },
  { name: 'istio-csr-ca-configmap', mountPath: '/var/run/secrets/istiod/ca', readOnly: true },
];

function volumes(ctx: RenderContext): V1Volume[] {
  const g = ctx.values.global;
  return [
    { name: 'local-certs', emptyDir: { medium: 'Memory' } },
    {
      name: 'istio-token',
      projected: {
        sources: [
          {
            serviceAccountToken: {
              audience: g.sds?.token?.aud ?? 'istio-ca',
              expirationSeconds: 43200,
              path: 'istio-token',
            },
          },
        ],
      },
    },
    // Optional plug-in CA, remote kubeconfig and istio-csr certificates.
    { name: 'cacerts', secret: { secretName: 'cacerts', optional: true } },
    { name: 'istio-kubeconfig', secret: { secretName: 'istio-kubeconfig', optional: true } },
    { name: 'istio-csr-dns-cert', secret: { secretName: 'istiod-tls', optional: true } },
    {
      name: 'istio-csr-ca-configmap',
      configMap: { name: g.trustBundleName || 'istio-ca-root-cert', defaultMode: 420, optional: true },
    },
  ];
}

export function istiodDeployment(ctx: RenderContext, namespace: string): ManifestObject & V1Deployment {
  const p = ctx.values.pilot;
  const g = ctx.values.global;
  const name = revisioned(ctx, 'istiod');
  const container: V1Container = {
    name: 'discovery',
    image: imageRef({ name: p.image, hub: p.hub, tag: p.tag, variant: p.variant }, g, 'pilot'),
    args: args(ctx),
    ports: [
      { containerPort: 8080, protocol: 'TCP', name: 'http-debug' },
      { containerPort: 15010, protocol: 'TCP', name: 'grpc-xds' },
      { containerPort: 15012, protocol: 'TCP', name: 'tls-xds' },
      { containerPort: 15017, protocol: 'TCP', name: 'https-webhooks' },
      { containerPort: 15014, protocol: 'TCP', name: 'http-monitoring' },
    ],
    readinessProbe: {
      httpGet: { path: '/ready', port: 8080 },
      initialDelaySeconds: 1,
      periodSeconds: 3,
      timeoutSeconds: 5,
    },
    env: env(ctx, namespace),
    resources: istiodResources(ctx),
    securityContext: {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
      ...(Object.keys(p.seccompProfile).length
        ? { seccompProfile: p.seccompProfile as unknown as V1SeccompProfile }
        : {}),
    },
    volumeMounts: [...MOUNTS, ...(p.volumeMounts as V1VolumeMount[])],
  };
  if (g.imagePullPolicy) container.imagePullPolicy = g.imagePullPolicy;
  const podLabels: Record<string, string> = {
    app: 'istiod',
    'istio.io/rev': ctx.revLabel,
    'sidecar.istio.io/inject': 'false',
    ...operatorLabels(ctx, 'Pilot'),
    istio: ctx.revision ? 'istiod' : 'pilot',
    ...p.podLabels,
    'istio.io/dataplane-mode': 'none',
    ...appLabels('istiod'),
  };
  const tolerations: V1Toleration[] = [
    { key: 'cni.istio.io/not-ready', operator: 'Exists' },
    ...(p.tolerations as V1Toleration[]),
  ];
  const podSpec: V1PodSpec = {
    tolerations,
    serviceAccountName: name,
    containers: [container],
    volumes: [...volumes(ctx), ...(p.volumes as V1Volume[])],
  };
  if (Object.keys(p.nodeSelector).length) podSpec.nodeSelector = p.nodeSelector;
  if (Object.keys(p.affinity).length) podSpec.affinity = p.affinity;
  if (p.topologySpreadConstraints.length)
    podSpec.topologySpreadConstraints = p.topologySpreadConstraints as V1TopologySpreadConstraint[];
  if (g.priorityClassName) podSpec.priorityClassName = g.priorityClassName;
  const d: ManifestObject & V1Deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name,
      namespace,
      labels: {
        app: 'istiod',
        istio: 'pilot',
        ...appLabels('istiod'),
        ...operatorLabels(ctx, 'Pilot'),
        ...p.deploymentLabels,
      },
      ...(Object.keys(p.deploymentAnnotations).length ? { annotations: p.deploymentAnnotations } : {}),
    },
    spec: {
      // With an HPA the replica count is the autoscaler's; a fixed count would fight it on every apply.
      ...(!p.autoscaleEnabled && p.replicaCount ? { replicas: p.replicaCount } : {}),
      strategy: { rollingUpdate: { maxSurge: p.rollingMaxSurge, maxUnavailable: p.rollingMaxUnavailable } },
      selector: { matchLabels: istiodSelector(ctx) },
      template: {
        metadata: {
          labels: podLabels,
          annotations: {
            'prometheus.io/port': '15014',
            'prometheus.io/scrape': 'true',
            'sidecar.istio.io/inject': 'false',
            ...p.podAnnotations,
          },
        },
        spec: podSpec,
      },
    },
  };
  return d;
}
