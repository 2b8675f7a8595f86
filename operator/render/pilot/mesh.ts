// The mesh configuration istiod and the proxies read (the `istio` ConfigMap): chart-derived defaults
// (trust domain, root namespace, default metrics provider, discovery address, tracer) overlaid with
// spec.meshConfig, which is the real API.
import { stringify } from 'yaml';
import type { V1ConfigMap } from '@kubernetes/client-node';
import { deepMerge, type PlainObject } from '../../../lib/istio/merge';
import type { MeshConfig } from '../../../lib/istio/mesh';
import { revisioned, type RenderContext } from '../context';
import { appLabels, operatorLabels } from '../labels';
import type { ManifestObject } from '../types';

function tracing(ctx: RenderContext): PlainObject | undefined {
  const g = ctx.values.global;
  const tracer = g.proxy.tracer ?? 'none';
  const conf = (g.tracer ?? {}) as Record<string, Record<string, unknown> | undefined>;
  switch (tracer) {
    case 'zipkin':
      return { zipkin: { address: conf.zipkin?.address ?? `zipkin.${ctx.istioNamespace}:9411` } };
    case 'datadog':
      return { datadog: { address: conf.datadog?.address ?? '$(HOST_IP):8126' } };
    default:
      return undefined;
  }
}

/** The effective MeshConfig of a render. */
export function meshConfig(ctx: RenderContext, namespace: string): MeshConfig {
  const v = ctx.values;
  const g = v.global;
  const defaultConfig: PlainObject = {};
  if (g.meshID) defaultConfig.meshId = g.meshID;
  const variant = g.proxy.variant || g.variant;
  if (variant) defaultConfig.image = { imageType: variant };
  const t = tracing(ctx);
  if (t) defaultConfig.tracing = t;
  defaultConfig.discoveryAddress = `${revisioned(ctx, 'istiod')}.${namespace}.svc:15012`;
  const base: PlainObject = {
    trustDomain: 'cluster.local',
    rootNamespace: (v.meshConfig.rootNamespace as string | undefined) || ctx.istioNamespace,
    defaultConfig,
  };
  if (v.telemetry.enabled && v.telemetry.v2.enabled && v.telemetry.v2.prometheus.enabled) {
    base.defaultProviders = { metrics: ['prometheus'] };
  }
  return deepMerge(base, v.meshConfig as PlainObject) as MeshConfig;
}

export function meshConfigMap(ctx: RenderContext, namespace: string): ManifestObject & V1ConfigMap {
  const networks = ctx.values.global.meshNetworks as PlainObject | undefined;
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: revisioned(ctx, 'istio'),
      namespace,
      labels: { ...appLabels('istiod'), ...operatorLabels(ctx, 'Pilot') },
    },
    data: {
      mesh: stringify(meshConfig(ctx, namespace), { sortMapEntries: true, indentSeq: false }).trimEnd(),
      meshNetworks: stringify({
        networks: networks && Object.keys(networks).length ? networks : {},
      }).trimEnd(),
    },
  };
}
