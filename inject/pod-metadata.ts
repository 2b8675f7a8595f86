// Labels and annotations the templates put on the pod: canonical service name/revision (telemetry),
// the mTLS mode label, the serving revision, and which container kubectl defaults to.
import { A, L } from './annotations';
import type { TemplateContext } from './context';

export function canonicalLabels(ctx: TemplateContext, truncate: boolean): Record<string, string> {
  const l = ctx.labels;
  let name = l[L.canonicalName] || l['app.kubernetes.io/name'] || l.app || ctx.workload.name;
  if (truncate) {
    name = name.slice(0, 63);
    // 1.31 trims `-`, `_` and `.` at both ends (Go's trimAll); 1.30 one trailing `-` (trimSuffix).
    if (ctx.cfg.behaviour.canonicalNameTrimAll) name = name.replace(/^[-_.]+|[-_.]+$/g, '');
    else if (name.endsWith('-')) name = name.slice(0, -1);
  }
  const revision = l[L.canonicalRevision] || l['app.kubernetes.io/version'] || l.version || 'latest';
  return { [L.canonicalName]: name, [L.canonicalRevision]: revision };
}

export function revisionAndDefaultContainer(ctx: TemplateContext): Record<string, string> {
  const out: Record<string, string> = { [A.rev]: ctx.revision || 'default' };
  const first = ctx.appContainers[0];
  if (first !== undefined) {
    if (ctx.annotations[A.defaultLogsContainer] === undefined) out[A.defaultLogsContainer] = first;
    if (ctx.annotations[A.defaultContainer] === undefined) out[A.defaultContainer] = first;
  }
  return out;
}

/** Adds istio-cni to a Multus network list (comma list or JSON array), unless already present. */
export function appendMultusNetwork(existing: string, network: string): string {
  if (existing === '') return network;
  const i = existing.lastIndexOf(']');
  if (i !== -1) {
    let nets: unknown;
    try {
      nets = JSON.parse(existing);
    } catch {
      return existing;
    }
    if (!Array.isArray(nets)) return existing;
    if (nets.some((n) => n !== null && typeof n === 'object' && (n as { name?: unknown }).name === network)) {
      return existing;
    }
    return `${existing.slice(0, i)}, {"name": "${network}"}]`;
  }
  if (existing.split(',').some((n) => n.trim() === network)) return existing;
  return `${existing}, ${network}`;
}
