// The data an injection template executes on, shaped as istiod's SidecarTemplateData: Go field names
// at the top (`.ObjectMeta`, `.Spec`, `.ProxyConfig`, `.Values`, ...), the Kubernetes and mesh objects
// in their JSON form below (resolved by Go name in values.ts), built once per request.
import type { TemplateContext } from '../context';
import { proxyConfigJson } from '../env';
import { PROTO_JSON } from './funcs';
import { STRING_MAPS, STRUCTS } from './values';

export type TemplateData = Readonly<Record<string, unknown>>;

const stringMap = (m: Record<string, string> | undefined): Record<string, string> => {
  const out = m ?? {};
  STRING_MAPS.add(out);
  return out;
};

const struct = <T extends object>(o: T): T => {
  STRUCTS.add(o);
  return o;
};

export function templateData(ctx: TemplateContext): TemplateData {
  const meta = struct({
    ...ctx.meta,
    annotations: stringMap(ctx.annotations),
    labels: stringMap(ctx.labels),
  });
  const proxyConfig = struct({ ...ctx.proxyConfig, proxyMetadata: stringMap(ctx.proxyConfig.proxyMetadata) });
  // protoToJSON prints PROXY_CONFIG: the configured fields only (istiod drops those equal to defaults).
  const overrides = ctx.proxyConfigOverrides;
  PROTO_JSON.set(proxyConfig, () => proxyConfigJson(overrides));
  return {
    TypeMeta: struct({ APIVersion: ctx.workload.apiVersion, Kind: ctx.workload.kind }),
    DeploymentMeta: struct({ Name: ctx.workload.name, Namespace: ctx.workload.namespace }),
    ObjectMeta: meta,
    Spec: struct(ctx.spec),
    ProxyConfig: proxyConfig,
    MeshConfig: struct(ctx.mesh),
    Values: ctx.values,
    Revision: ctx.revision,
    NativeSidecars: ctx.native,
    ProxyImage: ctx.proxyImage,
    // 1.31: the init container's own image name (global.proxy_init.image) on the proxy's hub and tag.
    ProxyInitImage: ctx.proxyInitImage,
    ProxyUID: ctx.proxyUID ?? null,
    ProxyGID: ctx.proxyGID ?? null,
    InboundTrafficPolicyMode: ctx.inboundTrafficPolicyMode,
    // istiod's COMPLIANCE_POLICY environment, as configured for this revision (InjectionConfig).
    CompliancePolicy: ctx.cfg.compliancePolicy,
  };
}
