// The istio-proxy environment, in the order istiod's templates emit it. Fixed entries first (identity,
// PROXY_CONFIG, pod ports, app containers), then ISTIO_META_* metadata, trust domain, optional tracing
// attributes, and finally the ProxyConfig's proxyMetadata (sorted by name, as Go ranges over a map).
import type { V1Container, V1EnvVar } from '@kubernetes/client-node';
import type { ProxyConfig } from '../lib/istio/mesh';
import { A, L } from './annotations';
import { ann, type TemplateContext } from './context';
import { goJson } from './go-json';
import { jsonObjectEntries } from './json-object-annotation';
import { proxyConfigJson } from './proxy-config-json';

export { proxyConfigJson } from './proxy-config-json';

export type EnvFlavor = 'sidecar' | 'gateway' | 'grpc-agent';

const fieldEnv = (name: string, fieldPath: string): V1EnvVar => ({
  name,
  valueFrom: { fieldRef: { fieldPath } },
});
const resourceEnv = (name: string, resource: string): V1EnvVar => ({
  name,
  valueFrom: { resourceFieldRef: { resource, divisor: '1' } },
});

export function caAddress(ctx: TemplateContext): string {
  const g = ctx.values.global;
  if (g.caAddress) return g.caAddress;
  const rev = ctx.values.revision ? `-${ctx.values.revision}` : '';
  return `istiod${rev}.${g.istioNamespace ?? 'istio-system'}.svc:15012`;
}

export function proxyEnv(ctx: TemplateContext, flavor: EnvFlavor): V1EnvVar[] {
  const g = ctx.values.global;
  const env: V1EnvVar[] = [];
  if (flavor === 'grpc-agent') {
    env.push(
      { name: 'ISTIO_META_GENERATOR', value: 'grpc' },
      { name: 'OUTPUT_CERTS', value: '/var/lib/istio/data' },
    );
  }
  if (flavor !== 'gateway' && ctx.inboundTrafficPolicyMode === 'localhost') {
    env.push({ name: 'REWRITE_PROBE_LEGACY_LOCALHOST_DESTINATION', value: 'true' });
  }
  env.push(
    { name: 'PILOT_CERT_PROVIDER', value: g.pilotCertProvider ?? '' },
    { name: 'CA_ADDR', value: caAddress(ctx) },
    fieldEnv('POD_NAME', 'metadata.name'),
    fieldEnv('POD_NAMESPACE', 'metadata.namespace'),
    fieldEnv('INSTANCE_IP', 'status.podIP'),
    fieldEnv('SERVICE_ACCOUNT', 'spec.serviceAccountName'),
    fieldEnv('HOST_IP', 'status.hostIP'),
  );
  if (flavor !== 'grpc-agent') env.push(resourceEnv('ISTIO_CPU_LIMIT', 'limits.cpu'));
  env.push(
    { name: 'PROXY_CONFIG', value: `${proxyConfigJson(ctx.proxyConfigOverrides)}\n` },
    { name: 'ISTIO_META_POD_PORTS', value: podPortsJson(ctx.spec.containers) },
  );
  const appContainers: V1EnvVar = { name: 'ISTIO_META_APP_CONTAINERS', value: ctx.appContainers.join(',') };
  if (flavor === 'gateway') {
    env.push(
      resourceEnv('GOMEMLIMIT', 'limits.memory'),
      resourceEnv('GOMAXPROCS', 'limits.cpu'),
      ...complianceEnv(ctx),
      appContainers,
    );
  } else if (flavor === 'sidecar') {
    env.push(
      appContainers,
      resourceEnv('GOMEMLIMIT', 'limits.memory'),
      resourceEnv('GOMAXPROCS', 'limits.cpu'),
      ...complianceEnv(ctx),
    );
  } else {
    env.push(appContainers);
  }
  env.push(
    { name: 'ISTIO_META_CLUSTER_ID', value: g.multiCluster?.clusterName || 'Kubernetes' },
    fieldEnv('ISTIO_META_NODE_NAME', 'spec.nodeName'),
  );
  if (flavor === 'sidecar') {
    env.push({
      name: 'ISTIO_META_INTERCEPTION_MODE',
      value: ctx.annotations[A.interceptionMode] || String(ctx.proxyConfig.interceptionMode ?? 'REDIRECT'),
    });
  } else if (flavor === 'gateway') {
    env.push({
      name: 'ISTIO_META_INTERCEPTION_MODE',
      value: String(ctx.proxyConfig.interceptionMode ?? 'REDIRECT'),
    });
  }
  if (g.network) env.push({ name: 'ISTIO_META_NETWORK', value: g.network });
  const workloadName =
    flavor === 'sidecar' ? ctx.labels[L.workloadName] || ctx.workload.name : ctx.workload.name;
  if (workloadName) env.push({ name: 'ISTIO_META_WORKLOAD_NAME', value: workloadName });
  const w = ctx.workload;
  if (w.apiVersion && w.name) {
    env.push({
      name: 'ISTIO_META_OWNER',
      value: `kubernetes://apis/${w.apiVersion}/namespaces/${w.namespace || 'default'}/${w.kind.toLowerCase()}s/${w.name}`,
    });
  }
  if (flavor !== 'grpc-agent' && ctx.annotations[A.bootstrapOverride] !== undefined) {
    env.push({
      name: 'ISTIO_BOOTSTRAP_OVERRIDE',
      value: '/etc/istio/custom-bootstrap/custom_bootstrap.json',
    });
  }
  const td = ctx.cfg.trustDomain;
  if (g.meshID) env.push({ name: 'ISTIO_META_MESH_ID', value: g.meshID });
  else if (td) env.push({ name: 'ISTIO_META_MESH_ID', value: td });
  if (td) env.push({ name: 'TRUST_DOMAIN', value: td });
  if (flavor === 'sidecar') {
    env.push(...datadogEnv(ctx));
    const otel = otelResourceAttributes(ctx);
    if (otel) env.push({ name: 'OTEL_RESOURCE_ATTRIBUTES', value: otel });
  }
  env.push(...proxyMetadataEnv(ctx.proxyConfig));
  if (flavor === 'grpc-agent') {
    env.push({ name: 'ISTIO_META_DNS_CAPTURE', value: 'false' }, { name: 'DISABLE_ENVOY', value: 'true' });
  }
  // An empty value is no value in a Kubernetes object (e.g. ISTIO_META_APP_CONTAINERS of a proxy-only pod).
  for (const e of env) if (e.value === '') delete e.value;
  return env;
}

