// kube-inject against a cluster, as istioctl does without configuration files: the revision's injector
// ConfigMap (`istio-sidecar-injector[-<rev>]`: `values`, `config`) and mesh ConfigMap (`istio[-<rev>]`:
// `mesh`) are read from the Istio namespace. Pure apart from the reader it is given.
import type { V1ConfigMap } from '@kubernetes/client-node';
import type { IopSpecOverlay } from '../../inject/api';
import { versionFromLabels } from '../../inject/versions';
import { injectConfigOverlay, meshOverlay, valuesOverlay } from './config-files';
import { KubeInjectError } from './transform';

/** Reads one ConfigMap; undefined when it does not exist (other failures throw). */
export type ConfigMapReader = (namespace: string, name: string) => Promise<V1ConfigMap | undefined>;

export interface ClusterConfigRequest {
  namespace: string;
  /** '' or 'default' for the unrevisioned control plane. */
  revision: string;
  /** Which parts come from the cluster (the others were given as files). */
  need: { values: boolean; injectConfig: boolean; mesh: boolean };
  /** ConfigMap names, when not the revision's default ones (istioctl's --injectConfigMapName ...). */
  injectorName?: string;
  meshName?: string;
}

export interface ClusterConfig {
  overlays: IopSpecOverlay[];
  /** The revision's Istio version, from the injector ConfigMap's labels. */
  istioVersion?: string;
  /** The injector ConfigMap's templates (and aliases), when its `config` was read. */
  templates?: Record<string, string>;
  templateAliases?: Record<string, string[]>;
  notes: string[];
}

export function injectorConfigMapName(revision: string): string {
  return revision && revision !== 'default' ? `istio-sidecar-injector-${revision}` : 'istio-sidecar-injector';
}

export function meshConfigMapName(revision: string): string {
  return revision && revision !== 'default' ? `istio-${revision}` : 'istio';
}

export async function clusterConfig(
  read: ConfigMapReader,
  req: ClusterConfigRequest,
): Promise<ClusterConfig> {
  const out: ClusterConfig = { overlays: [], notes: [] };
  const { namespace } = req;
  const hint =
    'use --valuesFile, --injectConfigFile and --meshConfigFile, or -i <istio namespace> and --revision';
  if (req.need.values || req.need.injectConfig) {
    const name = req.injectorName ?? injectorConfigMapName(req.revision);
    const cm = await read(namespace, name);
    if (!cm) throw new KubeInjectError(`ConfigMap ${namespace}/${name} not found; ${hint}`);
    const where = `ConfigMap ${namespace}/${name}`;
    out.istioVersion = versionFromLabels(cm.metadata?.labels);
    if (req.need.values) {
      const values = cm.data?.values;
      if (values === undefined) throw new KubeInjectError(`${where} has no data.values`);
      out.overlays.push(valuesOverlay(values, `${where} data.values`));
    }
    if (req.need.injectConfig) {
      const config = cm.data?.config;
      if (config === undefined) throw new KubeInjectError(`${where} has no data.config`);
      const ic = injectConfigOverlay(config, `${where} data.config`);
      out.overlays.push(ic.overlay);
      out.templates = ic.templates;
      out.templateAliases = ic.templateAliases;
      out.notes.push(...ic.notes);
    }
  }
  if (req.need.mesh) {
    const name = req.meshName ?? meshConfigMapName(req.revision);
    const cm = await read(namespace, name);
    if (!cm) throw new KubeInjectError(`ConfigMap ${namespace}/${name} not found; ${hint}`);
    const mesh = cm.data?.mesh;
    if (mesh === undefined) throw new KubeInjectError(`ConfigMap ${namespace}/${name} has no data.mesh`);
    out.overlays.push(meshOverlay(mesh, `ConfigMap ${namespace}/${name} data.mesh`));
  }
  return out;
}
