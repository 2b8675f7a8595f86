// The operator's render through a release's charts: the desired state carries the ownership labels and the
// sidecar target; a release that cannot be had, or an invalid spec, is an outcome naming the version and
// source (the reconciler then writes ERROR and applies nothing).
import { chartControllerRender } from '../../../../operator/render/charts/controller-render';
import { RenderCache } from '../../../../operator/render/charts/render-cache';
import { ReleasesDirProvider } from '../../../../release/local';
import type { KubernetesObject } from '@kubernetes/client-node';
import { versionFromLabels } from '../../../../inject/versions';
import { REFERENCE, renderer } from './parity-helpers';

jest.setTimeout(180_000);

const iop = (spec: Record<string, unknown>, name = 'mesh'): KubernetesObject & { spec: unknown } => ({
  apiVersion: 'install.istio.io/v1alpha1',
  kind: 'IstioOperator',
  metadata: { name, namespace: 'istio-system', uid: 'u1', resourceVersion: '7' },
  spec,
});

describe('chartControllerRender', () => {
  const render = chartControllerRender({
    releases: new ReleasesDirProvider(REFERENCE),
    cache: new RenderCache(renderer()),
    defaultVersion: '1.30.3',
  });

  it('renders the release the tag names, owner-labelled, with the sidecar target', async () => {
    const r = await render(
      iop({ profile: 'minimal', revision: 'blue', tag: '1.31.0-rc.0', sidecarRollout: { enabled: true } }),
    );
    if (!r.ok) throw new Error(r.message);
    const objects = r.desired.components.flatMap((c) => c.objects);
    expect(objects.length).toBeGreaterThan(10);
    for (const o of objects) {
      expect(o.metadata?.labels).toEqual(
        expect.objectContaining({
          'install.operator.istio.io/owning-resource': 'mesh',
          'install.operator.istio.io/owning-resource-namespace': 'istio-system',
          'istio.io/rev': 'blue',
          'operator.istio.io/version': '1.31.0-rc.0',
        }),
      );
    }
    // The webhook learns the revision's version from the injector ConfigMap (the 1.31 tree's charts say 1.0.0).
    const injector = objects.find(
      (o) => o.kind === 'ConfigMap' && o.metadata?.name === 'istio-sidecar-injector-blue',
    );
    expect(injector).toBeDefined();
    expect(versionFromLabels(injector?.metadata?.labels)).toBe('1.31.0-rc.0');
    expect(objects.map((o) => `${o.kind}/${o.metadata?.name}`)).toContain('Deployment/istiod-blue');
    expect(r.desired.sidecar?.expectedImage).toBe('docker.io/istio/proxyv2:1.31.0-rc.0');
    expect(r.desired.sidecar?.revision).toBe('blue');
    expect(r.desired.sidecar?.injection).toBeDefined();
  });

  it('names the proxy image, namespace and injection config of the default version when no tag is given', async () => {
    const r = await render(iop({ profile: 'minimal', values: { global: { istioNamespace: 'mesh' } } }));
    if (!r.ok) throw new Error(r.message);
    expect(r.desired.sidecar).toMatchObject({
      expectedImage: 'docker.io/istio/proxyv2:1.30.3',
      revision: '',
      controlPlaneNamespace: 'mesh',
      injectionKey: expect.any(String),
    });
    // The injection config the rendered injector and mesh ConfigMaps give, as the webhook builds it.
    expect(r.desired.sidecar?.injection).toMatchObject({
      revision: 'default',
      values: { global: { istioNamespace: 'mesh' } },
    });
    expect(r.desired.components.map((c) => c.component)).toEqual(['Base', 'Pilot']);
  });

  it('installs into spec.namespace, unless values.global.istioNamespace says otherwise', async () => {
    const where = async (spec: Record<string, unknown>) => {
      const r = await render(iop({ profile: 'minimal', ...spec }));
      if (!r.ok) throw new Error(r.message);
      const istiod = r.desired.components
        .flatMap((c) => c.objects)
        .find((o) => o.kind === 'Deployment' && o.metadata?.name === 'istiod');
      return [istiod?.metadata?.namespace, r.desired.sidecar?.controlPlaneNamespace];
    };
    expect(await where({ namespace: 'ctl' })).toEqual(['ctl', 'ctl']);
    expect(await where({ namespace: 'ctl', values: { global: { istioNamespace: 'v' } } })).toEqual([
      'v',
      'v',
    ]);
    expect(await where({})).toEqual(['istio-system', 'istio-system']);
  });

  it('an unknown profile is InvalidSpec', async () => {
    const r = await render(iop({ profile: 'no-such-profile' }));
    expect(r).toMatchObject({
      ok: false,
      reason: 'InvalidSpec',
      message: expect.stringContaining('no-such-profile'),
    });
  });

  it('a release that cannot be had is RenderFailed naming version and source', async () => {
    const r = await render(iop({ profile: 'minimal', tag: '1.29.9' }));
    expect(r).toEqual({
      ok: false,
      reason: 'RenderFailed',
      message: expect.stringMatching(/Istio release 1\.29\.9 from releases-dir .*does not exist/),
    });
  });

  it('an invalid spec is InvalidSpec naming the field and the version', async () => {
    const r = await render(iop({ values: { global: { badKey: 1 } } }));
    expect(r).toEqual({
      ok: false,
      reason: 'InvalidSpec',
      message: expect.stringMatching(/^Istio 1\.30\.3: .*spec\.values\.global: unknown field "badKey"/),
    });
  });
});
