// The traffic-capture init container: `istio-init` programs iptables (root, NET_ADMIN/NET_RAW), or with
// Istio CNI `istio-validation` only checks the rules the CNI plugin installed (unprivileged, proxy UID).
import type { V1Container, V1SeccompProfile, V1SecurityContext } from '@kubernetes/client-node';
import { A } from './annotations';
import { ann, type TemplateContext } from './context';
import { proxyMetadataEnv } from './env';
import { containerImage } from './images';
import { proxyResources } from './resources';

export const INIT_CONTAINER = 'istio-init';
export const VALIDATION_CONTAINER = 'istio-validation';

/** excludeInboundPorts plus the status port (unless 0 or already listed), as the templates compute it. */
export function excludeInboundPorts(ctx: TemplateContext): string {
  const statusPort = ctx.statusPort.trim();
  const excluded = ann(ctx, A.excludeInboundPorts, ctx.values.global.proxy.excludeInboundPorts);
  if (statusPort === '' || statusPort === '0') return excluded;
  const ports = excluded.split(',');
  const out: string[] = [];
  for (const p of ports) {
    if (p === statusPort) return excluded;
    const t = p.trim();
    if (t) out.push(t);
  }
  out.push(statusPort);
  return out.join(',');
}

export function initContainer(ctx: TemplateContext): V1Container {
  const g = ctx.values.global;
  const p = g.proxy;
  const cni = ctx.values.pilot.cni.enabled === true;
  const a = ctx.annotations;
  const exclude = excludeInboundPorts(ctx);
  // The proxy's UID is excluded from capture; TPROXY runs it as root but its traffic is marked as 1337.
  const uid = String(ctx.userProxyUID ?? (ctx.tproxy ? 1337 : (ctx.proxyUID ?? 1337)));
  const args = [
    'istio-iptables',
    '-p',
    String(ctx.mesh.proxyListenPort || 15001),
    '-z',
    String(ctx.mesh.proxyInboundListenPort || 15006),
    '-u',
    uid,
    '-m',
    ctx.interceptionMode,
    '-i',
    ann(ctx, A.includeOutboundIPRanges, p.includeIPRanges),
    '-x',
    ann(ctx, A.excludeOutboundIPRanges, p.excludeIPRanges),
    '-b',
    ann(ctx, A.includeInboundPorts, p.includeInboundPorts),
    '-d',
    exclude ? `15090,15021,${exclude}` : '15090,15021',
  ];
  if (a[A.includeOutboundPorts] !== undefined || (p.includeOutboundPorts ?? '') !== '') {
    args.push('-q', ann(ctx, A.includeOutboundPorts, p.includeOutboundPorts));
  }
  if (a[A.excludeOutboundPorts] !== undefined || (p.excludeOutboundPorts ?? '') !== '') {
    args.push('-o', ann(ctx, A.excludeOutboundPorts, p.excludeOutboundPorts));
  }
  if (a[A.rerouteVirtualInterfaces] !== undefined) args.push('-k', a[A.rerouteVirtualInterfaces]);
  else if (a[A.kubevirtInterfaces] !== undefined) args.push('-k', a[A.kubevirtInterfaces]);
  if (a[A.excludeInterfaces] !== undefined) args.push('-c', a[A.excludeInterfaces]);
  args.push(`--log_output_level=${ann(ctx, A.agentLogLevel, g.logging?.level)}`);
  if (g.logAsJson) args.push('--log_as_json');
  if (cni) args.push('--run-validation', '--skip-rule-apply');
  else if (g.proxy_init.forceApplyIptables) args.push('--force-apply');
  if (g.nativeNftables) args.push('--native-nftables');

  const c: V1Container = {
    name: cni ? VALIDATION_CONTAINER : INIT_CONTAINER,
    image: containerImage(ann(ctx, A.proxyImage, g.proxy_init.image), ctx.proxyInitImage),
    args,
  };
  if (g.imagePullPolicy) c.imagePullPolicy = g.imagePullPolicy;
  const env = proxyMetadataEnv(ctx.proxyConfig);
  if (env.length) c.env = env;
  c.resources = proxyResources(ctx);
  c.securityContext = initSecurityContext(ctx, cni);
  return c;
}

function initSecurityContext(ctx: TemplateContext, cni: boolean): V1SecurityContext {
  const p = ctx.values.global.proxy;
  const privileged = p.privileged === true;
  const sc: V1SecurityContext = { allowPrivilegeEscalation: privileged, privileged };
  if (cni) {
    const id = ctx.tproxy ? 1337 : undefined;
    sc.capabilities = { drop: ['ALL'] };
    sc.readOnlyRootFilesystem = true;
    sc.runAsGroup = id ?? ctx.proxyGID ?? 1337;
    sc.runAsUser = id ?? ctx.proxyUID ?? 1337;
    sc.runAsNonRoot = true;
  } else {
    sc.capabilities = { add: ['NET_ADMIN', 'NET_RAW'], drop: ['ALL'] };
    sc.readOnlyRootFilesystem = false;
    sc.runAsGroup = 0;
    sc.runAsNonRoot = false;
    sc.runAsUser = 0;
  }
  if (p.seccompProfile && Object.keys(p.seccompProfile).length)
    sc.seccompProfile = structuredClone(p.seccompProfile) as unknown as V1SeccompProfile;
  return sc;
}
