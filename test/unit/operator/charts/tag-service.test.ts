// The revision tag's Service against what the release's istiod chart renders for `revisionTags` (read from
// ../shared/reference at test time): same name, namespace, ports and selector, and the same labels but for
// the installer's own (Helm's and istioctl's ownership labels there, Meshwright's tag owner here). The
// namespace the tag controller puts it in is where the operator's own render of the same IstioOperator puts
// the chart's tag Service (istiod's namespace).
import type { PlainObject } from '../../../../lib/istio/merge';
import { istiodNamespaceOf } from '../../../../operator/controller/tags/istio-namespace';
import { chartRenderOutcome } from '../../../../operator/render/charts/controller-outcome';
import { render } from '../../../../operator/render/charts/render';
import { RenderCache } from '../../../../operator/render/charts/render-cache';
import type { ChartObject } from '../../../../operator/render/charts/types';
import { tagService } from '../../../../operator/render/injection/tag-service';
import { LABEL_TAG_OWNER } from '../../../../operator/render/injection/tag-webhook';
import { referenceRelease, renderer, VERSIONS } from './parity-helpers';

jest.setTimeout(180_000);

/** Labels saying who installed the object, not what it is. */
const CHART_INSTALLER_LABELS = [
  'install.operator.istio.io/owning-resource',
  'operator.istio.io/component',
  'release',
  'app.kubernetes.io/managed-by',
  'app.kubernetes.io/instance',
  'app.kubernetes.io/version',
  'helm.sh/chart',
];
const MESHWRIGHT_LABELS = [LABEL_TAG_OWNER, 'app.kubernetes.io/managed-by'];

const without = (labels: unknown, keys: readonly string[]): PlainObject =>
  Object.fromEntries(Object.entries(labels as PlainObject).filter(([k]) => !keys.includes(k)));

async function chartTagServices(spec: PlainObject, version: string): Promise<ChartObject[]> {
  const m = await render(
    { apiVersion: 'install.istio.io/v1alpha1', kind: 'IstioOperator', spec },
    referenceRelease(version),
    renderer(),
    { istioctlOnly: true },
  );
  return m.objects.filter((o) => o.kind === 'Service' && o.metadata.name.startsWith('istiod-revision-tag-'));
}

let cache: RenderCache;
beforeAll(() => {
  cache = new RenderCache(renderer());
});

describe.each(VERSIONS)('Istio %s', (version) => {
  it.each([
    ['a named revision', '1-x'],
    ['the default revision', ''],
  ])('renders tags prod and default of %s as the chart does', async (_what, revision) => {
    const chart = await chartTagServices(
      {
        profile: 'minimal',
        ...(revision ? { revision } : {}),
        values: { revisionTags: ['prod', 'default'] },
      },
      version,
    );
    expect(chart.map((o) => o.metadata.name).sort()).toEqual([
      'istiod-revision-tag-default',
      'istiod-revision-tag-prod',
    ]);
    for (const upstream of chart) {
      const tag = upstream.metadata.name.replace('istiod-revision-tag-', '');
      const ours = tagService({ tag, revision, namespace: 'istio-system' });
      const meta = ours.metadata as PlainObject;
      expect([ours.apiVersion, ours.kind, meta.name, meta.namespace]).toEqual([
        upstream.apiVersion,
        upstream.kind,
        upstream.metadata.name,
        upstream.metadata.namespace,
      ]);
      expect(ours.spec).toEqual(upstream.spec);
      expect(without(meta.labels, MESHWRIGHT_LABELS)).toEqual(
        without(upstream.metadata.labels, CHART_INSTALLER_LABELS),
      );
      expect((meta.labels as PlainObject)[LABEL_TAG_OWNER]).toBe(tag);
      expect(meta.annotations).toBeUndefined();
    }
  });

  it.each([
    ['values.global.istioNamespace', { values: { global: { istioNamespace: 'mesh-a' } } }, 'mesh-a'],
    ['spec.namespace', { namespace: 'mesh-b' }, 'mesh-b'],
    [
      'components.pilot.namespace',
      { values: { global: { istioNamespace: 'mesh-a' } }, components: { pilot: { namespace: 'mesh-c' } } },
      'mesh-c',
    ],
  ])(
    "puts it where the operator's render does when %s is set: istiod's namespace",
    async (_what, extra, expected) => {
      const spec = { profile: 'minimal', revision: '1-x', ...extra };
      const out = await chartRenderOutcome(
        {
          apiVersion: 'install.istio.io/v1alpha1',
          kind: 'IstioOperator',
          metadata: { name: 'x', namespace: 'istio-system' },
          spec: {
            ...spec,
            values: { ...((extra as PlainObject).values as PlainObject), revisionTags: ['prod'] },
          },
        },
        { releases: { resolve: async () => referenceRelease(version) }, cache, defaultVersion: version },
      );
      if (!out.ok) throw new Error(out.message);
      const services = out.desired.components
        .flatMap((c) => c.objects)
        .filter((o) => o.kind === 'Service' && o.metadata.name === 'istiod-revision-tag-prod');
      expect(services.map((o) => o.metadata.namespace)).toEqual([expected]);
      expect(istiodNamespaceOf({ spec })).toBe(expected);
    },
  );
});
