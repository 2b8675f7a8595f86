// The default `sidecar` template: traffic capture init container (unless interception is NONE),
// istio-proxy as a regular or native sidecar, the istio volumes, metadata and, with Istio CNI, the
// traffic annotations the CNI plugin reads.
import { A, L } from '../annotations';
import { ann, type TemplateContext } from '../context';
import { excludeInboundPorts, initContainer } from '../init-container';
import { appendMultusNetwork, canonicalLabels, revisionAndDefaultContainer } from '../pod-metadata';
import { sidecarProxyContainer } from '../proxy-container';
import { podVolumes } from '../volumes';
import { imagePullSecrets, type TemplatePod } from './types';

export function sidecarTemplate(ctx: TemplateContext): TemplatePod {
  const labels: Record<string, string> = { [L.tlsMode]: ctx.labels[L.tlsMode] || 'istio' };
  if (ctx.proxyConfig.proxyMetadata?.ISTIO_META_ENABLE_HBONE === 'true') {
    labels[L.tunnel] = ctx.labels[L.tunnel] || 'http';
  }
  Object.assign(labels, canonicalLabels(ctx, true));
  const annotations = revisionAndDefaultContainer(ctx);
  if (ctx.values.pilot.cni.enabled === true) Object.assign(annotations, cniAnnotations(ctx));

  const pod: TemplatePod = { metadata: { labels, annotations }, spec: {} };
  const proxy = sidecarProxyContainer(ctx);
  const capture = ctx.interceptionMode !== 'NONE';
  if (ctx.native) {
    pod.spec.initContainers = capture ? [initContainer(ctx), proxy] : [proxy];
  } else {
    if (capture) pod.spec.initContainers = [initContainer(ctx)];
    pod.spec.containers = [proxy];
  }
  pod.spec.volumes = podVolumes(ctx, 'sidecar');
  const secrets = imagePullSecrets(ctx);
  if (secrets) pod.spec.imagePullSecrets = secrets;
  return pod;
}

function cniAnnotations(ctx: TemplateContext): Record<string, string> {
  const p = ctx.values.global.proxy;
  const a = ctx.annotations;
  const out: Record<string, string> = {};
  if (ctx.values.pilot.cni.provider === 'multus') {
    out[A.multusNetworks] = appendMultusNetwork(a[A.multusNetworks] ?? '', 'default/istio-cni');
  }
  out[A.interceptionMode] = ctx.interceptionMode;
  const inc = ann(ctx, A.includeOutboundIPRanges, p.includeIPRanges);
  if (inc) out[A.includeOutboundIPRanges] = inc;
  const exc = ann(ctx, A.excludeOutboundIPRanges, p.excludeIPRanges);
  if (exc) out[A.excludeOutboundIPRanges] = exc;
  out[A.includeInboundPorts] = ann(ctx, A.includeInboundPorts, p.includeInboundPorts);
  out[A.excludeInboundPorts] = excludeInboundPorts(ctx);
  if (a[A.includeOutboundPorts] !== undefined || (p.includeOutboundPorts ?? '') !== '') {
    out[A.includeOutboundPorts] = ann(ctx, A.includeOutboundPorts, p.includeOutboundPorts);
  }
  if (a[A.excludeOutboundPorts] !== undefined || (p.excludeOutboundPorts ?? '') !== '') {
    out[A.excludeOutboundPorts] = ann(ctx, A.excludeOutboundPorts, p.excludeOutboundPorts);
  }
  for (const k of [A.kubevirtInterfaces, A.rerouteVirtualInterfaces, A.excludeInterfaces]) {
    if (a[k]) out[k] = a[k];
  }
  return out;
}
