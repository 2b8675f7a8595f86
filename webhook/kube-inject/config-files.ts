// The files kube-inject takes its configuration from, turned into IstioOperator-shaped overlays:
// `--values` is a Helm values file of the istio-discovery chart or an `istio-sidecar-injector` ConfigMap
// (its `values` key, JSON); `--mesh-config` is a MeshConfig file or an `istio` ConfigMap (its `mesh` key).
import { parse } from 'yaml';
import { deepMerge, isPlainObject, type PlainObject } from '../../lib/istio/merge';
import type { IopSpecOverlay } from '../inject/api';
import { KubeInjectError } from './transform';

export function valuesOverlay(text: string, source: string): IopSpecOverlay {
  const doc = parseObject(text, source);
  if (doc.kind === 'ConfigMap') {
    const raw = configMapKey(doc, 'values', source);
    let values: unknown;
    try {
      values = JSON.parse(raw);
    } catch (err) {
      throw new KubeInjectError(`${source}: data.values is not JSON: ${(err as Error).message}`);
    }
    if (!isPlainObject(values)) throw new KubeInjectError(`${source}: data.values must be a JSON object`);
    const data = isPlainObject(doc.data) ? doc.data : {};
    const config = typeof data.config === 'string' ? parseObject(data.config, `${source} data.config`) : {};
    return { values: deepMerge(values, injectorConfigValues(config)) };
  }
  return { values: doc };
}

export function meshOverlay(text: string, source: string): IopSpecOverlay {
  const doc = parseObject(text, source);
  if (doc.kind === 'ConfigMap')
    return { meshConfig: parseObject(configMapKey(doc, 'mesh', source), `${source} data.mesh`) };
  return { meshConfig: doc };
}

// The injector ConfigMap's `config` key is rendered from these values; reading it back lets an edited
// ConfigMap (policy, selectors, injected annotations, default templates) take effect. Its templates are not
// read: the engine renders its built-in templates.
function injectorConfigValues(config: PlainObject): PlainObject {
  const webhook: PlainObject = {};
  for (const k of [
    'alwaysInjectSelector',
    'neverInjectSelector',
    'injectedAnnotations',
    'defaultTemplates',
  ]) {
    if (config[k] !== undefined && config[k] !== null) webhook[k] = config[k];
  }
  const out: PlainObject = Object.keys(webhook).length > 0 ? { sidecarInjectorWebhook: webhook } : {};
  if (typeof config.policy === 'string') out.global = { proxy: { autoInject: config.policy } };
  return out;
}

function configMapKey(cm: PlainObject, key: string, source: string): string {
  const data = isPlainObject(cm.data) ? cm.data : {};
  const v = data[key];
  if (typeof v !== 'string') throw new KubeInjectError(`${source}: ConfigMap has no data.${key}`);
  return v;
}

function parseObject(text: string, source: string): PlainObject {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new KubeInjectError(`${source}: ${(err as Error).message}`);
  }
  if (doc === null || doc === undefined) return {};
  if (!isPlainObject(doc)) throw new KubeInjectError(`${source}: expected a YAML mapping`);
  return doc;
}
