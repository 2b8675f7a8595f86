// Adapter for the reconcile controller: an IstioOperator as read from the apiserver, rendered through its
// release's charts, to the desired state the reconciler applies. Never throws: an invalid spec is
// `InvalidSpec`; a release that cannot be had, a helm failure or a kind the operator does not manage is
// `RenderFailed`, with the Istio version and where the release came from in the message. Either way the
// reconciler writes ERROR and leaves the installed objects alone.
import type { PlainObject } from '../../../lib/istio/merge';
import { deepClone, isPlainObject } from '../../../lib/istio/merge';
import { ReleaseError, type Release, type ReleaseProvider } from '../../../release/types';
import { releaseVersionOf } from '../../../release/version';
import { IopValidationError } from '../../api/iop-validation';
import { managedKindOf } from '../gvk';
import { HelmError } from '../helm/chart-renderer';
import type { InjectionOptions } from './meshwright-adjustments';
import { ProfileError } from './merge-inputs';
import type { RenderCache } from './render-cache';
import type { ChartManifest, ChartObject } from './types';
import { getString, PathError } from './values-map';
import { LABELS } from '../../../lib/istio/names';
import { errorMessage } from '../../../lib/errors';

export const LABEL_COMPONENT = LABELS.component;
export const LABEL_OWNING_RESOURCE = LABELS.owningResource;
export const LABEL_OWNING_NAMESPACE = LABELS.owningResourceNamespace;
export const LABEL_REVISION = LABELS.rev;
/** istioctl's label for the Istio version of an installed object. */
export const LABEL_ISTIO_VERSION = LABELS.istioVersion;
const LABEL_APP_VERSION = 'app.kubernetes.io/version';

export interface ChartDesired {
  readonly manifest: ChartManifest;
  readonly release: Release;
  /** Control-plane revision ('' for the default revision). */
  readonly revision: string;
  readonly namespaces: string[];
  readonly components: { component: string; objects: ChartObject[] }[];
}

export type ChartOutcome =
  | { ok: true; desired: ChartDesired }
  | { ok: false; reason: 'InvalidSpec' | 'RenderFailed'; message: string };

export interface ChartOutcomeOptions {
  readonly releases: ReleaseProvider;
  readonly cache: RenderCache;
  /** The release rendered when the spec's tag names none. */
  readonly defaultVersion: string;
  /** Where the injection MWCs point (Meshwright's webhook); unset leaves them out of the install. */
  readonly injection?: InjectionOptions;
  /** The cluster's Kubernetes version, for helm's --kube-version (charts branch on it); else helm's default. */
  readonly kubeVersion?: string;
  readonly signal?: AbortSignal;
}

/** The spec as the renderer takes it: the apiserver's bookkeeping (status, managedFields) dropped. */
function specDocument(iop: PlainObject): PlainObject {
  const meta = isPlainObject(iop.metadata) ? iop.metadata : {};
  const doc: PlainObject = {
    apiVersion: iop.apiVersion,
    kind: iop.kind,
    metadata: {
      ...(typeof meta.name === 'string' ? { name: meta.name } : {}),
      ...(typeof meta.namespace === 'string' ? { namespace: meta.namespace } : {}),
    },
  };
  if (isPlainObject(iop.spec)) {
    const spec = deepClone(iop.spec);
    // Meshwright's own controller setting, not an istioctl field.
    delete spec.sidecarRollout;
    controlPlaneNamespace(spec);
    doc.spec = spec;
  }
  return doc;
}

/**
 * spec.namespace is the IstioOperator API's "namespace to install control plane resources into"; the
 * charts read values.global.istioNamespace, which the profiles set to istio-system, so an explicit
 * spec.namespace becomes that value unless the user set the value itself (which then wins).
 */
function controlPlaneNamespace(spec: PlainObject): void {
  const ns = spec.namespace;
  if (typeof ns !== 'string' || ns === '') return;
  const values = isPlainObject(spec.values) ? spec.values : (spec.values = {});
  const global = isPlainObject(values.global) ? values.global : (values.global = {});
  if (global.istioNamespace === undefined) global.istioNamespace = ns;
}

