// Overlay of an injected (template) pod onto the user's pod with Kubernetes strategic-merge semantics,
// which is how istiod combines its rendered templates with the pod: objects merge key by key, lists of
// containers/volumes/env/ports/volumeMounts/imagePullSecrets merge by their key, other lists replace.
// The resulting list order follows the strategic-merge rule (new patch items first, then items only in
// the original, each side keeping its relative order); reorder.ts later puts istio's containers in place.
// Works on JSON-shaped data. `target` is mutated (callers own it: the one clone of the input pod);
// patch objects are adopted without copying, so builders must hand over fresh objects.

export type Json = null | boolean | number | string | Json[] | JsonObject;
export interface JsonObject {
  [key: string]: Json | undefined;
}

/** List fields that merge by a key, as in the Kubernetes core/v1 strategic-merge schema. */
const MERGE_KEYS: Readonly<Record<string, string>> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  ports: 'containerPort',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  volumes: 'name',
  imagePullSecrets: 'name',
  hostAliases: 'ip',
};

export function isObject(v: unknown): v is JsonObject {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Merges `patch` into `target` (mutated and returned). A null in the patch deletes the key. */
export function mergeObject(target: JsonObject, patch: JsonObject): JsonObject {
  for (const key of Object.keys(patch)) {
    const pv = patch[key];
    if (pv === undefined) continue;
    if (pv === null) {
      delete target[key];
      continue;
    }
    const tv = target[key];
    if (Array.isArray(pv)) {
      const mergeKey = MERGE_KEYS[key];
      target[key] = mergeKey && Array.isArray(tv) ? mergeList(tv, pv, mergeKey) : pv;
    } else if (isObject(pv) && isObject(tv)) {
      mergeObject(tv, pv);
    } else {
      target[key] = pv;
    }
  }
  return target;
}

/**
 * Strategic merge of keyed lists: patch items merge into the original item with the same key or are
 * added; then patch items (in patch order) and original-only items (in original order) are interleaved,
 * an original-only item going first only when it preceded the patch item in the original list.
 */
export function mergeList(original: Json[], patch: Json[], key: string): Json[] {
  // Onto an empty list (most lists the templates add to), objects with distinct keys are the result.
  if (original.length === 0 && distinctKeys(patch, key)) return patch.slice();
  const origIndex = new Map<Json | undefined, number>();
  original.forEach((o, i) => {
    if (isObject(o) && !origIndex.has(o[key])) origIndex.set(o[key], i);
  });
  const merged: Json[] = original.slice();
  const mergedIndex = new Map(origIndex);
  const patchOrder = new Map<Json | undefined, number>();
  for (const p of patch) {
    if (!isObject(p)) continue;
    const k = p[key];
    if (!patchOrder.has(k)) patchOrder.set(k, patchOrder.size);
    const at = mergedIndex.get(k);
    if (at !== undefined) {
      merged[at] = mergeObject(merged[at] as JsonObject, p);
    } else {
      mergedIndex.set(k, merged.length);
      merged.push(p);
    }
  }
  const fromPatch: JsonObject[] = [];
  const serverOnly: JsonObject[] = [];
  for (const m of merged) {
    const o = m as JsonObject;
    (patchOrder.has(o[key]) ? fromPatch : serverOnly).push(o);
  }
  fromPatch.sort((a, b) => (patchOrder.get(a[key]) ?? 0) - (patchOrder.get(b[key]) ?? 0));
  const out: Json[] = [];
  let i = 0;
  let j = 0;
  while (i < serverOnly.length || j < fromPatch.length) {
    if (j >= fromPatch.length) {
      out.push(serverOnly[i++]);
    } else if (i >= serverOnly.length) {
      out.push(fromPatch[j++]);
    } else {
      const li = origIndex.get(serverOnly[i][key]);
      const ri = origIndex.get(fromPatch[j][key]);
      if (li !== undefined && ri !== undefined && li < ri) out.push(serverOnly[i++]);
      else out.push(fromPatch[j++]);
    }
  }
  return out;
}

/** True when every item is an object and no two share a value of `key`. */
function distinctKeys(items: Json[], key: string): boolean {
  const seen = new Set<Json | undefined>();
  for (const item of items) {
    if (!isObject(item) || seen.has(item[key])) return false;
    seen.add(item[key]);
  }
  return true;
}
