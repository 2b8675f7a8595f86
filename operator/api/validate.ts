// Validation of IstioOperator input with specific messages (field path + what is wrong), so a bad CR or
// file fails before anything is rendered or applied. Works on `unknown`: the input comes from YAML.
import { isPlainObject, type PlainObject } from '../../lib/istio/merge';
import { IOP_SPEC_FIELDS } from '../../lib/istio/setpath';
import { COMPONENT_KEYS, GATEWAY_KINDS, UNSUPPORTED_COMPONENTS } from './components';
import { isSupportedProfile, SUPPORTED_PROFILES, UNSUPPORTED_PROFILES } from './profiles';
import { IOP_API_VERSION, IOP_KIND, type IstioOperator } from './types';

export class ValidationError extends Error {
  constructor(readonly errors: string[]) {
    super(errors.length === 1 ? errors[0] : `invalid IstioOperator:\n  - ${errors.join('\n  - ')}`);
  }
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const COMPONENT_FIELDS = ['enabled', 'namespace', 'hub', 'tag', 'label', 'k8s'];
const BASE_FIELDS = ['enabled', 'k8s'];
const GATEWAY_FIELDS = ['name', ...COMPONENT_FIELDS];

type Check = 'object' | 'array' | 'string' | 'int' | 'stringMap';
const K8S_FIELDS: Record<string, Check> = {
  affinity: 'object',
  env: 'array',
  hpaSpec: 'object',
  imagePullPolicy: 'string',
  nodeSelector: 'stringMap',
  podDisruptionBudget: 'object',
  podAnnotations: 'stringMap',
  priorityClassName: 'string',
  readinessProbe: 'object',
  replicaCount: 'int',
  resources: 'object',
  service: 'object',
  strategy: 'object',
  tolerations: 'array',
  serviceAnnotations: 'stringMap',
  securityContext: 'object',
  volumes: 'array',
  volumeMounts: 'array',
  topologySpreadConstraints: 'array',
  overlays: 'array',
};
const TOLERATION_FIELDS = ['key', 'operator', 'value', 'effect', 'tolerationSeconds'];
const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];

const describe = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'a list' : `a ${typeof v}`;

function checkType(v: unknown, check: Check): string | undefined {
  switch (check) {
    case 'object':
      return isPlainObject(v) ? undefined : `must be an object, got ${describe(v)}`;
    case 'array':
      return Array.isArray(v) ? undefined : `must be a list, got ${describe(v)}`;
    case 'string':
      return typeof v === 'string' ? undefined : `must be a string, got ${describe(v)}`;
    case 'int':
      return Number.isInteger(v) && (v as number) >= 0
        ? undefined
        : `must be a non-negative integer, got ${JSON.stringify(v)}`;
    case 'stringMap':
      if (!isPlainObject(v)) return `must be a map of strings, got ${describe(v)}`;
      for (const [k, x] of Object.entries(v))
        if (typeof x !== 'string')
          return `value of ${JSON.stringify(k)} must be a string, got ${describe(x)}`;
      return undefined;
  }
}

function unknownKeys(
  obj: PlainObject,
  allowed: readonly string[],
  at: string,
  what: string,
  errors: string[],
): void {
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k))
      errors.push(`${at}.${k}: unknown ${what} field (expected one of ${allowed.join(', ')})`);
  }
}

function checkTolerations(list: unknown, at: string, errors: string[]): void {
  if (!Array.isArray(list)) return;
  list.forEach((t, i) => {
    if (!isPlainObject(t)) errors.push(`${at}[${i}]: a toleration must be an object, got ${describe(t)}`);
    else unknownKeys(t, TOLERATION_FIELDS, `${at}[${i}]`, 'toleration', errors);
  });
}

