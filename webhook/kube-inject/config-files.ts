// The files kube-inject takes its configuration from, turned into IstioOperator-shaped overlays:
// `--values`/`--valuesFile` is a Helm values file of the istio-discovery chart (YAML or JSON, as the
// ConfigMap's `values` key) or an `istio-sidecar-injector` ConfigMap; `--mesh-config`/`--meshConfigFile` a
// MeshConfig file (the `istio` ConfigMap's `mesh` key) or that ConfigMap; `--injectConfigFile` the injector
// ConfigMap's `config` key (policy, selectors, templates ...), that ConfigMap, or a bare template.
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

/** What an inject config file holds, as an overlay, and what of it the engine does not use. */
export interface InjectConfigOverlay {
  overlay: IopSpecOverlay;
  /** Human-readable notes (printed as warnings): templates the engine renders with its own builders. */
  notes: string[];
}

// Templates the engine renders with its typed builders, and istiod's gateway templates (not injection).
const ENGINE_TEMPLATES = new Set(['sidecar', 'gateway', 'grpc-simple', 'grpc-agent']);
const GATEWAY_TEMPLATES = new Set(['waypoint', 'kube-gateway', 'agentgateway', 'agentgateway-waypoint']);

/**
 * `--injectConfigFile`: the `config` key of the injector ConfigMap (`kubectl get configmap
 * istio-sidecar-injector -o=jsonpath='{.data.config}'`), the ConfigMap itself, or a bare template (which
 * istioctl takes as the `sidecar` template). Policy, selectors, injected annotations and default templates
 * apply; templates named like a built-in one are rendered by the engine's own builders, others are added as
 * user templates.
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
    notes.push(`${source}: a bare template; the built-in sidecar template renders it`);
    return { overlay: {}, notes };
  }
  const values = injectorConfigValues(doc);
  const user: PlainObject = {};
  for (const [name, tmpl] of Object.entries(doc.templates)) {
    if (typeof tmpl !== 'string') throw new KubeInjectError(`${source}: templates.${name} must be a string`);
    if (ENGINE_TEMPLATES.has(name) || GATEWAY_TEMPLATES.has(name)) continue;
    user[name] = tmpl;
  }
  if (Object.keys(user).length > 0) {
    const webhook = isPlainObject(values.sidecarInjectorWebhook) ? values.sidecarInjectorWebhook : {};
    values.sidecarInjectorWebhook = { ...webhook, templates: user };
  }
  return { overlay: { values }, notes };
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
    throw new KubeInjectError(`${source}: ${(err as Error).message}`);
  }
  if (doc === null || doc === undefined) return {};
  if (!isPlainObject(doc)) throw new KubeInjectError(`${source}: expected a YAML mapping`);
  return doc;
}
