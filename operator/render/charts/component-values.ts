// Each component's view of the merged IstioOperator, as istioctl hands it to the chart: gateways get their
// own name, labels and Service ports; a component's hub/tag override the global ones; 1.31 and later copy
// `k8s` scaling and CPU settings into chart values so the chart's PDB and env guards see them; ztunnel's
// chart reads its values unprefixed. Pure: returns a new map, never mutates `merged`.
import { deepClone, isPlainObject, type PlainObject } from '../../../lib/istio/merge';
import type { ComponentInstance } from './components';
import { canonicalCpu } from './cpu-quantity';
import { goString } from './merge-inputs';
import { getMap, getPath, setPath, setSpecPaths } from './values-map';

export interface TranslationRules {
  /** 1.31+: `k8s.hpaSpec` min/max, `k8s.replicaCount` and CPU resources become chart values. */
  readonly k8sIntoValues: boolean;
}

/** The translation rules of a release version (`1.31.0-rc.0` counts as 1.31). */
export function translationRules(version: string): TranslationRules {
  const m = /^v?(\d+)\.(\d+)/.exec(version);
  const minor = m ? Number(m[1]) * 1000 + Number(m[2]) : 0;
  return { k8sIntoValues: minor >= 1031 };
}

export function componentValues(
  inst: ComponentInstance,
  merged: PlainObject,
  rules: TranslationRules,
): PlainObject {
  const out = deepClone(merged);
  const c = inst.component;
  const root = c.valuesRoot;
  const raw = inst.raw;
  const k8s = isPlainObject(raw.k8s) ? raw.k8s : undefined;
  if (c.multi) {
    setPath(out, `spec.values.${root}.name`, inst.name);
    setPath(out, `spec.values.${root}.labels`, isPlainObject(raw.label) ? deepClone(raw.label) : {});
    const ports = getPath(k8s, 'service.ports');
    if (Array.isArray(ports) && ports.length > 0) setPath(out, `spec.values.${root}.ports`, deepClone(ports));
  }
  if (rules.k8sIntoValues && k8s) {
    if (c.workload?.kind === 'Deployment') {
      const min = getPath(k8s, 'hpaSpec.minReplicas');
      if (typeof min === 'number') setPath(out, `spec.values.${root}.autoscaleMin`, min);
      const max = getPath(k8s, 'hpaSpec.maxReplicas');
      if (typeof max === 'number' && max > 0) setPath(out, `spec.values.${root}.autoscaleMax`, max);
      const replicas = k8s.replicaCount;
      if (typeof replicas === 'number' && replicas > 0)
        setPath(out, `spec.values.${root}.replicaCount`, replicas);
    }
    const limit = canonicalCpu(getPath(k8s, 'resources.limits.cpu'));
    if (limit) setPath(out, `spec.values.${root}.resources.limits.cpu`, limit);
    const request = canonicalCpu(getPath(k8s, 'resources.requests.cpu'));
    if (request) setPath(out, `spec.values.${root}.resources.requests.cpu`, request);
  }
  if (typeof raw.hub === 'string' && raw.hub !== '') setSpecPaths(out, [`values.${root}.hub=${raw.hub}`]);
  if (raw.tag !== undefined && raw.tag !== null)
    setSpecPaths(out, [`values.${root}.tag=${goString(raw.tag)}`]);
  if (c.flattenValues) {
    const own = getMap(out, `spec.values.${root}`);
    const vals = getMap(out, 'spec.values');
    if (own && vals) {
      const flat: PlainObject = { global: vals.global ?? null };
      for (const [k, v] of Object.entries(vals)) if (!isPlainObject(v)) flat[k] = v;
      Object.assign(flat, own);
      (out.spec as PlainObject).values = flat;
    }
  }
  return out;
}
