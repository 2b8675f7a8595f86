// Where two injected pods differ, leaf by leaf: istiod's and Meshwright's injection of the same pod. Lists
// are compared by index except containers, init containers, volumes, env and volume mounts (by name, so one
// missing entry reads as one difference rather than a shift of everything after it; order separately). Pure.
import type { V1Pod } from '@kubernetes/client-node';

export interface Difference {
  /** e.g. `spec.containers[istio-proxy].env[3].value` */
  path: string;
  istiod: unknown;
  meshwright: unknown;
}

type J = unknown;
const isObject = (v: J): v is Record<string, J> => typeof v === 'object' && v !== null && !Array.isArray(v);
const BY_NAME = new Set(['containers', 'initContainers', 'volumes', 'env', 'volumeMounts']);

function diff(path: string, key: string, a: J, b: J, out: Difference[]): void {
  if (Array.isArray(a) && Array.isArray(b)) {
    if (BY_NAME.has(key)) {
      const name = (x: J) => (isObject(x) ? String(x.name) : '');
      const names = [...new Set([...a.map(name), ...b.map(name)])];
      for (const n of names)
        diff(
          `${path}[${n}]`,
          '',
          a.find((x) => name(x) === n),
          b.find((x) => name(x) === n),
          out,
        );
      const order = (xs: J[]) => xs.map(name).join(',');
      if (order(a) !== order(b))
        out.push({ path: `${path} (order)`, istiod: order(a), meshwright: order(b) });
      return;
    }
    const n = Math.max(a.length, b.length);
    for (let i = 0; i < n; i++) diff(`${path}[${i}]`, '', a[i], b[i], out);
    return;
  }
  if (isObject(a) && isObject(b)) {
    for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort())
      diff(path ? `${path}.${k}` : k, k, a[k], b[k], out);
    return;
  }
  if (JSON.stringify(a) !== JSON.stringify(b)) out.push({ path, istiod: a, meshwright: b });
}

/** The differences between the two pods' metadata (labels, annotations) and spec. */
export function podDifferences(istiod: V1Pod, meshwright: V1Pod): Difference[] {
  const out: Difference[] = [];
  const pick = (p: V1Pod) => ({
    metadata: { labels: p.metadata?.labels, annotations: p.metadata?.annotations },
    spec: p.spec,
  });
  diff('', '', pick(istiod) as J, pick(meshwright) as J, out);
  return out;
}

/** One line per difference, values as compact JSON cut at `width` characters. */
export function formatDifferences(ds: readonly Difference[], width = 160): string {
  const show = (v: unknown) => {
    const s = v === undefined ? '(absent)' : JSON.stringify(v);
    return s.length > width ? `${s.slice(0, width)}...` : s;
  };
  return ds.map((d) => `${d.path}: istiod ${show(d.istiod)} | meshwright ${show(d.meshwright)}`).join('\n');
}
