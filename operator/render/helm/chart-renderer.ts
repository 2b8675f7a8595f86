// The seam between the pure render pipeline and Helm: one chart rendered with one set of values, the way
// istioctl runs Helm's engine in-process (release name, namespace, kube version for .Capabilities, not an
// upgrade). Implementations: helm-process.ts (spawns the pinned helm binary), render-cache.ts (memoizes).
import type { PlainObject } from '../../../lib/istio/merge';

export interface TemplateRequest {
  /** Absolute path of the chart directory (e.g. `<manifests>/charts/istio-control/istio-discovery`). */
  readonly chartDir: string;
  /** `.Release.Name`; istioctl always uses `istio`. */
  readonly releaseName: string;
  /** `.Release.Namespace`: the component's namespace. */
  readonly namespace: string;
  /** The chart values (istioctl's `spec.values` of the component's view). */
  readonly values: PlainObject;
  /** `.Capabilities.KubeVersion` (`1.32.0`): istioctl uses its minimum supported version offline. */
  readonly kubeVersion: string;
}

/** One document of the rendered chart, with the template it came from (`istiod/templates/deployment.yaml`). */
export interface RenderedDocument {
  readonly source: string;
  readonly object: PlainObject;
}

export interface TemplateOptions {
  readonly signal?: AbortSignal;
}

export interface ChartRenderer {
  /** Renders the chart; rejects with HelmError (helm's own message) or an AbortError. */
  template(req: TemplateRequest, options?: TemplateOptions): Promise<RenderedDocument[]>;
}

/** Helm refused the chart or the values: carries helm's stderr, which names the template and the field. */
export class HelmError extends Error {
  constructor(
    readonly chartDir: string,
    readonly stderr: string,
    message: string,
  ) {
    super(message);
    this.name = 'HelmError';
  }
}
