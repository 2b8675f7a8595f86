// The cluster's Kubernetes version reaches helm: the operator reads it once (GET /version), the controller
// render passes it as every chart's kubeVersion (helm's --kube-version), and renders for different versions
// are cached apart.
import type { KubernetesObject } from '@kubernetes/client-node';
import { chartControllerRender } from '../../../../operator/render/charts/controller-render';
import { kubeVersionOf } from '../../../../operator/controller/kube/server-version';
import type {
  ChartRenderer,
  TemplateOptions,
  TemplateRequest,
} from '../../../../operator/render/helm/chart-renderer';
import { RenderCache } from '../../../../operator/render/charts/render-cache';
import { DEFAULT_KUBE_VERSION } from '../../../../operator/render/charts/render';
import { ReleasesDirProvider } from '../../../../release/local';
import { REFERENCE, renderer } from './parity-helpers';

jest.setTimeout(120_000);

/** The real helm, recording the kubeVersion of every request. */
class Recording implements ChartRenderer {
  readonly kubeVersions: string[] = [];
  private readonly inner = renderer();
  template(req: TemplateRequest, options?: TemplateOptions) {
    this.kubeVersions.push(req.kubeVersion);
    return this.inner.template(req, options);
  }
}

const iop = {
  apiVersion: 'install.istio.io/v1alpha1',
  kind: 'IstioOperator',
  metadata: { name: 'x', namespace: 'istio-system' },
  spec: { profile: 'minimal' },
} as KubernetesObject;

describe('kubeVersionOf', () => {
  it('takes MAJOR.MINOR.PATCH of the apiserver gitVersion, vendor suffixes dropped', () => {
    expect(kubeVersionOf({ gitVersion: 'v1.35.8' })).toBe('1.35.8');
    expect(kubeVersionOf({ gitVersion: 'v1.30.2+k3s1' })).toBe('1.30.2');
    expect(kubeVersionOf({ gitVersion: 'v1.29.4-gke.100' })).toBe('1.29.4');
    expect(kubeVersionOf({ gitVersion: 'devel' })).toBeUndefined();
    expect(kubeVersionOf({})).toBeUndefined();
  });
});

describe('chartControllerRender kubeVersion', () => {
  it("passes the cluster's version to every chart render, and caches per version", async () => {
    const charts = new Recording();
    const cache = new RenderCache(charts);
    const releases = new ReleasesDirProvider(REFERENCE);
    const at = (kubeVersion?: string) =>
      chartControllerRender({ releases, cache, defaultVersion: '1.30.3', kubeVersion })(iop);
    const r = await at('1.35.8');
    expect(r.ok).toBe(true);
    // minimal: the base and istiod charts.
    expect(charts.kubeVersions).toEqual(['1.35.8', '1.35.8']);
    await at('1.35.8');
    expect(charts.kubeVersions).toHaveLength(2);
    await at('1.33.1');
    expect(charts.kubeVersions.slice(2)).toEqual(['1.33.1', '1.33.1']);
    await at(undefined);
    expect(charts.kubeVersions.slice(4)).toEqual([DEFAULT_KUBE_VERSION, DEFAULT_KUBE_VERSION]);
  });
});
