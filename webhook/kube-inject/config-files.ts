// The files kube-inject takes its configuration from, turned into IstioOperator-shaped overlays:
// `--values`/`--valuesFile` is a Helm values file of the istio-discovery chart (YAML or JSON, as the
// ConfigMap's `values` key) or an `istio-sidecar-injector` ConfigMap; `--mesh-config`/`--meshConfigFile` a
// MeshConfig file (the `istio` ConfigMap's `mesh` key) or that ConfigMap; `--injectConfigFile` the injector
// ConfigMap's `config` key (policy, selectors, templates ...), that ConfigMap, or a bare template.
import { parse } from 'yaml';
import { deepMerge, isPlainObject, type PlainObject } from '../../lib/istio/merge';
import type { IopSpecOverlay } from '../../inject/api';
import { injectorTemplateAliases, injectorTemplates } from '../config/templates';
import { KubeInjectError } from './transform';
import { errorMessage } from '../../lib/errors';

export function valuesOverlay(text: string, source: string): IopSpecOverlay {
  const doc = parseObject(text, source);
  if (doc.kind === 'ConfigMap') {
    const raw = configMapKey(doc, 'values', source);
    let values: unknown;
    try {
      values = JSON.parse(raw);
    } catch (err) {
      throw new KubeInjectError(`${source}: data.values is not JSON: ${errorMessage(err)}`);
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

/** What an inject config file holds: an overlay of the values it renders from, and its templates. */
export interface InjectConfigOverlay {
  overlay: IopSpecOverlay;
  /**
   * The templates to inject from, as the webhook takes them from the ConfigMap (`templates:`), or the
   * whole file as the `sidecar` template when it is a bare template (istioctl's reading).
   */
  templates?: Record<string, string>;
  templateAliases?: Record<string, string[]>;
  /** Human-readable notes, printed as warnings. */
  notes: string[];
}

/**
 * `--injectConfigFile`: the `config` key of the injector ConfigMap (`kubectl get configmap
 * istio-sidecar-injector -o=jsonpath='{.data.config}'`), the ConfigMap itself, or a bare template (which
 * istioctl takes as the `sidecar` template). Policy, selectors, injected annotations and default templates
 * apply, and the templates are what gets injected, exactly as the webhook runs a ConfigMap's templates.
 */
export function injectConfigOverlay(text: string, source: string): InjectConfigOverlay {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch {
    doc = undefined;
  }
  if (isPlainObject(doc) && doc.kind === 'ConfigMap') {
    return injectConfigOverlay(configMapKey(doc, 'config', source), `${source} data.config`);
  }
  const notes: string[] = [];
  if (!isPlainObject(doc) || !isPlainObject(doc.templates) || Object.keys(doc.templates).length === 0) {
    // No `templates` map: istioctl reads the whole file as the sidecar template.
    if (isPlainObject(doc) && INJECT_CONFIG_KEYS.some((k) => doc[k] !== undefined)) {
      return { overlay: { values: injectorConfigValues(doc) }, notes };
    }
    notes.push(`${source}: a bare template; injected as the sidecar template`);
    return { overlay: {}, templates: { sidecar: text }, notes };
  }
  try {
    return {
      overlay: { values: injectorConfigValues(doc) },
      templates: injectorTemplates(text),
      templateAliases: injectorTemplateAliases(text),
      notes,
    };
  } catch (err) {
    throw new KubeInjectError(`${source}: ${errorMessage(err)}`);
  }
}

const INJECT_CONFIG_KEYS = [
  'policy',
  'alwaysInjectSelector',
  'neverInjectSelector',
  'injectedAnnotations',
  'defaultTemplates',
];

// The injector ConfigMap's `config` key is rendered from these values; reading it back lets an edited
// ConfigMap (policy, selectors, injected annotations, default templates) take effect.
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
    throw new KubeInjectError(`${source}: ${errorMessage(err)}`);
  }
  if (doc === null || doc === undefined) return {};
  if (!isPlainObject(doc)) throw new KubeInjectError(`${source}: expected a YAML mapping`);
  return doc;
}
