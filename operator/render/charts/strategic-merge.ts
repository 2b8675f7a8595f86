// Kubernetes strategic merge patch, for the shapes istioctl patches with `components.*.k8s` settings
// (Deployments, DaemonSets, Services, HPAs, PDBs). Maps merge, `null` deletes, lists replace unless
// Kubernetes declares a merge key for them, in which case items merge by key and the result is ordered as
// the apiserver's implementation orders it: items only in the original keep their relative order, patch
// items keep theirs, and a patch item the original lacks goes before the original items still pending.
import { deepClone, isPlainObject, put, type PlainObject } from '../../../lib/istio/merge';

/** Merge keys of the list fields Kubernetes patches by key, keyed by `parent field/list field`. */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  imagePullSecrets: 'name',
  hostAliases: 'ip',
  topologySpreadConstraints: 'topologyKey',
  resourceClaims: 'name',
  'resources/claims': 'name',
  // Container ports merge by containerPort, a Service's by port.
  'container/ports': 'containerPort',
  'spec/ports': 'port',
};

function mergeKeyFor(parent: string, field: string): string | undefined {
  return MERGE_KEYS[`${parent}/${field}`] ?? MERGE_KEYS[field];
}

/** Applies `patch` to a copy of `original`. `parent` names the enclosing field (for merge-key lookup). */
export function strategicMerge(original: PlainObject, patch: PlainObject, parent = ''): PlainObject {
  const out = deepClone(original);
  for (const [k, pv] of Object.entries(patch)) {
    if (pv === null) {
      delete out[k];
      continue;
    }
    const ov = out[k];
    if (isPlainObject(pv) && isPlainObject(ov)) {
      put(out, k, strategicMerge(ov, pv, k));
    } else if (Array.isArray(pv) && Array.isArray(ov)) {
      // Items of `containers` are containers: their `ports` are container ports.
      const key = mergeKeyFor(
        parent === 'containers' || parent === 'initContainers' ? 'container' : parent,
        k,
      );
      put(out, k, key ? mergeList(ov, pv, key, k) : deepClone(pv));
    } else {
      put(out, k, deepClone(pv));
    }
  }
  return out;
}

function keyOf(item: unknown, key: string): string | undefined {
  if (!isPlainObject(item)) return undefined;
  const v = item[key];
  return v === undefined || v === null ? undefined : JSON.stringify(v);
}

function mergeList(original: unknown[], patch: unknown[], key: string, field: string): unknown[] {
  const serverOrder = original.map((x) => keyOf(x, key));
  const merged = original.map((x) => deepClone(x));
  const patched = new Set<string>();
  const patchItems: unknown[] = [];
  for (const p of patch) {
    const k = keyOf(p, key);
    const at = k === undefined ? -1 : serverOrder.indexOf(k);
    if (k !== undefined) patched.add(k);
    if (at >= 0 && isPlainObject(merged[at]) && isPlainObject(p)) {
      patchItems.push(strategicMerge(merged[at] as PlainObject, p, field));
    } else patchItems.push(deepClone(p));
  }
  const serverOnly = merged.filter((x) => {
    const k = keyOf(x, key);
    return k === undefined || !patched.has(k);
  });
  // Interleave: a server-only item goes first only when both are in the original and it came earlier.
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < serverOnly.length || j < patchItems.length) {
    if (j >= patchItems.length) out.push(serverOnly[i++]);
    else if (i >= serverOnly.length) out.push(patchItems[j++]);
    else {
      const li = serverOrder.indexOf(keyOf(serverOnly[i], key));
      const ri = serverOrder.indexOf(keyOf(patchItems[j], key));
      if (li >= 0 && ri >= 0 && li < ri) out.push(serverOnly[i++]);
      else out.push(patchItems[j++]);
    }
  }
  return out;
}