function checkK8s(k8s: unknown, at: string, errors: string[]): void {
  if (!isPlainObject(k8s)) {
    errors.push(`${at}: must be an object, got ${describe(k8s)}`);
    return;
  }
  for (const [k, v] of Object.entries(k8s)) {
    const check = K8S_FIELDS[k];
    if (!check) {
      errors.push(`${at}.${k}: unknown k8s setting (expected one of ${Object.keys(K8S_FIELDS).join(', ')})`);
      continue;
    }
    if (v === null || v === undefined) continue;
    const problem = checkType(v, check);
    if (problem) errors.push(`${at}.${k}: ${problem}`);
  }
  if (typeof k8s.imagePullPolicy === 'string' && !PULL_POLICIES.includes(k8s.imagePullPolicy)) {
    errors.push(
      `${at}.imagePullPolicy: must be one of ${PULL_POLICIES.join(', ')}, got ${JSON.stringify(k8s.imagePullPolicy)}`,
    );
  }
  checkTolerations(k8s.tolerations, `${at}.tolerations`, errors);
  if (isPlainObject(k8s.hpaSpec) && Array.isArray(k8s.hpaSpec.metrics)) {
    k8s.hpaSpec.metrics.forEach((m, i) => {
      // The v2beta1 object-metric form has no autoscaling/v2 equivalent that can be derived safely.
      if (isPlainObject(m) && isPlainObject(m.object) && m.object.metricName !== undefined) {
        errors.push(
          `${at}.hpaSpec.metrics[${i}].object.metricName: autoscaling/v2beta1 form is not supported; use object.metric.name and object.target (autoscaling/v2)`,
        );
      }
    });
  }
  if (Array.isArray(k8s.env)) {
    k8s.env.forEach((e, i) => {
      if (!isPlainObject(e) || typeof e.name !== 'string' || e.name === '')
        errors.push(`${at}.env[${i}]: needs a non-empty name`);
    });
  }
  if (isPlainObject(k8s.resources)) {
    for (const [k, v] of Object.entries(k8s.resources)) {
      if (k !== 'requests' && k !== 'limits' && k !== 'claims')
        errors.push(`${at}.resources.${k}: unknown field (expected requests, limits)`);
      else if (k !== 'claims' && v !== null && !isPlainObject(v))
        errors.push(`${at}.resources.${k}: must be a map of quantities, got ${describe(v)}`);
      else if (isPlainObject(v)) {
        for (const [r, q] of Object.entries(v)) {
          if (typeof q !== 'string' && typeof q !== 'number')
            errors.push(`${at}.resources.${k}.${r}: must be a quantity, got ${describe(q)}`);
        }
      }
    }
  }
  if (Array.isArray(k8s.overlays)) {
    k8s.overlays.forEach((o, i) => {
      const oat = `${at}.overlays[${i}]`;
      if (!isPlainObject(o)) return void errors.push(`${oat}: must be an object, got ${describe(o)}`);
      unknownKeys(o, ['apiVersion', 'kind', 'name', 'patches'], oat, 'overlay', errors);
      if (typeof o.kind !== 'string' || o.kind === '') errors.push(`${oat}.kind: required`);
      if (typeof o.name !== 'string' || o.name === '') errors.push(`${oat}.name: required`);
      if (o.patches !== undefined && !Array.isArray(o.patches)) errors.push(`${oat}.patches: must be a list`);
      if (Array.isArray(o.patches)) {
        o.patches.forEach((p, j) => {
          if (!isPlainObject(p) || typeof p.path !== 'string' || p.path === '')
            errors.push(`${oat}.patches[${j}].path: required`);
          else unknownKeys(p, ['path', 'value'], `${oat}.patches[${j}]`, 'patch', errors);
        });
      }
    });
  }
}

function checkComponent(c: unknown, at: string, allowed: readonly string[], errors: string[]): void {
  if (!isPlainObject(c)) return void errors.push(`${at}: must be an object, got ${describe(c)}`);
  unknownKeys(c, allowed, at, 'component', errors);
  if (c.enabled !== undefined && c.enabled !== null && typeof c.enabled !== 'boolean') {
    errors.push(`${at}.enabled: must be true or false, got ${JSON.stringify(c.enabled)}`);
  }
  for (const f of ['hub', 'namespace'] as const) {
    if (c[f] !== undefined && typeof c[f] !== 'string')
      errors.push(`${at}.${f}: must be a string, got ${describe(c[f])}`);
  }
  if (typeof c.namespace === 'string' && !DNS1123_LABEL.test(c.namespace)) {
    errors.push(
      `${at}.namespace: ${JSON.stringify(c.namespace)} is not a valid namespace name (DNS-1123 label)`,
    );
  }
  if (c.tag !== undefined && typeof c.tag !== 'string' && typeof c.tag !== 'number')
    errors.push(`${at}.tag: must be a string`);
  if (c.label !== undefined) {
    const problem = checkType(c.label, 'stringMap');
    if (problem) errors.push(`${at}.label: ${problem}`);
  }
  if (c.k8s !== undefined && c.k8s !== null) checkK8s(c.k8s, `${at}.k8s`, errors);
}

