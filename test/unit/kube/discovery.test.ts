// Discovery cache: one read per group-version, a re-read on a miss (a CRD appeared), rate-limited.
import { KubeApiError } from '../../../lib/kube/api-error';
import { Discovery, discoveryFetcher, discoveryPath } from '../../../lib/kube/discovery';

const core = {
  resources: [
    { name: 'pods', kind: 'Pod', namespaced: true },
    { name: 'pods/status', kind: 'Pod', namespaced: true },
    { name: 'namespaces', kind: 'Namespace', namespaced: false },
  ],
};

describe('Discovery', () => {
  it('maps kinds to plural and scope, skipping subresources, and caches the document', async () => {
    const fetch = jest.fn(async () => core);
    const d = new Discovery(fetch);
    expect(await d.resource('v1', 'Pod')).toEqual({ plural: 'pods', namespaced: true });
    expect(await d.resource('v1', 'Namespace')).toEqual({ plural: 'namespaces', namespaced: false });
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(fetch).toHaveBeenCalledWith('/api/v1');
  });

  it('re-reads on a miss, so a CRD installed later is found, but not more than once per interval', async () => {
    let now = 0;
    let doc: { resources: { name: string; kind: string; namespaced: boolean }[] } = { resources: [] };
    const fetch = jest.fn(async () => doc);
    const d = new Discovery(fetch, () => now, 1_000);
    expect(await d.resource('install.istio.io/v1alpha1', 'IstioOperator')).toBeUndefined();
    doc = { resources: [{ name: 'istiooperators', kind: 'IstioOperator', namespaced: true }] };
    now = 500;
    expect(await d.resource('install.istio.io/v1alpha1', 'IstioOperator')).toBeUndefined();
    expect(fetch).toHaveBeenCalledTimes(1);
    now = 1_000;
    expect(await d.resource('install.istio.io/v1alpha1', 'IstioOperator')).toEqual({
      plural: 'istiooperators',
      namespaced: true,
    });
    expect(fetch).toHaveBeenCalledTimes(2);
    expect(fetch).toHaveBeenLastCalledWith('/apis/install.istio.io/v1alpha1');
  });

  it('shares one read between concurrent callers', async () => {
    const fetch = jest.fn(async () => core);
    const d = new Discovery(fetch);
    await Promise.all([d.resource('v1', 'Pod'), d.resource('v1', 'Namespace')]);
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it('treats a 404 group-version as not served and passes other errors on', async () => {
    const notFound = discoveryFetcher(async (path) => {
      throw new KubeApiError('GET', path, 404, { message: 'not found' });
    });
    expect(await new Discovery(notFound).resource('x.io/v1', 'X')).toBeUndefined();
    const forbidden = discoveryFetcher(async (path) => {
      throw new KubeApiError('GET', path, 403, { message: 'forbidden', reason: 'Forbidden' });
    });
    await expect(new Discovery(forbidden).resource('x.io/v1', 'X')).rejects.toThrow(
      'GET /apis/x.io/v1: HTTP 403: forbidden',
    );
  });

  it('builds core and group paths', () => {
    expect(discoveryPath('v1')).toBe('/api/v1');
    expect(discoveryPath('apps/v1')).toBe('/apis/apps/v1');
  });
});
