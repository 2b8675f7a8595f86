// A gateway's Deployment: Envoy (`proxyv2`, `proxy router`) with the env, volumes, probe and security
// context of Istio 1.30's classic gateway charts.
import type {
  V1Container,
  V1Deployment,
  V1EnvVar,
  V1PodSpec,
  V1Toleration,
  V1Volume,
  V1VolumeMount,
} from '@kubernetes/client-node';
import { GATEWAY_COMPONENT, type GatewayKind } from '../../api/components';
import { revisioned, type RenderContext } from '../context';
import { imageRef } from '../images';
import { appLabels, operatorLabels } from '../labels';
import type { ManifestObject } from '../types';
import type { GatewayValues } from './values';

const fieldEnv = (name: string, fieldPath: string, apiVersion = true): V1EnvVar => ({
  name,
  valueFrom: { fieldRef: apiVersion ? { apiVersion: 'v1', fieldPath } : { fieldPath } },
});

function env(ctx: RenderContext, gw: GatewayValues, namespace: string): V1EnvVar[] {
  const g = ctx.values.global;
  const mesh = ctx.values.meshConfig;
  const trustDomain = (mesh.trustDomain as string | undefined) ?? 'cluster.local';
  const out: V1EnvVar[] = [
    { name: 'PILOT_CERT_PROVIDER', value: String(g.pilotCertProvider ?? 'istiod') },
    { name: 'CA_ADDR', value: g.caAddress || `${revisioned(ctx, 'istiod')}.${ctx.istioNamespace}.svc:15012` },
    fieldEnv('NODE_NAME', 'spec.nodeName'),
    fieldEnv('POD_NAME', 'metadata.name'),
    fieldEnv('POD_NAMESPACE', 'metadata.namespace'),
    fieldEnv('INSTANCE_IP', 'status.podIP'),
    fieldEnv('HOST_IP', 'status.hostIP'),
    { name: 'ISTIO_CPU_LIMIT', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: '1' } } },
    fieldEnv('SERVICE_ACCOUNT', 'spec.serviceAccountName', false),
    { name: 'ISTIO_META_WORKLOAD_NAME', value: gw.name },
    {
      name: 'ISTIO_META_OWNER',
      value: `kubernetes://apis/apps/v1/namespaces/${namespace}/deployments/${gw.name}`,
    },
    { name: 'ISTIO_META_MESH_ID', value: g.meshID || trustDomain },
    { name: 'TRUST_DOMAIN', value: trustDomain },
  ];
  if (!gw.runAsRoot) out.push({ name: 'ISTIO_META_UNPRIVILEGED_POD', value: 'true' });
  for (const [k, v] of Object.entries(gw.env)) out.push({ name: k, value: String(v) });
  const proxyMetadata =
    ((mesh.defaultConfig ?? {}) as { proxyMetadata?: Record<string, unknown> }).proxyMetadata ?? {};
  for (const [k, v] of Object.entries(proxyMetadata)) out.push({ name: k, value: String(v) });
  if (gw.env.ISTIO_META_NETWORK === undefined && g.network)
    out.push({ name: 'ISTIO_META_NETWORK', value: g.network });
  out.push({ name: 'ISTIO_META_CLUSTER_ID', value: g.multiCluster?.clusterName || 'Kubernetes' });
  out.push(fieldEnv('ISTIO_META_NODE_NAME', 'spec.nodeName', false));
  return out;
}

