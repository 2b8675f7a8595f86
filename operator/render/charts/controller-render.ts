// The operator's render function, built from typed options (a release provider, the render cache, the
// default version, where injection webhooks point, the cluster's Kubernetes version): the IstioOperator's
// release rendered through its own charts (controller-outcome.ts), plus what sidecars of its revision should
// look like, for the sidecar census. The CLI parses its flags into these options; tests and the bench build
// them directly. Pure apart from the release provider and the helm renderer behind the cache.
import { createHash } from 'node:crypto';
import type { KubernetesObject } from '@kubernetes/client-node';
import { injectionConfigFromConfigMaps } from '../../../inject/config';
import type { InjectionConfig } from '../../../inject/api';
import { proxyImage } from '../../../inject/images';
import type { ProxyConfig } from '../../../lib/istio/mesh';
import { deepMerge } from '../../../lib/istio/merge';
import { defaultValues } from '../../../lib/istio/values';
import type { RenderFn } from '../../controller/reconcile/desired';
import { chartRenderOutcome, type ChartOutcomeOptions } from './controller-outcome';
import { getMap } from './values-map';

/** What the render function is built from; no signal: it lives as long as the operator. */
export type ControllerRenderOptions = Omit<ChartOutcomeOptions, 'signal'>;

/** The parts of a rendered manifest the injection config is read from. */
export interface RenderedInjectorSource {
  /** Control-plane revision ('' for the default revision). */
  revision: string;
  values: { global: { istioNamespace?: string } };
  components: readonly { namespace: string; objects: readonly KubernetesObject[] }[];
}

/**
 * The injection config the rendered `istio-sidecar-injector[-<rev>]` and `istio[-<rev>]` ConfigMaps give
 * (what the webhook builds from them in the cluster), and their data as a change key. Undefined when
 * the manifest has no injector ConfigMap (Pilot disabled). The key is a digest: the census keeps it per
 * IstioOperator in several maps, and the data is 200 KiB of text (a heap snapshot of the operator found six
 * copies held).
 */
export function renderedInjection(
  m: RenderedInjectorSource,
): { injection: InjectionConfig; injectionKey: string } | undefined {
  const suffix = m.revision ? `-${m.revision}` : '';
  const ns = m.values.global.istioNamespace ?? 'istio-system';
  const configMap = (name: string): Record<string, string> | undefined => {
    for (const c of m.components) {
      for (const o of c.objects) {
        const meta = o.metadata;
        if (o.kind !== 'ConfigMap' || meta?.name !== name || (meta.namespace ?? c.namespace) !== ns) continue;
        return (o as { data?: Record<string, string> }).data ?? {};
      }
    }
    return undefined;
  };
  const injector = configMap(`istio-sidecar-injector${suffix}`);
  if (injector?.values === undefined) return undefined;
  const mesh = configMap(`istio${suffix}`)?.mesh ?? '';
  const injection = injectionConfigFromConfigMaps(injector.values, mesh, {
    revision: m.revision || 'default',
    injectorConfigYaml: injector.config,
  });
  const injectionKey = createHash('sha256')
    .update(JSON.stringify([injector.values, injector.config ?? '', mesh]))
    .digest('hex');
  return { injection, injectionKey };
}

/**
 * The controller's render through the release's own charts: the IstioOperator's release (its tag, else the
 * default version) from `releases`, rendered with helm (memoized per spec and release digest), plus the
 * sidecar image and injection config new pods get.
 */
export function chartControllerRender(o: ControllerRenderOptions): RenderFn {
  return async (iop: KubernetesObject) => {
    const r = await chartRenderOutcome(iop, { ...o });
    if (!r.ok) return r;
    const d = r.desired;
    // The chart values over the injector's defaults: what the webhook reads from the injector ConfigMap.
    const values = deepMerge(defaultValues(), getMap(d.manifest.merged, 'spec.values') ?? {});
    const istioNamespace = values.global.istioNamespace ?? 'istio-system';
    const sidecar = {
      expectedImage: proxyImage(values, (values.meshConfig?.defaultConfig ?? {}) as ProxyConfig, {}),
      revision: d.revision,
      controlPlaneNamespace: istioNamespace,
      ...renderedInjection({
        revision: d.revision,
        values: { global: { istioNamespace } },
        components: d.manifest.components,
      }),
    };
    return { ok: true, desired: { namespaces: d.namespaces, components: d.components, sidecar } };
  };
}