/** istiod's compliance policy, handed to the proxy; FIPS 140-3 also pins Go's FIPS mode where the version does. */
function complianceEnv(ctx: TemplateContext): V1EnvVar[] {
  const policy = ctx.cfg.compliancePolicy;
  if (!policy) return [];
  const env: V1EnvVar[] = [{ name: 'COMPLIANCE_POLICY', value: policy }];
  if (policy === 'fips-140-3' && ctx.cfg.behaviour.fipsGodebug) {
    env.push({ name: 'GODEBUG', value: 'fips140=only' });
  }
  return env;
}

export function proxyMetadataEnv(pc: ProxyConfig): V1EnvVar[] {
  const md = pc.proxyMetadata ?? {};
  return Object.keys(md)
    .sort()
    .map((name) => ({ name, value: String(md[name]) }));
}

/** ISTIO_META_POD_PORTS: every declared container port as Go-ordered JSON, one per line. */
export function podPortsJson(containers: V1Container[] | undefined): string {
  const lines: string[] = [];
  for (const c of containers ?? []) {
    for (const p of c.ports ?? []) lines.push(`    ${lines.length ? ',' : ''}${goJson(p, 'ContainerPort')}`);
  }
  return `[\n${lines.map((l) => `${l}\n`).join('')}]`;
}

function datadogEnv(ctx: TemplateContext): V1EnvVar[] {
  const raw = ctx.annotations[A.datadogEnv];
  if (ctx.values.global.proxy.tracer !== 'datadog') return [];
  return jsonObjectEntries(raw).map(([name, value]) => ({ name, value: String(value) }));
}

const OTEL_SEMCONV = 'OTEL_SEMANTIC_CONVENTIONS';

/** OpenTelemetry service attributes, when a tracing provider asks for semantic-convention enrichment. */
function otelResourceAttributes(ctx: TemplateContext): string {
  const wants = (ctx.mesh.extensionProviders ?? []).some(
    (p) => p.opentelemetry?.serviceAttributeEnrichment === OTEL_SEMCONV,
  );
  if (!wants) return '';
  const ns = ctx.workload.namespace || 'default';
  const attrs: string[] = [];
  const name = ann(ctx, 'resource.opentelemetry.io/service.name', ctx.labels['app.kubernetes.io/name'] ?? '');
  if (name) attrs.push(`service.name=${name}`);
  attrs.push(`service.namespace=${ann(ctx, 'resource.opentelemetry.io/service.namespace', ns)}`);
  const version = ann(
    ctx,
    'resource.opentelemetry.io/service.version',
    ctx.labels['app.kubernetes.io/version'] ?? '',
  );
  if (version) attrs.push(`service.version=${version}`);
  const first = ctx.appContainers[0];
  if (first) attrs.push(`service.instance.id=${ns}.$(POD_NAME).${first}`);
  return attrs.join(',');
}
