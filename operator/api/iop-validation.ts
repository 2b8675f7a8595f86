// Validation of the merged IstioOperator, as strict as istioctl 1.24+: the IstioOperator envelope, spec,
// components and k8s settings decode strictly (unknown fields and wrong types are errors), the chart values
// istioctl types are type-checked, and `values.global` may only hold fields some chart of the release
// knows. Everything istioctl accepts (any profile the release ships, ztunnel, unnamed gateways, overlays
// matching nothing) passes. Messages name the field.
import { isPlainObject, type PlainObject } from '../../lib/istio/merge';

export class IopValidationError extends Error {
  constructor(readonly errors: readonly string[]) {
    super(`invalid IstioOperator: ${errors.join('; ')}`);
    this.name = 'IopValidationError';
  }
}

export interface IopProblems {
  readonly errors: string[];
  readonly warnings: string[];
}

type Check = (v: unknown, at: string, errs: string[]) => void;

const describe = (v: unknown): string =>
  v === null
    ? 'null'
    : Array.isArray(v)
      ? 'a list'
      : isPlainObject(v)
        ? 'a map'
        : `${typeof v} ${JSON.stringify(v)}`;

const str: Check = (v, at, errs) => {
  if (v !== null && typeof v !== 'string') errs.push(`${at}: expected a string, got ${describe(v)}`);
};
const bool: Check = (v, at, errs) => {
  if (v !== null && typeof v !== 'boolean') errs.push(`${at}: expected true or false, got ${describe(v)}`);
};
const any: Check = () => undefined;
const uint32: Check = (v, at, errs) => {
  if (v !== null && !(typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffffffff))
    errs.push(`${at}: expected a non-negative integer, got ${describe(v)}`);
};
const stringMap: Check = (v, at, errs) => {
  if (v === null) return;
  if (!isPlainObject(v)) return void errs.push(`${at}: expected a map of strings, got ${describe(v)}`);
  for (const [k, x] of Object.entries(v)) str(x, `${at}.${k}`, errs);
};
const map: Check = (v, at, errs) => {
  if (v !== null && !isPlainObject(v)) errs.push(`${at}: expected a map, got ${describe(v)}`);
};
const listOf =
  (item: Check): Check =>
  (v, at, errs) => {
    if (v === null) return;
    if (!Array.isArray(v)) return void errs.push(`${at}: expected a list, got ${describe(v)}`);
    v.forEach((x, i) => item(x, `${at}[${i}]`, errs));
  };
const struct =
  (fields: Record<string, Check>): Check =>
  (v, at, errs) => {
    if (v === null || v === undefined) return;
    if (!isPlainObject(v)) return void errs.push(`${at}: expected a map, got ${describe(v)}`);
    for (const [k, x] of Object.entries(v)) {
      const f = fields[k];
      if (!f) errs.push(`${at}: unknown field ${JSON.stringify(k)}`);
      else f(x, at ? `${at}.${k}` : k, errs);
    }
  };

const envVar = struct({ name: str, value: str, valueFrom: map });
const toleration = struct({ key: str, operator: str, value: str, effect: str, tolerationSeconds: any });
const overlay = struct({
  apiVersion: str,
  kind: str,
  name: str,
  patches: listOf(struct({ path: str, value: any })),
});

const k8s = struct({
  affinity: map,
  env: listOf(envVar),
  hpaSpec: map,
  imagePullPolicy: str,
  nodeSelector: stringMap,
  podDisruptionBudget: map,
  podAnnotations: stringMap,
  priorityClassName: str,
  readinessProbe: map,
  replicaCount: uint32,
  resources: map,
  service: map,
  strategy: map,
  tolerations: listOf(toleration),
  serviceAnnotations: stringMap,
  securityContext: map,
  volumes: listOf(map),
  volumeMounts: listOf(map),
  overlays: listOf(overlay),
});

const component = struct({ enabled: bool, namespace: str, hub: str, tag: any, k8s });
const gateway = struct({
  enabled: bool,
  namespace: str,
  hub: str,
  tag: any,
  k8s,
  name: str,
  label: stringMap,
});

const components = struct({
  base: struct({ enabled: bool, k8s }),
  pilot: component,
  cni: component,
  ztunnel: component,
  istiodRemote: component,
  ingressGateways: listOf(gateway),
  egressGateways: listOf(gateway),
});

const METADATA_FIELDS = [
  'name',
  'generateName',
  'namespace',
  'selfLink',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
  'managedFields',
];

const iopShape = struct({
  apiVersion: str,
  kind: str,
  metadata: struct({
    ...Object.fromEntries(METADATA_FIELDS.map((f) => [f, any])),
    name: str,
    namespace: str,
    labels: stringMap,
    annotations: stringMap,
  }),
  spec: struct({
    profile: str,
    installPackagePath: str,
    hub: str,
    tag: any,
    namespace: str,
    revision: str,
    compatibilityVersion: str,
    meshConfig: map,
    components,
    values: map,
    unvalidatedValues: any,
  }),
});

/** Typed mesh-config fields istioctl's MeshConfig decoding would refuse with another type. */
const MESH_BOOLS = [
  'enableTracing',
  'enablePrometheusMerge',
  'enableAutoMtls',
  'enableEnvoyAccessLogService',
  'disableEnvoyListenerLog',
  'ingressControllerMode',
];

