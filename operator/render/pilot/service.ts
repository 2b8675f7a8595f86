// istiod's Service: xDS plaintext 15010, xDS mTLS 15012, webhooks 443 -> 15017, monitoring 15014.
import type { V1Service } from '@kubernetes/client-node';
import { revisioned, type RenderContext } from '../context';
import { appLabels, operatorLabels } from '../labels';
import type { ManifestObject } from '../types';
import { istiodSelector } from './deployment';

export function istiodService(ctx: RenderContext, namespace: string): ManifestObject & V1Service {
  const p = ctx.values.pilot;
  const spec: V1Service['spec'] = {
    ports: [
      { port: 15010, name: 'grpc-xds', protocol: 'TCP' },
      { port: 15012, name: 'https-dns', protocol: 'TCP' },
      { port: 443, name: 'https-webhook', targetPort: 15017, protocol: 'TCP' },
      { port: 15014, name: 'http-monitoring', protocol: 'TCP' },
    ],
    // The default revision's Service matches `istio: pilot` only, so it never picks a canary's pods.
    selector: { app: 'istiod', ...istiodSelector(ctx) },
  };
  if (p.ipFamilyPolicy) spec.ipFamilyPolicy = p.ipFamilyPolicy;
  if (p.ipFamilies.length) spec.ipFamilies = p.ipFamilies;
  if (p.trafficDistribution) spec.trafficDistribution = p.trafficDistribution;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: revisioned(ctx, 'istiod'),
      namespace,
      labels: { app: 'istiod', istio: 'pilot', ...appLabels('istiod'), ...operatorLabels(ctx, 'Pilot') },
      ...(Object.keys(p.serviceAnnotations).length ? { annotations: p.serviceAnnotations } : {}),
    },
    spec,
  };
}
