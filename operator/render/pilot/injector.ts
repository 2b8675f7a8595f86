// The `istio-sidecar-injector` ConfigMap Meshwright's webhook injects from: `values` (JSON of the effective
// values the injection templates read) and `config` (policy, selectors, injected annotations, default
// templates). Upstream's Go template text is not rendered: Meshwright's injector implements the templates.
import { stringify } from 'yaml';
import type { V1ConfigMap } from '@kubernetes/client-node';
import { revisioned, type RenderContext } from '../context';
import { appLabels, operatorLabels } from '../labels';
import type { ManifestObject } from '../types';
import { injectorValues } from '../values';

export function injectorConfig(ctx: RenderContext): Record<string, unknown> {
  const w = ctx.values.sidecarInjectorWebhook;
  return {
    defaultTemplates: w.defaultTemplates?.length ? w.defaultTemplates : ['sidecar'],
    policy: ctx.values.global.proxy.autoInject ?? 'enabled',
    alwaysInjectSelector: w.alwaysInjectSelector ?? [],
    neverInjectSelector: w.neverInjectSelector ?? [],
    injectedAnnotations: w.injectedAnnotations ?? {},
  };
}

export function injectorConfigMap(ctx: RenderContext, namespace: string): ManifestObject & V1ConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: revisioned(ctx, 'istio-sidecar-injector'),
      namespace,
      labels: { ...appLabels('istiod'), ...operatorLabels(ctx, 'Pilot') },
    },
    data: {
      values: JSON.stringify(injectorValues(ctx.values), null, 2),
      config: stringify(injectorConfig(ctx)).trimEnd(),
    },
  };
}
