// Writing status only when it changed: compare the owned part of the live status with the computed
// one, and build a JSON merge patch for the status subresource. Merge patches keep map keys that are
// not mentioned, so components that disappeared are deleted explicitly with null.
import type { LiveStatus } from './live-status';
import { stableJson } from '../../../lib/stable-json';
import { rfc3339 } from './conditions';
import type { OwnedStatus } from './compute-status';

function normalTime(t: unknown): unknown {
  if (t instanceof Date) return rfc3339(t.getTime());
  return t;
}

/** The owned fields of a live status, normalised for comparison. */
export function ownedPart(s: LiveStatus | undefined): unknown {
  return {
    status: s?.status,
    message: s?.message,
    observedGeneration: s?.observedGeneration,
    componentStatus: s?.componentStatus ?? {},
    version: s?.meshwright?.version,
    injection: s?.meshwright?.injection,
    sidecars: s?.meshwright?.sidecars,
    sidecarRollout: s?.meshwright?.sidecarRollout,
    crds: s?.meshwright?.crds,
    conditions: (s?.conditions ?? []).map((c) => ({
      ...c,
      lastTransitionTime: normalTime(c.lastTransitionTime),
    })),
  };
}

export function statusChanged(live: LiveStatus | undefined, next: OwnedStatus): boolean {
  return stableJson(ownedPart(live)) !== stableJson(ownedPart(next));
}

/** `next` as a merge patch over `prev`: keys `prev` has and `next` lacks are deleted with null. */
function replacing(prev: object | undefined, next: object | undefined): Record<string, unknown> | null {
  if (next === undefined) return null;
  const out: Record<string, unknown> = { ...next };
  for (const k of Object.keys(prev ?? {})) if (!(k in next)) out[k] = null;
  return out;
}

export function statusPatch(
  live: LiveStatus | undefined,
  next: OwnedStatus,
): { status: Record<string, unknown> } {
  const components: Record<string, unknown> = {};
  const before = live?.componentStatus ?? {};
  for (const name of new Set([...Object.keys(before), ...Object.keys(next.componentStatus)])) {
    components[name] = replacing(before[name], next.componentStatus[name]);
  }
  const status: Record<string, unknown> = {
    status: next.status,
    message: next.message ?? null,
    observedGeneration: next.observedGeneration,
    componentStatus: components,
    conditions: next.conditions,
  };
  const m = live?.meshwright;
  if (m?.version || m?.injection || m?.sidecars || m?.sidecarRollout || m?.crds || next.meshwright) {
    const version = next.meshwright?.version ?? (m?.version ? null : undefined);
    status.meshwright = {
      ...(version !== undefined ? { version } : {}),
      // Only mentioned when it is or was there, so patches of exactly known versions stay as they were.
      ...(m?.injection || next.meshwright?.injection
        ? { injection: replacing(m?.injection, next.meshwright?.injection) }
        : {}),
      sidecars: replacing(m?.sidecars, next.meshwright?.sidecars),
      sidecarRollout: replacing(m?.sidecarRollout, next.meshwright?.sidecarRollout),
      ...(m?.crds || next.meshwright?.crds ? { crds: replacing(m?.crds, next.meshwright?.crds) } : {}),
    };
  }
  return { status };
}
