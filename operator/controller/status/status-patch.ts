// Writing status only when it changed: compare the owned part of the live status with the computed
// one, and build a JSON merge patch for the status subresource. Merge patches keep map keys that are
// not mentioned, so components that disappeared are deleted explicitly with null.
import type { LiveStatus } from './live-status';
import { stableJson } from '../apply/applied-hash';
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
    conditions: (s?.conditions ?? []).map((c) => ({
      ...c,
      lastTransitionTime: normalTime(c.lastTransitionTime),
    })),
  };
}

export function statusChanged(live: LiveStatus | undefined, next: OwnedStatus): boolean {
  return stableJson(ownedPart(live)) !== stableJson(ownedPart(next));
}

export function statusPatch(
  live: LiveStatus | undefined,
  next: OwnedStatus,
): { status: Record<string, unknown> } {
  const components: Record<string, unknown> = { ...next.componentStatus };
  for (const name of Object.keys(live?.componentStatus ?? {})) {
    if (!(name in next.componentStatus)) components[name] = null;
  }
  return {
    status: {
      status: next.status,
      message: next.message ?? null,
      observedGeneration: next.observedGeneration,
      componentStatus: components,
      conditions: next.conditions,
    },
  };
}
