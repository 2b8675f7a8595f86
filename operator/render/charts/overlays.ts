// `components.*.k8s.overlays` after rendering, as istioctl applies them: every object of the component with
// the overlay's kind and name (apiVersion ignored) gets the path patches. istioctl drops a patch whose path
// selects nothing without a word; Meshwright renders the same objects but reports it as a warning.
import { isPlainObject, type PlainObject } from '../../../lib/istio/merge';
import { applyPatch, OverlayError } from './overlay-path';

export function applyK8sOverlays(
  raw: PlainObject,
  objects: PlainObject[],
  where: string,
): { objects: PlainObject[]; warnings: string[] } {
  const overlays = isPlainObject(raw.k8s) ? raw.k8s.overlays : undefined;
  const warnings: string[] = [];
  if (!Array.isArray(overlays)) return { objects, warnings };
  const out = objects.map((o) => structuredClone(o));
  for (const [i, o] of overlays.entries()) {
    if (!isPlainObject(o)) continue;
    const patches = Array.isArray(o.patches) ? o.patches : [];
    for (const obj of out) {
      const meta = obj.metadata;
      if (obj.kind !== o.kind || !isPlainObject(meta) || meta.name !== o.name) continue;
      for (const p of patches) {
        if (!isPlainObject(p) || typeof p.path !== 'string') continue;
        const del = p.value === undefined || p.value === null;
        try {
          applyPatch(obj, p.path, p.value, del);
        } catch (err) {
          if (!(err instanceof OverlayError)) throw err;
          warnings.push(
            `${where} k8s.overlays[${i}] on ${String(o.kind)} ${String(o.name)}: ${err.message}; ignored`,
          );
        }
      }
    }
  }
  return { objects: out, warnings };
}