function checkComponents(components: unknown, errors: string[], final: boolean): void {
  if (!isPlainObject(components))
    return void errors.push(`spec.components: must be an object, got ${describe(components)}`);
  for (const key of Object.keys(components)) {
    if (!(COMPONENT_KEYS as readonly string[]).includes(key)) {
      errors.push(`spec.components.${key}: unknown component (expected one of ${COMPONENT_KEYS.join(', ')})`);
    }
  }
  if (components.base !== undefined) {
    checkComponent(components.base, 'spec.components.base', BASE_FIELDS, errors);
    // Base has no workload: settings other than overlays would be silently ignored.
    const k8s = isPlainObject(components.base) ? components.base.k8s : undefined;
    for (const k of isPlainObject(k8s) ? Object.keys(k8s) : []) {
      if (k !== 'overlays' && K8S_FIELDS[k])
        errors.push(`spec.components.base.k8s.${k}: only overlays apply to the base component`);
    }
  }
  for (const key of ['pilot', 'cni', 'ztunnel'] as const) {
    if (components[key] !== undefined)
      checkComponent(components[key], `spec.components.${key}`, COMPONENT_FIELDS, errors);
  }
  for (const key of final ? UNSUPPORTED_COMPONENTS : []) {
    const c = components[key];
    if (isPlainObject(c) && c.enabled === true) {
      errors.push(
        `spec.components.${key}: the ${key} component (ambient mode) is not supported by Meshwright yet; set enabled: false`,
      );
    }
  }
  // Gateways of both kinds share the namespace's object names, so names must be unique per namespace.
  const seen = new Map<string, string>();
  for (const kind of GATEWAY_KINDS) {
    const list = components[kind];
    if (list === undefined || list === null) continue;
    if (!Array.isArray(list)) {
      errors.push(`spec.components.${kind}: must be a list of gateways, got ${describe(list)}`);
      continue;
    }
    list.forEach((g, i) => {
      const at = `spec.components.${kind}[${i}]`;
      checkComponent(g, at, GATEWAY_FIELDS, errors);
      if (!isPlainObject(g)) return;
      if (typeof g.name !== 'string' || g.name === '')
        return void errors.push(`${at}.name: a gateway needs a name`);
      if (!DNS1123_SUBDOMAIN.test(g.name) || g.name.length > 253) {
        errors.push(`${at}.name: ${JSON.stringify(g.name)} is not a valid object name (DNS-1123 subdomain)`);
      }
      const ns = typeof g.namespace === 'string' ? g.namespace : '';
      const key = `${ns}/${g.name}`;
      const prev = seen.get(key);
      if (prev) errors.push(`${at}.name: duplicate gateway name ${JSON.stringify(g.name)} (also ${prev})`);
      else seen.set(key, at);
    });
  }
}

/**
 * Problems with a spec; empty when valid. `final` (the default) is for the resolved spec about to be
 * rendered: it also rejects unsupported profiles and components, which a user spec may still have
 * overridden by --set (so parseIstioOperator checks only the structure).
 */
