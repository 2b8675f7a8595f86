// Which ConfigMaps of the Istio namespace configure which revision, as istiod names them:
// `istio` / `istio-<rev>` hold the mesh config (key `mesh`), `istio-sidecar-injector` /
// `istio-sidecar-injector-<rev>` the injector's `values` (JSON) and `config` (YAML).
import type { V1ConfigMap, V1Pod } from '@kubernetes/client-node';
import { errorMessage } from '../../lib/errors';
import { injectPod } from '../../inject';
import { injectorTemplateAliases, injectorTemplates } from './templates';
import { InjectionConfigError, injectionConfigFromConfigMaps } from '../../inject/config';
import type { InjectionConfig, NativeSidecarMode } from '../../inject/api';
import { versionFromLabels } from '../../inject/versions';
import { ANNOTATIONS, PROMETHEUS } from '../../lib/istio/names';

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
  const cfg = injectionConfigFromConfigMaps(values, mesh?.data?.mesh ?? '', {
    revision,
    nativeSidecars,
    injectorConfigYaml: injector.data?.config,
    // The revision is injected as its own Istio release does; cfg.version says which (and if only nearest).
    istioVersion: versionFromLabels(injector.metadata?.labels),
  });
  const templates = injectorTemplates(injector.data?.config);
  if (templates) cfg.templates = templates;
  const aliases = injectorTemplateAliases(injector.data?.config);
  if (aliases) cfg.templateAliases = aliases;
  checkUsable(cfg);
  return cfg;
};

// Pods that take the common paths (selection, the sidecar and gateway templates, named ports, probe
// rewrite, metrics merge, resource annotations), each in admission and in kube-inject mode.
const CANARY_PODS: V1Pod[] = [
  {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'canary',
      labels: { app: 'canary', version: 'v1' },
      annotations: { [PROMETHEUS.scrape]: 'true', [ANNOTATIONS.proxyCPU]: '50m' },
    },
    spec: {
      containers: [
        {
          name: 'app',
          image: 'app',
          ports: [{ name: 'http', containerPort: 8080 }],
          readinessProbe: { httpGet: { port: 'http', path: '/ready' } },
          livenessProbe: { tcpSocket: { port: 8080 } },
        },
      ],
    },
  },
  {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'canary-gateway', annotations: { [ANNOTATIONS.templates]: 'gateway' } },
    spec: { containers: [{ name: 'istio-proxy', image: 'auto' }] },
  },
];

/**
 * Throws InjectionConfigError when the configuration parses but cannot inject the canary pods (values of
 * the wrong type, e.g. `alwaysInjectSelector: {}`): served, it would deny every pod of the mesh until the
 * ConfigMap is fixed; refused, the store keeps the revision's last good configuration and logs why.
 */
export function checkUsable(cfg: InjectionConfig): void {
  for (const pod of CANARY_PODS) {
    for (const admission of [true, false]) {
      try {
        injectPod({ pod, namespace: 'meshwright-config-check', admission }, cfg);
      } catch (err) {
        throw new InjectionConfigError(`the configuration cannot inject a test pod: ${errorMessage(err)}`);
      }
    }
  }
}
