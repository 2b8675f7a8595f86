// The sidecar.istio.io/status annotation: what a template injected (init containers, containers,
// volumes, image pull secrets) and the revision. Re-injection reads it back to remove exactly that
// before injecting anew, which makes injection idempotent.
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { A } from './annotations';
import type { TemplatePod } from './templates/types';

export interface InjectionStatus {
  initContainers: string[] | null;
  containers: string[] | null;
  volumes: string[] | null;
  imagePullSecrets: string[] | null;
  revision: string;
}

const names = (xs: { name?: string }[] | undefined): string[] | null =>
  xs && xs.length ? xs.map((x) => x.name ?? '') : null;

/** Compact JSON in Go field order, nulls for empty lists (as istiod writes it). */
export function statusAnnotation(template: TemplatePod, revision: string): string {
  const s: InjectionStatus = {
    initContainers: names(template.spec.initContainers),
    containers: names(template.spec.containers),
    volumes: names(template.spec.volumes),
    imagePullSecrets: names(template.spec.imagePullSecrets),
    revision: revision || 'default',
  };
  return JSON.stringify(s);
}

export function parseStatus(raw: string | undefined): InjectionStatus | undefined {
  if (!raw) return undefined;
  try {
    const v: unknown = JSON.parse(raw);
    if (v === null || typeof v !== 'object') return undefined;
    const o = v as Record<string, unknown>;
    const list = (x: unknown): string[] | null =>
      Array.isArray(x) ? x.filter((e): e is string => typeof e === 'string') : null;
    return {
      initContainers: list(o.initContainers),
      containers: list(o.containers),
      volumes: list(o.volumes),
      imagePullSecrets: list(o.imagePullSecrets),
      revision: typeof o.revision === 'string' ? o.revision : '',
    };
  } catch {
    return undefined;
  }
}

/**
 * Removes what a previous injection added, as named by its status annotation (mutates `pod`, which is
 * the engine's own copy). Returns the removed containers so callers can recover state kept on them.
 */
export function stripInjected(pod: V1Pod): V1Container[] {
  const annotations = pod.metadata?.annotations;
  const st = parseStatus(annotations?.[A.status]);
  if (!st || !pod.spec || !annotations) return [];
  const removed: V1Container[] = [];
  const drop = <T extends { name?: string }>(
    xs: T[] | undefined,
    gone: string[] | null,
    keep?: T[],
  ): T[] | undefined => {
    if (!xs || !gone || gone.length === 0) return xs;
    const set = new Set(gone);
    const out = xs.filter((x) => {
      if (!set.has(x.name ?? '')) return true;
      keep?.push(x);
      return false;
    });
    return out;
  };
  const spec = pod.spec;
  spec.containers = drop(spec.containers, st.containers, removed) ?? [];
  const init = drop(spec.initContainers, st.initContainers, removed);
  if (init && init.length) spec.initContainers = init;
  else delete spec.initContainers;
  const vols = drop(spec.volumes, st.volumes);
  if (vols && vols.length) spec.volumes = vols;
  else delete spec.volumes;
  const secrets = drop(spec.imagePullSecrets, st.imagePullSecrets);
  if (secrets && secrets.length) spec.imagePullSecrets = secrets;
  else delete spec.imagePullSecrets;
  delete annotations[A.status];
  return removed;
}