export function validateSpec(spec: unknown, final = true): string[] {
  const errors: string[] = [];
  if (spec === undefined || spec === null) return errors;
  if (!isPlainObject(spec)) return [`spec: must be an object, got ${describe(spec)}`];
  unknownKeys(spec, IOP_SPEC_FIELDS, 'spec', 'IstioOperator spec', errors);
  if (spec.profile !== undefined) {
    if (typeof spec.profile !== 'string')
      errors.push(`spec.profile: must be a string, got ${describe(spec.profile)}`);
    else if (final && spec.profile !== '' && !isSupportedProfile(spec.profile)) {
      errors.push(
        UNSUPPORTED_PROFILES.includes(spec.profile)
          ? `spec.profile: profile ${JSON.stringify(spec.profile)} is not supported by Meshwright yet (supported: ${SUPPORTED_PROFILES.join(', ')})`
          : `spec.profile: unknown profile ${JSON.stringify(spec.profile)} (supported: ${SUPPORTED_PROFILES.join(', ')})`,
      );
    }
  }
  if (spec.revision !== undefined && spec.revision !== '') {
    if (typeof spec.revision !== 'string')
      errors.push(`spec.revision: must be a string, got ${describe(spec.revision)}`);
    else if (!DNS1123_LABEL.test(spec.revision) || spec.revision.length > 63) {
      errors.push(
        `spec.revision: ${JSON.stringify(spec.revision)} is not a valid revision name: it must be a DNS-1123 label ` +
          '(lower case letters, digits and "-", starting and ending with a letter or digit, at most 63 characters)',
      );
    }
  }
  if (
    spec.namespace !== undefined &&
    (typeof spec.namespace !== 'string' || !DNS1123_LABEL.test(spec.namespace))
  ) {
    errors.push(
      `spec.namespace: ${JSON.stringify(spec.namespace)} is not a valid namespace name (DNS-1123 label)`,
    );
  }
  if (spec.hub !== undefined && typeof spec.hub !== 'string')
    errors.push(`spec.hub: must be a string, got ${describe(spec.hub)}`);
  if (spec.tag !== undefined && typeof spec.tag !== 'string' && typeof spec.tag !== 'number') {
    errors.push(`spec.tag: must be a string, got ${describe(spec.tag)}`);
  }
  for (const f of ['meshConfig', 'values', 'unvalidatedValues'] as const) {
    if (spec[f] !== undefined && spec[f] !== null && !isPlainObject(spec[f]))
      errors.push(`spec.${f}: must be an object, got ${describe(spec[f])}`);
  }
  if (isPlainObject(spec.values)) {
    // Sections the renderer reads field by field must be maps (a `--set values.pilot=3` would break it).
    for (const section of [
      'global',
      'pilot',
      'gateways',
      'cni',
      'istio_cni',
      'sidecarInjectorWebhook',
      'meshConfig',
      'base',
    ]) {
      const v = spec.values[section];
      if (v !== undefined && v !== null && !isPlainObject(v))
        errors.push(`spec.values.${section}: must be an object, got ${describe(v)}`);
    }
    const g = spec.values.global;
    if (isPlainObject(g))
      checkTolerations(g.defaultTolerations, 'spec.values.global.defaultTolerations', errors);
    const p = spec.values.pilot;
    if (isPlainObject(p)) checkTolerations(p.tolerations, 'spec.values.pilot.tolerations', errors);
  }
  if (spec.components !== undefined && spec.components !== null)
    checkComponents(spec.components, errors, final);
  return errors;
}

/** Checks the envelope (apiVersion, kind, metadata) and the spec of a parsed document; throws ValidationError. */
export function parseIstioOperator(doc: unknown): IstioOperator {
  if (!isPlainObject(doc))
    throw new ValidationError([`an IstioOperator must be an object, got ${describe(doc)}`]);
  const errors: string[] = [];
  if (doc.apiVersion !== IOP_API_VERSION)
    errors.push(`apiVersion: must be ${IOP_API_VERSION}, got ${JSON.stringify(doc.apiVersion)}`);
  if (doc.kind !== IOP_KIND) errors.push(`kind: must be ${IOP_KIND}, got ${JSON.stringify(doc.kind)}`);
  if (doc.metadata !== undefined && !isPlainObject(doc.metadata)) errors.push('metadata: must be an object');
  errors.push(...validateSpec(doc.spec, false));
  if (errors.length > 0) throw new ValidationError(errors);
  // The checks above are the type guard: a document that passed them is an IstioOperator.
  return doc as unknown as IstioOperator;
}
