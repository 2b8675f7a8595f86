// The `gateway` template (inject.istio.io/templates: gateway): istio-proxy as `proxy router` replacing
// the user's placeholder container, no traffic capture, unprivileged ports allowed by a pod sysctl.
import type { V1Container } from '@kubernetes/client-node';
import { A } from '../annotations';
import { ann, PROXY_CONTAINER, type TemplateContext } from '../context';
import { proxyEnv } from '../env';
import { containerImage } from '../images';
import { canonicalLabels, revisionAndDefaultContainer } from '../pod-metadata';
import { proxyArgs, readinessProbe } from '../proxy-container';
import { proxyVolumeMounts, podVolumes } from '../volumes';
import { imagePullSecrets, type TemplatePod } from './types';

export function gatewayTemplate(ctx: TemplateContext): TemplatePod {
  const g = ctx.values.global;
  const proxy: V1Container = {
    name: PROXY_CONTAINER,
    image: containerImage(ann(ctx, A.proxyImage, g.proxy.image), ctx.proxyImage),
    ports: [{ containerPort: 15090, protocol: 'TCP', name: 'http-envoy-prom' }],
    args: proxyArgs(ctx, 'router'),
  };
  const lifecycle = g.proxy.lifecycle;
  if (lifecycle && Object.keys(lifecycle).length) proxy.lifecycle = structuredClone(lifecycle);
  proxy.securityContext = { runAsUser: ctx.proxyUID ?? 1337, runAsGroup: ctx.proxyGID ?? 1337 };
  proxy.env = proxyEnv(ctx, 'gateway');
  if (g.imagePullPolicy) proxy.imagePullPolicy = g.imagePullPolicy;
  proxy.readinessProbe = readinessProbe(ctx, 15021, false);
  proxy.volumeMounts = proxyVolumeMounts(ctx, 'gateway');

  const sc = ctx.values.gateways?.securityContext;
  const pod: TemplatePod = {
    metadata: { labels: canonicalLabels(ctx, false), annotations: revisionAndDefaultContainer(ctx) },
    spec: {
      securityContext:
        sc && Object.keys(sc).length
          ? structuredClone(sc)
          : { sysctls: [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '0' }] },
      containers: [proxy],
      volumes: podVolumes(ctx, 'gateway'),
    },
  };
  const secrets = imagePullSecrets(ctx);
  if (secrets) pod.spec.imagePullSecrets = secrets;
  return pod;
}
