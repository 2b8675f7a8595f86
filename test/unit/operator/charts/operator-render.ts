// The operator's own render (chartControllerRender over the 1.30.3 reference release, pinned helm) for unit
// tests that need an installation's objects, e.g. the injector and mesh ConfigMaps the webhook reads.
import type { KubernetesObject } from '@kubernetes/client-node';
import { chartControllerRender } from '../../../../operator/render/charts/controller-render';
import type { DesiredState } from '../../../../operator/controller/reconcile/desired';
import { RenderCache } from '../../../../operator/render/charts/render-cache';
import { ReleasesDirProvider } from '../../../../release/local';
import { REFERENCE, renderer } from './parity-helpers';

let render: ReturnType<typeof chartControllerRender> | undefined;

/** Renders `spec` as an IstioOperator istio-system/x would be; throws with the outcome's message. */
export async function operatorRender(spec: Record<string, unknown>): Promise<DesiredState> {
  render ??= chartControllerRender({
    releases: new ReleasesDirProvider(REFERENCE),
    cache: new RenderCache(renderer()),
    defaultVersion: '1.30.3',
  });
  const r = await render({
    apiVersion: 'install.istio.io/v1alpha1',
    kind: 'IstioOperator',
    metadata: { name: 'x', namespace: 'istio-system' },
    spec,
  } as KubernetesObject);
  if (!r.ok) throw new Error(`${r.reason}: ${r.message}`);
  return r.desired;
}

/** The rendered objects of `spec`, every component's. */
export async function operatorObjects(spec: Record<string, unknown>): Promise<KubernetesObject[]> {
  return (await operatorRender(spec)).components.flatMap((c) => c.objects);
}

/** The object of `kind` named `name`; throws naming what there is instead. */
export function find(list: readonly KubernetesObject[], kind: string, name: string): KubernetesObject {
  const o = list.find((x) => x.kind === kind && x.metadata?.name === name);
  if (!o)
    throw new Error(
      `no ${kind} ${name} among: ${list.map((x) => `${x.kind}/${x.metadata?.name}`).join(', ')}`,
    );
  return o;
}