function volumes(ctx: RenderContext, gw: GatewayValues): { volumes: V1Volume[]; mounts: V1VolumeMount[] } {
  const g = ctx.values.global;
  const istiodCa = g.pilotCertProvider === 'istiod';
  const mounts: V1VolumeMount[] = [
    { name: 'workload-socket', mountPath: '/var/run/secrets/workload-spiffe-uds' },
    { name: 'credential-socket', mountPath: '/var/run/secrets/credential-uds' },
    { name: 'workload-certs', mountPath: '/var/run/secrets/workload-spiffe-credentials' },
    { name: 'istio-envoy', mountPath: '/etc/istio/proxy' },
    { name: 'config-volume', mountPath: '/etc/istio/config' },
    ...(istiodCa ? [{ name: 'istiod-ca-cert', mountPath: '/var/run/secrets/istio' }] : []),
    { name: 'istio-token', mountPath: '/var/run/secrets/tokens', readOnly: true },
    { name: 'istio-data', mountPath: '/var/lib/istio/data' },
    { name: 'podinfo', mountPath: '/etc/istio/pod' },
    ...gw.secretVolumes.map((s) => ({ name: s.name, mountPath: s.mountPath, readOnly: true })),
  ];
  const vols: V1Volume[] = [
    { name: 'workload-socket', emptyDir: {} },
    { name: 'credential-socket', emptyDir: {} },
    { name: 'workload-certs', emptyDir: {} },
    ...(istiodCa
      ? [{ name: 'istiod-ca-cert', configMap: { name: g.trustBundleName || 'istio-ca-root-cert' } }]
      : []),
    {
      name: 'podinfo',
      downwardAPI: {
        items: [
          { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
          { path: 'annotations', fieldRef: { fieldPath: 'metadata.annotations' } },
        ],
      },
    },
    { name: 'istio-envoy', emptyDir: {} },
    { name: 'istio-data', emptyDir: {} },
    {
      name: 'istio-token',
      projected: {
        sources: [
          {
            serviceAccountToken: {
              path: 'istio-token',
              expirationSeconds: 43200,
              audience: g.sds?.token?.aud ?? 'istio-ca',
            },
          },
        ],
      },
    },
    // The revision's mesh config; optional so the gateway can start before istiod's ConfigMap exists.
    { name: 'config-volume', configMap: { name: revisioned(ctx, 'istio'), optional: true } },
    ...gw.secretVolumes.map((s) => ({ name: s.name, secret: { secretName: s.secretName, optional: true } })),
  ];
  return { volumes: vols, mounts };
}

export function gatewayDeployment(
  ctx: RenderContext,
  kind: GatewayKind,
  gw: GatewayValues,
  namespace: string,
): ManifestObject & V1Deployment {
  const g = ctx.values.global;
  const component = GATEWAY_COMPONENT[kind];
  const app = kind === 'ingressGateways' ? 'istio-ingressgateway' : 'istio-egressgateway';
  const { volumes: vols, mounts } = volumes(ctx, gw);
  const args = [
    'proxy',
    'router',
    '--domain',
    `$(POD_NAMESPACE).svc.${g.proxy.clusterDomain ?? 'cluster.local'}`,
  ];
  if (g.proxy.logLevel) args.push(`--proxyLogLevel=${g.proxy.logLevel}`);
  if (g.proxy.componentLogLevel) args.push(`--proxyComponentLogLevel=${g.proxy.componentLogLevel}`);
  if (g.logging?.level) args.push(`--log_output_level=${g.logging.level}`);
  if (g.logAsJson) args.push('--log_as_json');
  if (g.sts?.servicePort) args.push(`--stsPort=${g.sts.servicePort}`);
  const container: V1Container = {
    name: 'istio-proxy',
    image: imageRef({ name: g.proxy.image ?? 'proxyv2', hub: gw.hub, tag: gw.tag }, g, 'proxyv2'),
    ports: [
      ...gw.ports.map((p) => ({ containerPort: p.targetPort ?? p.port, protocol: p.protocol ?? 'TCP' })),
      { containerPort: 15090, protocol: 'TCP', name: 'http-envoy-prom' },
    ],
    args,
    readinessProbe: {
      failureThreshold: 30,
      httpGet: { path: '/healthz/ready', port: 15021, scheme: 'HTTP' },
      initialDelaySeconds: 1,
      periodSeconds: 2,
      successThreshold: 1,
      timeoutSeconds: 1,
    },
    resources: (gw.resources ?? g.defaultResources) as V1Container['resources'],
    env: env(ctx, gw, namespace),
    volumeMounts: mounts,
  };
  if (!gw.runAsRoot) {
    container.securityContext = {
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      privileged: false,
      readOnlyRootFilesystem: true,
    };
  }
  if (g.imagePullPolicy) container.imagePullPolicy = g.imagePullPolicy;
  const podSpec: V1PodSpec = {
    serviceAccountName: `${gw.name}-service-account`,
    containers: [container],
    volumes: vols,
  };
  if (!gw.runAsRoot) podSpec.securityContext = { runAsUser: 1337, runAsGroup: 1337, runAsNonRoot: true };
  if (g.priorityClassName) podSpec.priorityClassName = g.priorityClassName;
  const nodeSelector = { ...g.defaultNodeSelector, ...gw.nodeSelector };
  if (Object.keys(nodeSelector).length) podSpec.nodeSelector = nodeSelector;
  const tolerations = [...(gw.tolerations.length ? gw.tolerations : g.defaultTolerations)] as V1Toleration[];
  if (tolerations.length) podSpec.tolerations = tolerations;
  const version = gw.labels['app.kubernetes.io/version'] ?? gw.labels.version ?? (ctx.revision || 'latest');
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: gw.name,
      namespace,
      labels: {
        ...appLabels(app),
        ...gw.labels,
        ...operatorLabels(ctx, component),
        'istio.io/dataplane-mode': 'none',
      },
    },
    spec: {
      ...(!gw.autoscaleEnabled && gw.replicaCount ? { replicas: gw.replicaCount } : {}),
      selector: { matchLabels: { ...gw.labels } },
      strategy: { rollingUpdate: { maxSurge: gw.rollingMaxSurge, maxUnavailable: gw.rollingMaxUnavailable } },
      template: {
        metadata: {
          labels: {
            ...appLabels(app),
            ...gw.labels,
            'service.istio.io/canonical-name': gw.name,
            'service.istio.io/canonical-revision': version,
            ...operatorLabels(ctx, component),
            'sidecar.istio.io/inject': 'false',
            // Classic gateways stay out of the ambient data plane.
            'istio.io/dataplane-mode': 'none',
          },
          annotations: {
            'istio.io/rev': ctx.revLabel,
            ...(ctx.values.meshConfig.enablePrometheusMerge !== false
              ? {
                  'prometheus.io/port': '15020',
                  'prometheus.io/scrape': 'true',
                  'prometheus.io/path': '/stats/prometheus',
                }
              : {}),
            'sidecar.istio.io/inject': 'false',
            ...gw.podAnnotations,
          },
        },
        spec: podSpec,
      },
    },
  };
}
