// Injection MutatingWebhookConfigurations: the chart's own MWCs retargeted to Meshwright's webhook with
// their selectors untouched, and the tag MWC builder checked against what the release's istiod chart
// renders for `revisionTags` (read from ../shared/reference at test time).
import type { PlainObject } from '../../../../lib/istio/merge';
import { render, type ChartRenderOptions } from '../../../../operator/render/charts/render';
import type { ChartManifest, ChartObject } from '../../../../operator/render/charts/types';
import {
  injectionPath,
  LABEL_INJECTION_WEBHOOK,
  parseInjectionTarget,
  type InjectionTarget,
} from '../../../../operator/render/injection/injection-target';
import { tagWebhookConfiguration } from '../../../../operator/render/injection/tag-webhook';
import { referenceRelease, renderer, VERSIONS } from './parity-helpers';

jest.setTimeout(180_000);

const SERVICE: InjectionTarget = {
  service: { namespace: 'meshwright-system', name: 'meshwright-webhook', port: 443 },
};

const gen = (spec: PlainObject, version: string, options: ChartRenderOptions): Promise<ChartManifest> =>
  render(
    { apiVersion: 'install.istio.io/v1alpha1', kind: 'IstioOperator', spec },
    referenceRelease(version),
    renderer(),
    options,
  );

const mwcs = (m: ChartManifest): ChartObject[] =>
  m.objects.filter((o) => o.kind === 'MutatingWebhookConfiguration');
const hooks = (o: PlainObject): PlainObject[] => o.webhooks as PlainObject[];
const withoutClientConfig = (o: PlainObject): PlainObject[] =>
  hooks(o).map((w) => {
    const rest = { ...w };
    delete rest.clientConfig;
    return rest;
  });

describe.each(VERSIONS)('Istio %s', (version) => {
  it('retargets a revision MWC to /inject/rev/<rev>, selectors exactly as the chart renders them', async () => {
    const spec = { profile: 'minimal', revision: '1-x' };
    const raw = await gen(spec, version, { istioctlOnly: true });
    const ours = await gen(spec, version, { injection: { target: SERVICE } });
    const [upstream] = mwcs(raw);
    const [retargeted] = mwcs(ours);
    expect(upstream.metadata.name).toBe('istio-sidecar-injector-1-x');
    expect(retargeted.metadata.name).toBe('istio-sidecar-injector-1-x');
    expect(withoutClientConfig(retargeted)).toEqual(withoutClientConfig(upstream));
    expect(hooks(retargeted).length).toBeGreaterThanOrEqual(2);
    for (const w of hooks(retargeted))
      expect(w.clientConfig).toEqual({
        service: {
          namespace: 'meshwright-system',
          name: 'meshwright-webhook',
          port: 443,
          path: '/inject/rev/1-x',
        },
      });
    expect((retargeted.metadata.labels as PlainObject)[LABEL_INJECTION_WEBHOOK]).toBe('true');
    expect(ours.omitted.filter((o) => o.kind === 'MutatingWebhookConfiguration')).toEqual([]);
  });

  it('points the default revision at /inject by URL, and adds cert-manager inject-ca-from when asked', async () => {
    const m = await gen({ profile: 'minimal' }, version, {
      injection: {
        target: { url: 'https://127.0.0.1:9443' },
        caFrom: 'meshwright-system/meshwright-webhook',
      },
    });
    const [mwc] = mwcs(m);
    expect(mwc.metadata.name).toBe('istio-sidecar-injector');
    expect((mwc.metadata.annotations as PlainObject)['cert-manager.io/inject-ca-from']).toBe(
      'meshwright-system/meshwright-webhook',
    );
    expect(new Set(hooks(mwc).map((w) => JSON.stringify(w.clientConfig)))).toEqual(
      new Set([JSON.stringify({ url: 'https://127.0.0.1:9443/inject' })]),
    );
  });

  it('leaves the MWCs out when no injection target is configured (the static MWC serves)', async () => {
    const m = await gen({ profile: 'minimal', revision: '1-x' }, version, {});
    expect(mwcs(m)).toEqual([]);
    expect(m.omitted.map((o) => o.name)).toContain('istio-sidecar-injector-1-x');
  });

  it.each(['prod', 'default'])(
    'builds tag %s with the selectors the chart renders for revisionTags',
    async (tag) => {
      const raw = await gen(
        { profile: 'minimal', revision: '1-x', values: { revisionTags: [tag] } },
        version,
        {
          istioctlOnly: true,
        },
      );
      const chartTag = mwcs(raw).find((o) => o.metadata.name === `istio-revision-tag-${tag}`);
      if (!chartTag)
        throw new Error(
          `the chart rendered no tag MWC for ${tag}: ${mwcs(raw)
            .map((o) => o.metadata.name)
            .join(', ')}`,
        );
      const ours = tagWebhookConfiguration({ tag, revision: '1-x', target: SERVICE });
      expect((ours.metadata as PlainObject).name).toBe(chartTag.metadata.name);
      expect(withoutClientConfig(ours)).toEqual(withoutClientConfig(chartTag));
      expect(hooks(ours).map((w) => (w.clientConfig as { service: { path: string } }).service.path)).toEqual(
        hooks(ours).map(() => '/inject/rev/1-x'),
      );
    },
  );
});

describe('injection target flags', () => {
  it('parses a service with and without a port, and a base URL', () => {
    expect(parseInjectionTarget({ service: 'ns/svc' })).toEqual({
      service: { namespace: 'ns', name: 'svc', port: 443 },
    });
    expect(parseInjectionTarget({ service: 'ns/svc:8443' })).toEqual({
      service: { namespace: 'ns', name: 'svc', port: 8443 },
    });
    expect(parseInjectionTarget({ url: 'https://127.0.0.1:9443/' })).toEqual({
      url: 'https://127.0.0.1:9443',
    });
    expect(parseInjectionTarget({})).toBeUndefined();
  });

  it.each([
    [{ service: 'svc' }, /--injection-service: "svc" must be namespace\/name/],
    [{ service: 'ns/svc:0' }, /port 0 is not in 1-65535/],
    [{ url: 'http://x:80' }, /must be https/],
    [{ url: 'https://x/inject' }, /without a path/],
    [{ url: 'not a url' }, /is not a URL/],
    [{ url: 'https://x', service: 'a/b' }, /exclusive/],
  ])('rejects %j naming the flag', (input, message) => {
    expect(() => parseInjectionTarget(input)).toThrow(message);
  });

  it('maps the default revision to /inject and others to /inject/rev/<rev>', () => {
    expect(injectionPath('')).toBe('/inject');
    expect(injectionPath('default')).toBe('/inject');
    expect(injectionPath('1-31')).toBe('/inject/rev/1-31');
  });
});
