// Assembly of the injector's configuration: chart/istiod defaults, then IstioOperator-shaped overlays in
// order (profile, --set, --values, conformance iop/mesh), or the two ConfigMaps istiod reads in a cluster.
import { parse as parseYaml } from 'yaml';
import { defaultMeshConfig, type MeshConfig } from '../lib/istio/mesh';
import { deepMerge, isPlainObject, type PlainObject } from '../lib/istio/merge';
import { defaultValues, type Values } from '../lib/istio/values';
import type { BuildInjectionConfigOptions, InjectionConfig, IopSpecOverlay, NativeSidecarMode } from './api';
import { resolveVersion } from './versions';

export class InjectionConfigError extends Error {}

/** Defaults + overlays in order (later wins; objects merge, arrays replace, null deletes). */
export function buildInjectionConfig(opts: BuildInjectionConfigOptions): InjectionConfig {
  let values: PlainObject = defaultValues() as PlainObject;
  let mesh: PlainObject = defaultMeshConfig() as PlainObject;
  let revision: string | undefined;
  for (const o of opts.overlays) {
    ({ values, mesh } = applyOverlay(values, mesh, o));
    if (o.revision !== undefined) revision = o.revision;
  }
  const cfg = finish(values, mesh, {
    revision: opts.revision ?? revision,
    nativeSidecars: opts.nativeSidecars,
    nodeKubeletVersions: opts.nodeKubeletVersions,
  });
  if (opts.platform !== undefined) cfg.platform = opts.platform;
  setVersionAndPolicy(cfg, opts);
  return cfg;
}

export interface ConfigMapOptions {
  revision?: string;
  nativeSidecars?: NativeSidecarMode;
  nodeKubeletVersions?: string[];
  /** 'openshift' honours namespace UID ranges (see InjectionConfig.platform). */
  platform?: string;
  /**
   * The `config` key of the `istio-sidecar-injector` ConfigMap (YAML: policy, alwaysInjectSelector,
   * neverInjectSelector, injectedAnnotations, defaultTemplates). Templates in it are ignored: this engine
   * renders the built-in templates as typed builders.
   */
  injectorConfigYaml?: string;
  /** The revision's Istio version, e.g. from the injector ConfigMap's labels (versionFromLabels). */
  istioVersion?: string;
  /** istiod's COMPLIANCE_POLICY. */
  compliancePolicy?: string;
}

/**
 * Cluster mode: `valuesJson` is the `values` key of the `istio-sidecar-injector` ConfigMap (JSON) and
 * `meshYaml` the `mesh` key of the `istio` ConfigMap (YAML). Both are layered on the defaults.
 */
export function injectionConfigFromConfigMaps(
  valuesJson: string,
  meshYaml: string,
  opts: ConfigMapOptions = {},
): InjectionConfig {
  const rawValues = parseObject(() => JSON.parse(valuesJson) as unknown, 'injector values (JSON)');
  const rawMesh = parseObject(() => parseYaml(meshYaml) as unknown, 'mesh config (YAML)');
  let values = deepMerge(defaultValues() as PlainObject, rawValues);
  const mesh = deepMerge(defaultMeshConfig() as PlainObject, rawMesh);
  if (opts.injectorConfigYaml) {
    const cfg = parseObject(
      () => parseYaml(opts.injectorConfigYaml ?? '') as unknown,
      'injector config (YAML)',
    );
    values = deepMerge(values, {
      sidecarInjectorWebhook: injectorConfigToValues(cfg),
      global: policyToValues(cfg),
    });
  }
  const revision = opts.revision ?? (typeof rawValues.revision === 'string' ? rawValues.revision : undefined);
  const cfg = finish(values, mesh, { ...opts, revision });
  if (opts.platform !== undefined) cfg.platform = opts.platform;
  setVersionAndPolicy(cfg, opts);
  return cfg;
}

function setVersionAndPolicy(
  cfg: InjectionConfig,
  opts: { istioVersion?: string; compliancePolicy?: string },
): void {
  cfg.version = resolveVersion(opts.istioVersion);
  if (opts.compliancePolicy) cfg.compliancePolicy = opts.compliancePolicy;
}

function applyOverlay(
  values: PlainObject,
  mesh: PlainObject,
  o: IopSpecOverlay,
): { values: PlainObject; mesh: PlainObject } {
  let v = values;
  let m = mesh;
  if (o.values) {
    v = deepMerge(v, o.values);
    const vm = o.values.meshConfig;
    // IstioOperator `values.meshConfig` feeds the mesh config too.
    if (isPlainObject(vm)) m = deepMerge(m, vm);
    const cni = o.values.cni;
    if (isPlainObject(cni) && cni.provider !== undefined) {
      v = deepMerge(v, { pilot: { cni: { provider: cni.provider } } });
    }
    const legacyCni = o.values.istio_cni;
    if (isPlainObject(legacyCni) && typeof legacyCni.enabled === 'boolean') {
      v = deepMerge(v, { pilot: { cni: { enabled: legacyCni.enabled } } });
    }
  }
  if (o.meshConfig) m = deepMerge(m, o.meshConfig);
  if (o.hub !== undefined) v = deepMerge(v, { global: { hub: o.hub } });
  if (o.tag !== undefined) v = deepMerge(v, { global: { tag: o.tag } });
  if (o.revision !== undefined) v = deepMerge(v, { revision: o.revision === 'default' ? '' : o.revision });
  // `components.cni.enabled` is what switches the injector to the istio-validation init container.
  const cni = o.components?.cni;
  if (isPlainObject(cni) && typeof cni.enabled === 'boolean') {
    v = deepMerge(v, { pilot: { cni: { enabled: cni.enabled } } });
  }
  return { values: v, mesh: m };
}

function finish(
  values: PlainObject,
  mesh: PlainObject,
  opts: { revision?: string; nativeSidecars?: NativeSidecarMode; nodeKubeletVersions?: string[] },
): InjectionConfig {
  const v = values as Values;
  // A trust domain given in values applies when the mesh config does not set one.
  const meshConfig = mesh as MeshConfig;
  if (!meshConfig.trustDomain && typeof v.global?.trustDomain === 'string') {
    meshConfig.trustDomain = v.global.trustDomain;
  }
  const valuesRevision = typeof v.revision === 'string' ? v.revision : '';
  const revision = opts.revision || valuesRevision || 'default';
  // Templates read `values.revision` ('' for the default revision), e.g. for CA_ADDR istiod-<rev>.
  v.revision = revision === 'default' ? '' : revision;
  return {
    values: v,
    meshConfig,
    revision,
    nativeSidecars: opts.nativeSidecars ?? 'auto',
    nodeKubeletVersions: opts.nodeKubeletVersions ?? [],
  };
}

function injectorConfigToValues(cfg: PlainObject): PlainObject {
  const out: PlainObject = {};
  for (const k of [
    'alwaysInjectSelector',
    'neverInjectSelector',
    'injectedAnnotations',
    'defaultTemplates',
  ]) {
    if (cfg[k] !== undefined && cfg[k] !== null) out[k] = cfg[k];
  }
  return out;
}

function policyToValues(cfg: PlainObject): PlainObject {
  return typeof cfg.policy === 'string' ? { proxy: { autoInject: cfg.policy } } : {};
}

function parseObject(read: () => unknown, what: string): PlainObject {
  let v: unknown;
  try {
    v = read();
  } catch (e) {
    throw new InjectionConfigError(`cannot parse ${what}: ${(e as Error).message}`);
  }
  if (v === null || v === undefined) return {};
  if (!isPlainObject(v)) throw new InjectionConfigError(`${what} must be an object`);
  return v;
}
