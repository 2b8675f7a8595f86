// Which ConfigMaps of the Istio namespace configure which revision, as istiod names them:
// `istio` / `istio-<rev>` hold the mesh config (key `mesh`), `istio-sidecar-injector` /
// `istio-sidecar-injector-<rev>` the injector's `values` (JSON) and `config` (YAML).
import type { V1ConfigMap } from '@kubernetes/client-node';
import { injectionConfigFromConfigMaps } from '../inject/config';
import type { InjectionConfig, NativeSidecarMode } from '../inject/api';

export const DEFAULT_REVISION = 'default';
const INJECTOR = 'istio-sidecar-injector';
const MESH = 'istio';

export type ConfigMapRole = { role: 'mesh' | 'injector'; revision: string };

/** The role of a ConfigMap by name; undefined for ConfigMaps the injector does not read. */
export function configMapRole(name: string): ConfigMapRole | undefined {
  if (name === INJECTOR) return { role: 'injector', revision: DEFAULT_REVISION };
  if (name.startsWith(`${INJECTOR}-`)) return { role: 'injector', revision: name.slice(INJECTOR.length + 1) };
  if (name === MESH) return { role: 'mesh', revision: DEFAULT_REVISION };
  // `istio-ca-root-cert` and the like also match here; they are harmless, being only read for a
  // revision that has an injector ConfigMap (and a `mesh` key).
  if (name.startsWith(`${MESH}-`)) return { role: 'mesh', revision: name.slice(MESH.length + 1) };
  return undefined;
}

export function injectorConfigMapName(revision: string): string {
  return revision === DEFAULT_REVISION ? INJECTOR : `${INJECTOR}-${revision}`;
}

export function meshConfigMapName(revision: string): string {
  return revision === DEFAULT_REVISION ? MESH : `${MESH}-${revision}`;
}

/** Builds one revision's InjectionConfig from its ConfigMaps; throws InjectionConfigError on bad data. */
export type ConfigMapBuilder = (input: {
  revision: string;
  injector: V1ConfigMap;
  /** Absent: mesh defaults, as istiod does without a mesh ConfigMap. */
  mesh?: V1ConfigMap;
  nativeSidecars: NativeSidecarMode;
}) => InjectionConfig;

export const buildFromConfigMaps: ConfigMapBuilder = ({ revision, injector, mesh, nativeSidecars }) => {
  const values = injector.data?.values;
  if (values === undefined) {
    throw new Error(`ConfigMap ${injector.metadata?.name} has no "values" key`);
  }
  return injectionConfigFromConfigMaps(values, mesh?.data?.mesh ?? '', {
    revision,
    nativeSidecars,
    injectorConfigYaml: injector.data?.config,
  });
};