/** Chart values istioctl's typed Values would refuse with another type. */
const VALUE_TYPES: [string, Check][] = [
  ['pilot.replicaCount', uint32],
  ['pilot.autoscaleMin', uint32],
  ['pilot.autoscaleMax', uint32],
  ['pilot.autoscaleEnabled', bool],
  ['pilot.enabled', bool],
  ['gateways.istio-ingressgateway.enabled', bool],
  ['gateways.istio-egressgateway.enabled', bool],
  ['gateways.istio-ingressgateway.autoscaleMin', uint32],
  ['gateways.istio-ingressgateway.autoscaleMax', uint32],
  ['gateways.istio-egressgateway.autoscaleMin', uint32],
  ['gateways.istio-egressgateway.autoscaleMax', uint32],
  ['global.istioNamespace', str],
  ['global.hub', str],
  ['revision', str],
  ['global.defaultTolerations', listOf(toleration)],
  ['pilot.tolerations', listOf(toleration)],
  ['gateways.istio-ingressgateway.tolerations', listOf(toleration)],
  ['gateways.istio-egressgateway.tolerations', listOf(toleration)],
];

function at(root: unknown, path: string[]): unknown {
  let cur = root;
  for (const p of path) {
    if (!isPlainObject(cur)) return undefined;
    cur = cur[p];
  }
  return cur;
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** istioctl's gateway name rule (dots allowed). */
const OBJECT_NAME = /^[a-z0-9.-]{1,254}$/;
/** A registry/repository path, as an image reference's name part. */
const HUB = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?::\d+)?(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
/** Docker's tag grammar. */
const TAG = /^[\w][\w.-]{0,127}$/;

/**
 * A gateway Service port whose target is below 1024 needs root in the proxy; istioctl refuses it unless
 * `values.gateways.<gateway>.runAsRoot` (named target ports are not checked).
 */
function privilegedPorts(g: PlainObject, at: string, valuesKey: string): string[] {
  const ports = isPlainObject(g.k8s) && isPlainObject(g.k8s.service) ? g.k8s.service.ports : undefined;
  if (!Array.isArray(ports)) return [];
  const out: string[] = [];
  ports.forEach((p: unknown, i) => {
    if (!isPlainObject(p) || typeof p.targetPort === 'string') return;
    const port = typeof p.port === 'number' ? p.port : 0;
    const target = typeof p.targetPort === 'number' ? p.targetPort : 0;
    if (target === 0 && port > 1024) return;
    if (target < 1024) {
      out.push(
        `${at}.k8s.service.ports[${i}]: targetPort ${target} of port ${port} requires root; use a targetPort above 1024 or set values.gateways.${valuesKey}.runAsRoot=true`,
      );
    }
  });
  return out;
}

/**
 * Validates the merged IstioOperator. `globalFields` are the `values.global` keys the release's charts and
 * profiles know; without it unknown `values.global` fields are not checked.
 */
export function validateMergedIstioOperator(
  iop: PlainObject,
  globalFields?: ReadonlySet<string>,
): IopProblems {
  const errors: string[] = [];
  const warnings: string[] = [];
  iopShape(iop, '', errors);
  const spec = isPlainObject(iop.spec) ? iop.spec : {};
  const values = isPlainObject(spec.values) ? spec.values : {};
  for (const [path, check] of VALUE_TYPES) {
    const v = at(values, path.split('.'));
    if (v !== undefined) check(v, `spec.values.${path}`, errors);
  }
  for (const mc of [
    ['spec.meshConfig', spec.meshConfig],
    ['spec.values.meshConfig', values.meshConfig],
  ] as const) {
    if (!isPlainObject(mc[1])) continue;
    for (const f of MESH_BOOLS) if (mc[1][f] !== undefined) bool(mc[1][f], `${mc[0]}.${f}`, errors);
  }
  if (globalFields && isPlainObject(values.global)) {
    for (const k of Object.keys(values.global)) {
      if (!globalFields.has(k)) errors.push(`spec.values.global: unknown field ${JSON.stringify(k)}`);
    }
  }
  const rev = spec.revision;
  if (typeof rev === 'string' && rev !== '' && !DNS1123_LABEL.test(rev))
    errors.push(`spec.revision: ${JSON.stringify(rev)} is not a DNS-1123 label`);
  const c = isPlainObject(spec.components) ? spec.components : {};
  const gatewayValues = isPlainObject(values.gateways) ? values.gateways : {};
  for (const [kind, valuesKey] of [
    ['ingressGateways', 'istio-ingressgateway'],
    ['egressGateways', 'istio-egressgateway'],
  ] as const) {
    const list = c[kind];
    if (!Array.isArray(list)) continue;
    const gv = gatewayValues[valuesKey];
    const runAsRoot = isPlainObject(gv) && gv.runAsRoot === true;
    list.forEach((g: unknown, i) => {
      if (!isPlainObject(g)) return;
      const at = `spec.components.${kind}[${i}]`;
      if (typeof g.name === 'string' && g.name !== '' && !OBJECT_NAME.test(g.name))
        errors.push(`${at}.name: ${JSON.stringify(g.name)} is not a valid object name`);
      if (!runAsRoot) errors.push(...privilegedPorts(g, at, valuesKey));
    });
  }
  if (typeof spec.hub === 'string' && spec.hub !== '' && !HUB.test(spec.hub))
    errors.push(`spec.hub: ${JSON.stringify(spec.hub)} is not an image repository`);
  if (spec.tag !== undefined && spec.tag !== null && !TAG.test(String(spec.tag)))
    errors.push(`spec.tag: ${JSON.stringify(spec.tag)} is not an image tag`);
  return { errors, warnings };
}
