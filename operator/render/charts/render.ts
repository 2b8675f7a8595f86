// render(): IstioOperator(s) + Release -> the objects istioctl's `manifest generate` of that release
// renders, through the release's own charts. Pipeline (istioctl 1.24+):
//   merge inputs (profile, files, --set) -> validate -> per enabled component instance: its values view ->
//   helm template of its chart -> k8s settings (strategic merge) -> k8s.overlays -> istioctl's order ->
//   Meshwright's deliberate differences (meshwright-adjustments.ts).
// Deterministic in (IstioOperator, options, release); the only I/O is the ChartRenderer and profile reads.
import { join } from 'node:path';
import { deepClone, isPlainObject, type PlainObject } from '../../../lib/istio/merge';
import type { Release } from '../../../release/types';
import { validateMergedIstioOperator, IopValidationError } from '../../api/iop-validation';
import type { ChartRenderer } from '../helm/chart-renderer';
import { CHART_COMPONENTS, componentInstances, type ComponentInstance } from './components';
import { componentValues, translationRules } from './component-values';
import { applyK8sSettings } from './k8s-patches';
import { mergeInputs } from './merge-inputs';
import { meshwrightAdjust, type InjectionOptions, type Omitted } from './meshwright-adjustments';
import { istioctlOrder } from './object-order';
import { applyK8sOverlays } from './overlays';
import { releaseGlobalFields, releaseProfiles } from './release-profiles';
import type { ChartManifest, ChartObject, ChartRenderedComponent } from './types';
import { getMap, getString, mergeFrom } from './values-map';

/** istioctl renders offline with its minimum supported Kubernetes (1.32 for Istio 1.30 and 1.31). */
export const DEFAULT_KUBE_VERSION = '1.32.0';

export interface ChartRenderOptions {
  /** `--set path=value` flags (relative to spec). */
  readonly setFlags?: readonly string[];
  /** `--revision`: the same as `--set revision=...`. */
  readonly revision?: string;
  /** `--force`: validation errors become warnings. */
  readonly force?: boolean;
  /**
   * istioctl's compiled-in hub/tag (a released istioctl sets `docker.io/istio` and its version); unset for
   * a development build, which uses the profile's.
   */
  readonly imageDefaults?: { readonly hub: string; readonly tag: string };
  /** `.Capabilities.KubeVersion`; DEFAULT_KUBE_VERSION unless the target cluster's is known. */
  readonly kubeVersion?: string;
  /** Leave out Meshwright's deliberate differences (parity tests compare raw istioctl output). */
  readonly istioctlOnly?: boolean;
  /** Where injection MWCs send requests (Meshwright's webhook); unset leaves them out. */
  readonly injection?: InjectionOptions;
  readonly signal?: AbortSignal;
}

export async function render(
  iops: PlainObject | readonly PlainObject[],
  release: Release,
  charts: ChartRenderer,
  options: ChartRenderOptions = {},
): Promise<ChartManifest> {
  const docs = Array.isArray(iops) ? (iops as readonly PlainObject[]) : [iops as PlainObject];
  const setFlags = [...(options.setFlags ?? [])];
  if (options.revision) setFlags.push(`revision=${options.revision}`);
  const merged = mergeInputs(docs, releaseProfiles(release.manifestsDir), {
    setFlags,
    imageDefaults: options.imageDefaults,
  });
  const warnings: string[] = [];
  const problems = validateMergedIstioOperator(merged, releaseGlobalFields(release.manifestsDir));
  warnings.push(...problems.warnings);
  if (problems.errors.length) {
    if (!options.force) throw new IopValidationError(problems.errors);
    warnings.push(...problems.errors.map((e) => `spec invalid; continuing because of --force: ${e}`));
  }
  const unvalidated = getMap(merged, 'spec.unvalidatedValues');
  if (unvalidated) mergeFrom(merged, { spec: { values: deepClone(unvalidated) } });
  if (isPlainObject(merged.spec) && merged.spec.installPackagePath) {
    warnings.push(
      `spec.installPackagePath is ignored: charts come from Istio ${release.version} (${release.source})`,
    );
  }

  const rules = translationRules(release.version);
  const instances = CHART_COMPONENTS.flatMap((c) => componentInstances(c, merged));
  // Each instance keeps its own warnings, so their order does not depend on which helm finished first.
  const perInstance = instances.map(() => [] as string[]);
  const rendered = await Promise.all(
    instances.map((inst, i) => renderInstance(inst, merged, release, charts, rules, options, perInstance[i])),
  );
  warnings.push(...perInstance.flat());
  const omitted: Omitted[] = [];
  const components = rendered.map((c) => {
    if (options.istioctlOnly) return c;
    const adjusted = meshwrightAdjust(
      c.objects,
      options.injection,
      getString(merged, 'spec.values.revision'),
    );
    omitted.push(...adjusted.omitted);
    return { ...c, objects: adjusted.objects as ChartObject[] };
  });
  const all = istioctlOrder(components.flatMap((c) => c.objects));
  const namespaces = [
    ...new Set(
      all.map((o) => o.metadata.namespace).filter((n): n is string => typeof n === 'string' && n !== ''),
    ),
  ].sort();
  return {
    version: release.version,
    releaseDigest: release.digest,
    merged,
    components,
    objects: all,
    namespaces,
    omitted,
    warnings,
  };
}

async function renderInstance(
  inst: ComponentInstance,
  merged: PlainObject,
  release: Release,
  charts: ChartRenderer,
  rules: ReturnType<typeof translationRules>,
  options: ChartRenderOptions,
  warnings: string[],
): Promise<ChartRenderedComponent> {
  const view = componentValues(inst, merged, rules);
  const values = getMap(view, 'spec.values') ?? {};
  const docs = await charts.template(
    {
      chartDir: join(release.manifestsDir, 'charts', inst.component.chartPath),
      releaseName: 'istio',
      namespace: inst.namespace,
      values,
      kubeVersion: options.kubeVersion ?? DEFAULT_KUBE_VERSION,
    },
    { signal: options.signal },
  );
  const where = inst.name ? `${inst.component.name} ${inst.name}` : inst.component.name;
  let objects = docs.map((d) => checkObject(d.object, d.source, where, warnings));
  objects = applyK8sSettings(inst, view, objects) as ChartObject[];
  const overlaid = applyK8sOverlays(inst.raw, objects, where);
  warnings.push(...overlaid.warnings);
  return {
    component: inst.component.name,
    ...(inst.component.multi ? { gateway: inst.name } : {}),
    namespace: inst.namespace,
    objects: overlaid.objects as ChartObject[],
  };
}

function checkObject(o: PlainObject, source: string, where: string, warnings: string[]): ChartObject {
  if (typeof o.apiVersion !== 'string' || typeof o.kind !== 'string') {
    throw new Error(`${where}: ${source} rendered an object without apiVersion or kind`);
  }
  const meta = isPlainObject(o.metadata) ? o.metadata : {};
  if (typeof meta.name !== 'string' || meta.name === '') {
    // istioctl prints such objects too (an unnamed gateway); the apiserver refuses them at apply.
    warnings.push(`${where}: ${source} renders a ${o.kind} without a name (is a gateway missing its name?)`);
    return { ...o, metadata: { ...meta, name: '' } } as ChartObject;
  }
  return o as ChartObject;
}