/**
 * Adds the operator's ownership labels (how it finds, prunes and repairs what it applied) and the release
 * version. The webhook reads a revision's version from its injector ConfigMap's labels, first
 * `app.kubernetes.io/version`; a development tree's charts say 1.0.0 there, released charts the release
 * version, so a chart label that is not the release version is corrected (a no-op for released charts).
 */
export function ownedObjects(
  objects: readonly ChartObject[],
  component: string,
  owner: { name: string; namespace: string },
  revision: string,
  version?: string,
): ChartObject[] {
  return objects.map((o) => {
    const labels = isPlainObject(o.metadata.labels) ? o.metadata.labels : {};
    const versioned =
      version === undefined
        ? {}
        : {
            [LABEL_ISTIO_VERSION]: version,
            ...(LABEL_APP_VERSION in labels ? { [LABEL_APP_VERSION]: version } : {}),
          };
    return {
      ...o,
      metadata: {
        ...o.metadata,
        labels: {
          ...labels,
          ...versioned,
          [LABEL_COMPONENT]: component,
          [LABEL_OWNING_RESOURCE]: owner.name,
          [LABEL_OWNING_NAMESPACE]: owner.namespace,
          [LABEL_REVISION]: revision || 'default',
        },
      },
    };
  });
}

export async function chartRenderOutcome(iop: unknown, o: ChartOutcomeOptions): Promise<ChartOutcome> {
  if (!isPlainObject(iop))
    return { ok: false, reason: 'InvalidSpec', message: 'an IstioOperator must be a map' };
  let version = o.defaultVersion;
  let source = 'no release resolved';
  try {
    version = releaseVersionOf(iop, o.defaultVersion).version;
    const release = await o.releases.resolve(version, { signal: o.signal });
    source = release.source;
    const manifest = await o.cache.render(specDocument(iop), release, {
      imageDefaults: { hub: 'docker.io/istio', tag: release.version },
      ...(o.injection ? { injection: o.injection } : {}),
      // Part of the render cache key, like every option.
      ...(o.kubeVersion ? { kubeVersion: o.kubeVersion } : {}),
      signal: o.signal,
    });
    const unmanaged = [
      ...new Set(manifest.objects.filter((x) => !managedKindOf(x)).map((x) => `${x.apiVersion} ${x.kind}`)),
    ];
    if (unmanaged.length) {
      return {
        ok: false,
        reason: 'RenderFailed',
        message: `Istio ${release.version} (${release.source}) renders kinds the operator does not manage: ${unmanaged.join(', ')}`,
      };
    }
    const meta = isPlainObject(iop.metadata) ? iop.metadata : {};
    const owner = {
      name: typeof meta.name === 'string' ? meta.name : 'unknown',
      namespace: typeof meta.namespace === 'string' ? meta.namespace : '',
    };
    const revision = getString(manifest.merged, 'spec.values.revision');
    return {
      ok: true,
      desired: {
        manifest,
        release,
        revision: revision === 'default' ? '' : revision,
        namespaces: manifest.namespaces,
        components: manifest.components.map((c) => ({
          component: c.component,
          objects: ownedObjects(c.objects, c.component, owner, revision, release.version),
        })),
      },
    };
  } catch (err) {
    const message = errorMessage(err);
    if (err instanceof IopValidationError || err instanceof ProfileError || err instanceof PathError)
      return { ok: false, reason: 'InvalidSpec', message: `Istio ${version}: ${message}` };
    if (err instanceof ReleaseError) return { ok: false, reason: 'RenderFailed', message };
    if (err instanceof HelmError)
      return { ok: false, reason: 'RenderFailed', message: `Istio ${version} (${source}): ${message}` };
    // A tag that is no version with no usable default, an aborted render, an unexpected failure.
    return { ok: false, reason: 'RenderFailed', message: `Istio ${version} (${source}): ${message}` };
  }
}
